from __future__ import annotations

import html
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Connection

from approval.access.endpoints import allow
from approval.applications import repository as applications_repository
from approval.endpoints import ConnDep, SettingsDep, SignerDep
from approval.errors import LicenceNotFound, answered_with
from approval.kernel.identifiers import IdentifierInvalid, parse_credit_code
from approval.kernel.principal import Principal, Role
from approval.licences.pdf import render_licence_pdf
from approval.licences.schemas import LicenceRead, LicenceVerification, SigningKeyRead
from approval.licences.service import load_licence, verification
from approval.openapi import not_json

router = APIRouter(tags=["licences"])


def _credit_code(credit_code: Annotated[str, Path(max_length=64)]) -> str:
    """The path's credit code in canonical form; a malformed one is found nowhere."""
    try:
        return parse_credit_code(credit_code)
    except IdentifierInvalid as exc:
        raise LicenceNotFound(exc.message) from None


CreditCodeDep = Annotated[str, Depends(_credit_code)]

HOLDERS = (Role.TERMINAL, Role.MOBILE, Role.STAFF)


def _licence_for(conn: Connection, principal: Principal, credit_code: str) -> Any:
    signed, status, application_id = load_licence(conn, credit_code)
    application = applications_repository.get_application(conn, application_id)
    if application is None or not principal.may_read(
        application.key_id, application.operator_id_number
    ):
        raise LicenceNotFound()
    return signed, status


@router.get("/v1/licences/{credit_code}", responses=answered_with(LicenceNotFound))
def licence_json(
    credit_code: CreditCodeDep,
    conn: ConnDep,
    principal: Annotated[Principal, Depends(allow(*HOLDERS))],
) -> LicenceRead:
    """The signed electronic licence: the document, its Ed25519 signature and key id."""
    signed, status = _licence_for(conn, principal, credit_code)
    return LicenceRead.model_validate({**dict(signed), "status": status})


@router.get(
    "/v1/licences/{credit_code}/pdf",
    response_class=Response,
    responses={**not_json("application/pdf", "营业执照（PDF）"), **answered_with(LicenceNotFound)},
)
def licence_pdf(
    credit_code: CreditCodeDep,
    conn: ConnDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(allow(*HOLDERS))],
) -> Response:
    """The printable licence with the verification QR code."""
    signed, _ = _licence_for(conn, principal, credit_code)
    pdf = render_licence_pdf(
        signed,
        f"{settings.base_url}/v1/verify/{signed.document.credit_code}",
        settings.licence_font_path,
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{signed.document.credit_code}.pdf"'},
    )


@router.get("/v1/licence-signing-key")
def signing_key(signer: SignerDep) -> SigningKeyRead:
    """The public key that verifies every licence signature (public)."""
    return SigningKeyRead(
        algorithm="Ed25519",
        key_id=signer.key_id,
        public_key_pem=signer.public_key_pem(),
    )


@router.get(
    "/v1/verify/{credit_code}",
    response_model=LicenceVerification,
    responses={
        **not_json("text/html", "验证结果页（Accept: text/html）"),
        **answered_with(LicenceNotFound),
    },
)
def verify(
    credit_code: CreditCodeDep, request: Request, conn: ConnDep, signer: SignerDep
) -> LicenceVerification | Response:
    """Is this licence genuine and current? Public; a browser (the QR code) gets a page."""
    result = verification(conn, credit_code, signer.public_key_pem())
    if "text/html" not in request.headers.get("accept", ""):
        return LicenceVerification.model_validate(result)
    verdict = "有效" if result["current"] else ("已撤销" if result["genuine"] else "验证失败")
    rows = "".join(
        f"<tr><th>{html.escape(label)}</th><td>{html.escape(str(result[key]))}</td></tr>"
        for label, key in (
            ("统一社会信用代码", "credit_code"),
            ("名称", "name"),
            ("经营者", "operator_name"),
            ("组成形式", "organisation_form"),
            ("注册日期", "issue_date"),
            ("登记机关", "authority_name"),
        )
    )
    page = (
        '<!doctype html><html lang="zh-CN"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>营业执照验证</title><h1>营业执照验证：{verdict}</h1><table>{rows}</table></html>"
    )
    return HTMLResponse(page)
