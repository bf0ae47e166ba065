from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request

from approval.access.endpoints import allow
from approval.applications import repository as applications_repository
from approval.audit.schemas import AuditExport
from approval.audit.service import export_chain
from approval.endpoints import ConnDep, SettingsDep, SignerDep, provided
from approval.errors import (
    ApplicationNotFound,
    HallNotOfKey,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    InvalidApplication,
    ItemNotDelegatedToHall,
    ItemNotOnChannel,
    UnknownHall,
    answered_with,
)
from approval.intake import service
from approval.intake.schemas import ApplicationList, ApplicationRead
from approval.kernel.application import ApplicationCreate
from approval.kernel.principal import Principal, Role
from approval.openapi import json_body

IntakeDep = Annotated[service.Intake, provided("intake", service.Intake)]


router = APIRouter(prefix="/v1/applications", tags=["applications"])

# what refuses a submission, alone or as part of a bundle
SUBMISSION_ERRORS = (
    IdempotencyKeyReused,
    IdempotencyKeyRequired,
    InvalidApplication,
    HallNotOfKey,
    UnknownHall,
    ItemNotOnChannel,
    ItemNotDelegatedToHall,
)
SUBMITTERS = (Role.TERMINAL, Role.MOBILE, Role.STAFF)
READERS = (Role.TERMINAL, Role.MOBILE, Role.STAFF)


@router.post(
    "",
    status_code=201,
    response_model=ApplicationRead,
    openapi_extra=json_body(ApplicationCreate),
    responses=answered_with(*SUBMISSION_ERRORS),
)
async def submit_application(
    request: Request,
    intake: IntakeDep,
    principal: Annotated[Principal, Depends(allow(*SUBMITTERS))],
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> ApplicationRead:
    """Submit a registration; the decision (and licence) comes back in the same response."""
    _, body = await service.submit(intake, principal, await request.body(), idempotency_key)
    return ApplicationRead.model_validate(body)


@router.get("", response_model=ApplicationList)
def list_applications(
    conn: ConnDep,
    principal: Annotated[Principal, Depends(allow(*READERS))],
    status: Annotated[str | None, Query(max_length=24)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[dt.datetime | None, Query(description="next_before of the last page")] = None,
) -> ApplicationList:
    """My applications, newest first (a mobile key: its applicant's; a terminal: its own)."""
    body = service.list_applications(conn, principal, status, limit, before)
    return ApplicationList.model_validate(body)


@router.get(
    "/{application_id}",
    response_model=ApplicationRead,
    responses=answered_with(ApplicationNotFound),
)
def read_application(
    application_id: str,
    conn: ConnDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(allow(*READERS))],
) -> ApplicationRead:
    body = service.read_application(conn, principal, application_id, settings.base_url)
    return ApplicationRead.model_validate(body)


audit_router = APIRouter(prefix="/v1/audit", tags=["audit"])


@audit_router.get(
    "/applications/{application_id}",
    response_model=AuditExport,
    responses=answered_with(ApplicationNotFound),
)
def export_application_audit(
    application_id: str,
    conn: ConnDep,
    signer: SignerDep,
    principal: Annotated[Principal, Depends(allow(Role.STAFF, Role.MOBILE))],
) -> AuditExport:
    """Every audit record of the application with hashes, the signed head, and how to check."""
    app = applications_repository.get_application(conn, application_id)
    if app is None or not principal.may_read(app.key_id, app.operator_id_number):
        raise ApplicationNotFound()
    return AuditExport.model_validate(export_chain(conn, application_id, signer))
