"""The supervision API: departments pull, acknowledge, claim, act on and close their copies."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from approval.access.endpoints import allow
from approval.endpoints import ClockDep, ConnDep
from approval.errors import IllegalTransition, answered_with
from approval.kernel.principal import Principal, Role
from approval.supervision import service
from approval.supervision.errors import CopyNotFound

router = APIRouter(prefix="/v1/supervision", tags=["supervision"])

SUPERVISOR = Depends(allow(Role.SUPERVISOR))


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ActionIn(_In):
    kind: Literal["inspection", "permit_issued", "permit_refused", "filing_received", "other"] = (
        Field(description="检查、许可发放、不予许可、备案、其他")
    )
    note: str = Field(min_length=1, max_length=1000, description="处理情况")
    reference: str | None = Field(default=None, max_length=100, description="许可证号等")


class CloseIn(_In):
    note: str = Field(min_length=1, max_length=1000, description="办结说明")


class BrokenCommitmentIn(_In):
    commitment: Literal[
        "no_trading_before_permit", "truthfulness", "residential_use_consent", "e_commerce"
    ] = Field(description="被违反的承诺")
    note: str = Field(min_length=1, max_length=1000, description="发现的情况")


@router.get("/copies")
def list_copies(
    conn: ConnDep,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(allow(Role.SUPERVISOR, Role.STAFF))],
    status: Annotated[str | None, Query(max_length=16)] = None,
    overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """A department's pushed copies (pull API); staff see every department's.
    ``overdue=true``: copies not claimed within 2 working days (escalated)."""
    items = service.list_for(conn, principal, clock.today(), status, overdue, limit)
    return {"items": items}


@router.get("/copies/{copy_id}", responses=answered_with(CopyNotFound))
def read_copy(
    copy_id: str, conn: ConnDep, clock: ClockDep, principal: Annotated[Principal, SUPERVISOR]
) -> dict[str, Any]:
    return service.read_copy(conn, principal, copy_id, clock.today())


@router.post("/copies/{copy_id}/ack", responses=answered_with(CopyNotFound))
def acknowledge(
    copy_id: str, conn: ConnDep, clock: ClockDep, principal: Annotated[Principal, SUPERVISOR]
) -> dict[str, Any]:
    """签收 (idempotent)."""
    return service.acknowledge(conn, principal, copy_id, clock.now())


@router.post("/copies/{copy_id}/claim", responses=answered_with(CopyNotFound, IllegalTransition))
def claim(
    copy_id: str, conn: ConnDep, clock: ClockDep, principal: Annotated[Principal, SUPERVISOR]
) -> dict[str, Any]:
    """认领 (idempotent)."""
    return service.claim(conn, principal, copy_id, clock.now())


@router.post("/copies/{copy_id}/actions", responses=answered_with(CopyNotFound, IllegalTransition))
def record_action(
    copy_id: str,
    body: ActionIn,
    conn: ConnDep,
    clock: ClockDep,
    principal: Annotated[Principal, SUPERVISOR],
) -> dict[str, Any]:
    return service.record_action(
        conn, principal, copy_id, clock.now(), body.kind, body.note, body.reference
    )


@router.post("/copies/{copy_id}/close", responses=answered_with(CopyNotFound, IllegalTransition))
def close(
    copy_id: str,
    body: CloseIn,
    conn: ConnDep,
    clock: ClockDep,
    principal: Annotated[Principal, SUPERVISOR],
) -> dict[str, Any]:
    return service.close(conn, principal, copy_id, clock.now(), body.note)


@router.post(
    "/copies/{copy_id}/broken-commitments", status_code=201, responses=answered_with(CopyNotFound)
)
def report_broken_commitment(
    copy_id: str,
    body: BrokenCommitmentIn,
    conn: ConnDep,
    clock: ClockDep,
    principal: Annotated[Principal, SUPERVISOR],
) -> dict[str, Any]:
    """A broken commitment goes onto the registration's record (timeline and audit)."""
    return service.report_broken_commitment(
        conn, principal, copy_id, clock.now(), body.commitment, body.note
    )
