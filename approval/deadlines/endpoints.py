from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from approval.access.endpoints import ContextDep, allow
from approval.access.service import Principal, Role
from approval.deadlines.service import overdue

router = APIRouter(tags=["deadlines"])


@router.get("/v1/overdue")
def list_overdue(
    context: ContextDep, _principal: Annotated[Principal, Depends(allow(Role.STAFF))]
) -> dict[str, Any]:
    """Applications and bundle parts still open after their due date (staff)."""
    with context.db.reading() as conn:
        return overdue(conn, context.catalog, context.clock.today())
