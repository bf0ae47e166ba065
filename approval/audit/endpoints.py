"""The audit export of one application, for an outside party to verify."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from approval.access.endpoints import ContextDep, allow
from approval.access.service import Principal, Role
from approval.audit.service import export_chain
from approval.errors import ApplicationNotFound, answered_with
from approval.intake import repository as intake_repository
from approval.intake.service import may_read

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get("/applications/{application_id}", responses=answered_with(ApplicationNotFound))
def export_application(
    application_id: str,
    context: ContextDep,
    principal: Annotated[Principal, Depends(allow(Role.STAFF, Role.MOBILE))],
) -> dict[str, Any]:
    """Every audit record of the application with hashes, the signed head, and how to check."""
    with context.db.reading() as conn:
        app = intake_repository.get_application(conn, application_id)
        if app is None or not may_read(principal, app.key_id, app.operator_id_number):
            raise ApplicationNotFound()
        return export_chain(conn, application_id, context.signer)
