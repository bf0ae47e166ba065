"""Submitting an application: validate, ask the registries, decide, issue — in one request."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from approval.access.service import APPLICANT_ROLES, Principal, Role
from approval.audit.service import store_new_chain, submission_rows
from approval.calendar import WorkingCalendar
from approval.catalog.delivery import channel_of, check_delivery, find_hall
from approval.catalog.items import REGISTRATION, CatalogItem
from approval.context import AppContext
from approval.decisions.facts import ReferenceData, build_facts, licence_conditions
from approval.decisions.registries import RegistryAnswers, ask_registries
from approval.decisions.service import UNAVAILABLE_REASON, decide
from approval.engine.ruleset import Ruleset
from approval.errors import (
    ApplicationNotFound,
    Forbidden,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    InvalidApplication,
)
from approval.intake import repository
from approval.kernel.application import ApplicationCreate
from approval.kernel.identity import (
    IdNumberCheck,
    IdNumberInvalid,
    check_id_number,
    mask_id_number,
)
from approval.kernel.status import ApplicationStatus, Outcome
from approval.licences import repository as licence_repository
from approval.licences.document import SignedLicence
from approval.licences.service import IssueRoute, issue_licence, record_issued
from approval.problems import validation_errors
from approval.verification.service import park, store_exchanges
from connectors.exchanges import recording


def _json_ready(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def render(
    row: Mapping[Any, Any],
    events: Sequence[Mapping[Any, Any]],
    credit_code: str | None,
    principal: Principal,
    base_url: str,
) -> dict[str, Any]:
    """The application as its reader may see it: personal data masked unless it is theirs."""
    payload = row["payload"]
    id_number = row["operator_id_number"]
    return {
        "id": row["id"],
        "status": row["status"],
        "decision": row["outcome"],
        "reasons": row["reasons"],
        "conditions": row["conditions"],
        "ruleset_version": row["ruleset_version"],
        "channel": row["channel"],
        "operator_name": payload["operator"]["name"],
        "operator_id_number": id_number
        if principal.may_see_person(id_number)
        else mask_id_number(id_number),
        "created_at": _json_ready(row["created_at"]),
        "decided_at": _json_ready(row["decided_at"]),
        "licence": {
            "credit_code": credit_code,
            "json": f"/v1/licences/{credit_code}",
            "pdf": f"/v1/licences/{credit_code}/pdf",
            "verify": f"{base_url}/v1/verify/{credit_code}",
        }
        if credit_code
        else None,
        "timeline": [
            {"at": _json_ready(e["at"]), "kind": e["kind"], "detail": e["detail"]} for e in events
        ],
    }


def _replay_or_conflict(row: Any, request_hash: str) -> dict[str, Any]:
    if row.request_hash != request_hash:
        raise IdempotencyKeyReused(
            "该 Idempotency-Key 已用于另一份不同内容的申请；"
            "如需提交新申请，请使用新的 Idempotency-Key"
        )
    response: dict[str, Any] = row.response
    return response


def _parse(
    body: bytes, principal: Principal, today: dt.date
) -> tuple[ApplicationCreate, IdNumberCheck]:
    try:
        app = ApplicationCreate.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidApplication(errors=validation_errors(exc)) from None
    try:
        id_check = check_id_number(app.operator.id_type, app.operator.id_number, today)
    except IdNumberInvalid as exc:
        raise InvalidApplication(
            exc.message,
            errors=[{"field": "operator.id_number", "code": exc.code, "message": exc.message}],
        ) from None
    if principal.role == Role.MOBILE and principal.subject != id_check.number:
        raise Forbidden("手机 App 只能以本人身份证号码提交申请")
    return app, id_check


async def query_registries(
    ctx: AppContext, application_id: str, app: ApplicationCreate, id_check: IdNumberCheck
) -> RegistryAnswers:
    """Ask the three registries about this application, under the one deadline."""
    return await ask_registries(
        ctx.registries,
        case_id=application_id,
        operator_id_number=id_check.number,
        authority_code=app.premises.district_code,
        proposed_name=app.name,
        property_certificate=app.premises.property_certificate_number
        if app.premises.kind == "physical"
        else None,
        deadline_seconds=ctx.settings.registry_deadline_ms / 1000,
    )


@dataclass(frozen=True, slots=True)
class Determination:
    """What the registries' answers lead to: parked, decided, or decided and issued."""

    status: str  # pending_verification | decided | issued
    outcome: str | None
    reasons: list[dict[str, str]]
    conditions: list[str]
    ruleset_version: str | None
    facts: dict[str, Any]
    events: list[dict[str, Any]]
    signed: SignedLicence | None
    decided_at: dt.datetime

    def columns(self) -> dict[str, Any]:
        """The application's columns this sets."""
        return {
            "status": self.status,
            "facts": self.facts,
            "conditions": self.conditions,
            "ruleset_version": self.ruleset_version,
            "outcome": self.outcome,
            "reasons": self.reasons,
            "decided_at": self.decided_at if self.outcome else None,
        }


def determine(
    ctx: AppContext,
    app: ApplicationCreate,
    id_check: IdNumberCheck,
    answers: RegistryAnswers,
    decided_at: dt.datetime,
    rules: tuple[Ruleset, ReferenceData] | None = None,
) -> Determination:
    """Facts, decision and licence from the answers: the same at submission and on re-check.

    A registry that did not answer parks the application; nothing is decided on missing facts.
    ``rules`` is the ruleset in force when the application arrived (default: the active one).
    """
    ruleset, reference = rules or (ctx.ruleset, ctx.reference)
    authority_code = app.premises.district_code
    facts = build_facts(app, id_check, answers, reference, decided_at.date())
    events: list[dict[str, Any]] = [
        {
            "at": decided_at,
            "kind": "registries_queried",
            "detail": {
                a.registry.value: {"available": a.available, "latency_ms": a.latency_ms}
                for a in answers.answers
            },
        },
    ]
    if answers.unavailable:
        events.append(
            {
                "at": decided_at,
                "kind": "pending_verification",
                "detail": {"unavailable": [r.value for r in answers.unavailable]},
            }
        )
        return Determination(
            "pending_verification",
            None,
            [UNAVAILABLE_REASON],
            [],
            None,
            facts,
            events,
            None,
            decided_at,
        )
    decision = decide(ruleset, facts)
    status = "issued" if decision.approved else "decided"
    conditions = (
        licence_conditions(
            app,
            reference.scope,
            residential=facts["registries.realestate.registered_use"] == "住宅",
        )
        if decision.verdict == Outcome.APPROVE_WITH_CONDITIONS
        else []
    )
    events.append(
        {
            "at": decided_at,
            "kind": "decided",
            "detail": {
                "decision": decision.verdict.value,
                "rules": [r.id for r in decision.fired],
                "ruleset_version": decision.ruleset_version,
            },
        }
    )
    signed = None
    if status == "issued":
        signed = issue_licence(
            serial=ctx.serials.take(authority_code),
            app=app,
            authority_code=authority_code,
            catalog=reference.scope,
            signer=ctx.signer,
            now=decided_at,
        )
        events.append(
            {
                "at": decided_at,
                "kind": "licence_issued",
                "detail": {"credit_code": signed.document.credit_code},
            }
        )
    return Determination(
        status,
        decision.verdict.value,
        decision.reasons(),
        conditions,
        decision.ruleset_version,
        facts,
        events,
        signed,
        decided_at,
    )


async def submit(
    ctx: AppContext, principal: Principal, body: bytes, idempotency_key: str | None
) -> tuple[int, dict[str, Any]]:
    """Decide an application within the request; a retry with the same key replays the answer.

    The key is checked when the application is stored (a unique constraint), not before: a
    retry is rare, and a look-up on every submission would cost more than re-deciding retries.
    """
    request_hash = hashlib.sha256(body).hexdigest()
    if idempotency_key is None and principal.role in APPLICANT_ROLES:
        raise IdempotencyKeyRequired()
    now = ctx.clock.now()
    # a ruleset published while this application is in flight does not decide it
    rules_in_force = (ctx.ruleset, ctx.reference)
    app, id_check = _parse(body, principal, now.date())
    item = ctx.catalog.items[REGISTRATION]
    hall = find_hall(ctx.catalog, principal.hall_code)
    channel = channel_of(principal.role, hall)
    check_delivery(item, channel, hall)
    application_id = uuid.uuid4().hex
    authority_code = app.premises.district_code
    with recording() as exchanges:
        answers = await query_registries(ctx, application_id, app, id_check)
    if not answers.unavailable and ctx.serials.needs_block(authority_code):
        await asyncio.to_thread(ctx.serials.ensure_block, authority_code)
    decided_at = ctx.clock.now()
    determined = determine(ctx, app, id_check, answers, decided_at, rules_in_force)
    ctx.shadow.observe(application_id, determined)
    facts, status, signed = determined.facts, determined.status, determined.signed
    events: list[dict[str, Any]] = [
        {
            "at": now,
            "kind": "received",
            "detail": {"channel": channel, "hall": principal.hall_code},
        },
        *determined.events,
    ]
    row: dict[str, Any] = {
        "id": application_id,
        "created_at": now,
        "updated_at": decided_at,
        "channel": channel,
        "hall_code": principal.hall_code,
        "item_code": item.code,
        "due_date": due_date(ctx.calendar, item, now.date(), determined),
        "key_id": principal.key_id,
        "idempotency_key": idempotency_key,
        "request_hash": request_hash,
        "status": status,
        "operator_id_number": id_check.number,
        "authority_code": authority_code,
        "payload": app.model_dump(mode="json"),
        **determined.columns(),
    }
    credit_code = signed.document.credit_code if signed else None
    response = render(row, events, credit_code, principal, ctx.settings.base_url)
    audit_rows = submission_rows(
        application_id, principal.key_id, principal.role.value, events, facts
    )

    def write() -> None:
        with ctx.db.transaction() as conn:
            _store(conn, row, response, events, answers, decided_at)
            store_new_chain(conn, audit_rows)
            store_exchanges(conn, exchanges, application_id, id_check.number, decided_at)
            if status == "pending_verification":
                park(conn, ctx.settings, application_id, decided_at)
            if signed:
                record_issued(conn, application_id, signed, app, IssueRoute.AUTOMATIC, decided_at)

    def first_stored(key: str) -> Any:
        with ctx.db.reading() as conn:
            return repository.find_by_idempotency_key(conn, principal.key_id, key)

    # the database is written on a worker thread: a busy SQLite writer never stalls the loop
    try:
        await asyncio.to_thread(write)
    except IntegrityError:
        if idempotency_key is None:
            raise
        # a retry, or the same key racing us from another request: the first one stored wins
        seen = await asyncio.to_thread(first_stored, idempotency_key)
        if seen is None:
            raise
        return 201, _replay_or_conflict(seen, request_hash)
    return 201, response


def due_date(
    calendar: WorkingCalendar, item: CatalogItem, received: dt.date, determined: Determination
) -> dt.date:
    """The promised limit for a decision made at once; the legal one for a case that waits."""
    waits = determined.status == "pending_verification" or determined.outcome == "manual_review"
    return calendar.add_working_days(
        received, item.legal_limit_days if waits else item.promised_limit_days
    )


def _store(
    conn: Connection,
    row: dict[str, Any],
    response: dict[str, Any],
    events: list[dict[str, Any]],
    answers: RegistryAnswers,
    now: dt.datetime,
) -> None:
    repository.insert_application(conn, **row, response=response)
    repository.insert_registry_answers(conn, answer_rows(row["id"], answers, now))
    repository.insert_events(conn, [{"application_id": row["id"], **e} for e in events])


def answer_rows(
    application_id: str, answers: RegistryAnswers, now: dt.datetime
) -> list[dict[str, Any]]:
    """The registry answers as stored with an application (at submission and on re-check)."""
    return [
        {
            "application_id": application_id,
            "registry": a.registry.value,
            "available": a.available,
            "answer": a.stored(),
            "detail": a.detail,
            "latency_ms": a.latency_ms,
            "fetched_at": now,
        }
        for a in answers.answers
    ]


COMPLETED_STATUSES = frozenset(
    {ApplicationStatus.ISSUED, ApplicationStatus.DECIDED, ApplicationStatus.REVOKED}
)


def is_completed(status: str, outcome: str | None) -> bool:
    """办结: decided for good, by the rules or by staff (a case waiting for a person is not);
    a licence revoked later was still 办结 when it was issued."""
    return status in COMPLETED_STATUSES and outcome != Outcome.MANUAL_REVIEW


def may_read(principal: Principal, key_id: str, operator_id_number: str) -> bool:
    if principal.role == Role.STAFF:
        return True
    if principal.role == Role.TERMINAL:
        return principal.key_id == key_id
    if principal.role == Role.MOBILE:
        return principal.subject == operator_id_number
    return False


def read_application(
    conn: Connection, principal: Principal, application_id: str, base_url: str
) -> dict[str, Any]:
    row = repository.get_application(conn, application_id)
    # an application the caller may not read is reported as missing, not as forbidden
    if row is None or not may_read(principal, row.key_id, row.operator_id_number):
        raise ApplicationNotFound()
    events = [e._mapping for e in repository.list_events(conn, application_id)]
    licence = licence_repository.find_licence_for_application(conn, application_id)
    return render(
        row._mapping, events, licence.credit_code if licence else None, principal, base_url
    )


def list_applications(
    conn: Connection,
    principal: Principal,
    status: str | None,
    limit: int,
    before: dt.datetime | None,
) -> dict[str, Any]:
    """The caller's applications, newest first: a mobile key its applicant's, a terminal its own,
    staff everyone's. ``next_before`` pages on."""
    rows = repository.list_applications(
        conn,
        key_id=principal.key_id if principal.role == Role.TERMINAL else None,
        operator_id_number=principal.subject if principal.role == Role.MOBILE else None,
        status=status,
        limit=limit,
        before=before,
    )
    items = [
        {
            "id": row.id,
            "created_at": _json_ready(row.created_at),
            "status": row.status,
            "decision": row.outcome,
            "channel": row.channel,
            "name": row.name,
            "operator_id_number": row.operator_id_number
            if principal.may_see_person(row.operator_id_number)
            else mask_id_number(row.operator_id_number),
        }
        for row in rows
    ]
    return {
        "items": items,
        "next_before": items[-1]["created_at"] if len(items) == limit else None,
    }
