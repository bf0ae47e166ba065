from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from approval.access.endpoints import allow
from approval.catalog.endpoints import CatalogDep
from approval.deadlines.service import overdue
from approval.endpoints import ClockDep, ConnDep
from approval.kernel.principal import Principal, Role

router = APIRouter(tags=["deadlines"])


@router.get("/v1/overdue")
def list_overdue(
    conn: ConnDep,
    catalog: CatalogDep,
    clock: ClockDep,
    _principal: Annotated[Principal, Depends(allow(Role.STAFF))],
) -> dict[str, Any]:
    """Applications and bundle parts still open after their due date (staff)."""
    return overdue(conn, catalog, clock.today())
