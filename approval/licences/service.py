"""Issuing a licence: a unique credit code, a signed document, the way every approval does it."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.engine import Connection

from approval.authorities import AUTHORITIES
from approval.catalog.scope import ScopeCatalog
from approval.errors import LicenceNotFound
from approval.kernel.application import ApplicationCreate
from approval.licences import repository
from approval.licences.credit_code import credit_code_for
from approval.licences.document import LicenceDocument, ScopeItem, SignedLicence, sign_licence
from approval.licences.serials import CreditSerials
from approval.names.comparison import NameClaim
from approval.names.register import claim_name
from approval.signing import LicenceSigner


def _scope_lines(app: ApplicationCreate, catalog: ScopeCatalog) -> tuple[ScopeItem, ...]:
    lines = []
    for code in app.scope:
        item = catalog.get(code)
        if item is None:
            continue
        condition = None
        if item.kind == "post_permit":
            condition = f"取得{item.permit}后方可经营"
        elif item.kind == "filing":
            condition = f"须办理{item.permit}"
        lines.append(ScopeItem(code=item.code, title=item.title, condition=condition))
    return tuple(lines)


def issue_licence(
    *,
    serial: int,
    app: ApplicationCreate,
    authority_code: str,
    catalog: ScopeCatalog,
    signer: LicenceSigner,
    now: dt.datetime,
) -> SignedLicence:
    """The licence with the credit code of this serial, signed (stored by :func:`record_issued`)."""
    premises = (
        app.premises.address
        if app.premises.kind == "physical"
        else (f"{app.premises.shop_url}（网络经营场所）")
    )
    document = LicenceDocument(
        licence_id=uuid.uuid4().hex,
        credit_code=credit_code_for(authority_code, serial),
        name=app.name,
        operator_name=app.operator.name,
        organisation_form=app.organisation_form,
        premises=premises,
        scope=_scope_lines(app, catalog),
        issue_date=now.date(),
        authority_code=authority_code,
        authority_name=AUTHORITIES[authority_code],
    )
    return sign_licence(document, signer)


@dataclass(frozen=True, slots=True)
class LicenceIssuer:
    """Credit-code serials and the signing key: what issuing a licence needs."""

    serials: CreditSerials
    signer: LicenceSigner

    def ensure_serials(self, authority_code: str) -> None:
        """Reserve a block of serials now if the next licence would (a database write): callers
        on an event loop run this on a worker thread first, so that issuing stays in memory."""
        if self.serials.needs_block(authority_code):
            self.serials.ensure_block(authority_code)

    def issue(
        self, app: ApplicationCreate, catalog: ScopeCatalog, now: dt.datetime
    ) -> SignedLicence:
        authority_code = app.premises.district_code
        return issue_licence(
            serial=self.serials.take(authority_code),
            app=app,
            authority_code=authority_code,
            catalog=catalog,
            signer=self.signer,
            now=now,
        )


class IssueRoute(StrEnum):
    AUTOMATIC = "automatic"  # the rules decided
    MANUAL = "manual"  # a person decided after review


def record_issued(
    conn: Connection,
    application_id: str,
    signed: SignedLicence,
    route: IssueRoute,
    now: dt.datetime,
    name: NameClaim | None,
) -> None:
    """The licence, the same for every route, in the caller's transaction, with its name put on
    the name register (`NameTaken` when someone else has just taken it: nothing is issued)."""
    document = signed.document
    if name is not None:
        claim_name(
            conn,
            name,
            credit_code=document.credit_code,
            application_id=application_id,
            actor=route.value,
            now=now,
        )
    repository.insert_licence(
        conn,
        credit_code=document.credit_code,
        application_id=application_id,
        licence_id=document.licence_id,
        issued_on=document.issue_date,
        document=document.model_dump(mode="json"),
        signature=signed.signature,
        key_id=signed.key_id,
        route=route.value,
        now=now,
    )


def issue_notice(app: ApplicationCreate, route: IssueRoute) -> dict[str, Any]:
    """What the supervising departments are told of an issue beside its credit code, the same
    for every route (the supervision outbox follows ``LicenceIssued``)."""
    return {"scope": list(app.scope), "authority": app.premises.district_code, "route": route.value}


def load_licence(conn: Connection, credit_code: str) -> tuple[SignedLicence, str, str]:
    """The stored licence, its status (current / revoked) and the application it came from."""
    row = repository.find_licence(conn, credit_code.upper())
    if row is None:
        raise LicenceNotFound(f"未找到统一社会信用代码为 {credit_code} 的营业执照")
    signed = SignedLicence(
        document=LicenceDocument.model_validate(row.document),
        signature=row.signature,
        key_id=row.key_id,
    )
    return signed, row.status, row.application_id


def verification(conn: Connection, credit_code: str, public_key_pem: str) -> dict[str, Any]:
    """What anyone may learn about a licence: genuine, current, and its public particulars."""
    signed, status, _ = load_licence(conn, credit_code)
    genuine = signed.verify(public_key_pem)
    doc = signed.document
    return {
        "credit_code": doc.credit_code,
        "genuine": genuine,
        "status": status,
        "current": genuine and status == "current",
        "name": doc.display_name,
        "operator_name": doc.operator_name,
        "organisation_form": doc.organisation_form_label,
        "issue_date": doc.issue_date.isoformat(),
        "authority_name": doc.authority_name,
        "key_id": signed.key_id,
    }
