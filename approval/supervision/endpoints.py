"""The supervision API: departments pull, acknowledge, claim, act on and close their copies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from approval.access.endpoints import allow
from approval.endpoints import ClockDep, ConnDep
from approval.errors import IllegalTransition, answered_with
from approval.kernel.principal import Principal, Role
from approval.supervision import service
from approval.supervision.errors import CopyNotFound
from approval.supervision.schemas import (
    ActionKind,
    BrokenCommitmentRead,
    Commitment,
    SupervisionCopyList,
    SupervisionCopyRead,
)

router = APIRouter(prefix="/v1/supervision", tags=["supervision"])

SUPERVISOR = Depends(allow(Role.SUPERVISOR))


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ActionIn(_In):
    kind: ActionKind = Field(description="检查、许可发放、不予许可、备案、其他")
    note: str = Field(min_length=1, max_length=1000, description="处理情况")
    reference: str | None = Field(default=None, max_length=100, description="许可证号等")


class CloseIn(_In):
    note: str = Field(min_length=1, max_length=1000, description="办结说明")


class BrokenCommitmentIn(_In):
    commitment: Commitment = Field(description="被违反的承诺")
    note: str = Field(min_length=1, max_length=1000, description="发现的情况")


@router.get("/copies", response_model=SupervisionCopyList)
def list_copies(
    conn: ConnDep,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(allow(Role.SUPERVISOR, Role.STAFF))],
    status: Annotated[str | None, Query(max_length=16)] = None,
    overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> SupervisionCopyList:
    """A department's pushed copies (pull API); staff see every department's.
    ``overdue=true``: copies not claimed within 2 working days (escalated)."""
    items = service.list_for(conn, principal, clock.today(), status, overdue, limit)
    return SupervisionCopyList.model_validate({"items": items})


@router.get(
    "/copies/{copy_id}",
    response_model=SupervisionCopyRead,
    responses=answered_with(CopyNotFound),
)
def read_copy(
    copy_id: str, conn: ConnDep, clock: ClockDep, principal: Annotated[Principal, SUPERVISOR]
) -> SupervisionCopyRead:
    copy = service.read_copy(conn, principal, copy_id, clock.today())
    return SupervisionCopyRead.model_validate(copy)


@router.post(
    "/copies/{copy_id}/ack",
    response_model=SupervisionCopyRead,
    responses=answered_with(CopyNotFound),
)
def acknowledge(
    copy_id: str, conn: ConnDep, clock: ClockDep, principal: Annotated[Principal, SUPERVISOR]
) -> SupervisionCopyRead:
    """签收 (idempotent)."""
    copy = service.acknowledge(conn, principal, copy_id, clock.now())
    return SupervisionCopyRead.model_validate(copy)


@router.post(
    "/copies/{copy_id}/claim",
    response_model=SupervisionCopyRead,
    responses=answered_with(CopyNotFound, IllegalTransition),
)
def claim(
    copy_id: str, conn: ConnDep, clock: ClockDep, principal: Annotated[Principal, SUPERVISOR]
) -> SupervisionCopyRead:
    """认领 (idempotent)."""
    copy = service.claim(conn, principal, copy_id, clock.now())
    return SupervisionCopyRead.model_validate(copy)


@router.post(
    "/copies/{copy_id}/actions",
    response_model=SupervisionCopyRead,
    responses=answered_with(CopyNotFound, IllegalTransition),
)
def record_action(
    copy_id: str,
    body: ActionIn,
    conn: ConnDep,
    clock: ClockDep,
    principal: Annotated[Principal, SUPERVISOR],
) -> SupervisionCopyRead:
    copy = service.record_action(
        conn, principal, copy_id, clock.now(), body.kind, body.note, body.reference
    )
    return SupervisionCopyRead.model_validate(copy)


@router.post(
    "/copies/{copy_id}/close",
    response_model=SupervisionCopyRead,
    responses=answered_with(CopyNotFound, IllegalTransition),
)
def close(
    copy_id: str,
    body: CloseIn,
    conn: ConnDep,
    clock: ClockDep,
    principal: Annotated[Principal, SUPERVISOR],
) -> SupervisionCopyRead:
    copy = service.close(conn, principal, copy_id, clock.now(), body.note)
    return SupervisionCopyRead.model_validate(copy)


@router.post(
    "/copies/{copy_id}/broken-commitments",
    status_code=201,
    response_model=BrokenCommitmentRead,
    responses=answered_with(CopyNotFound),
)
def report_broken_commitment(
    copy_id: str,
    body: BrokenCommitmentIn,
    conn: ConnDep,
    clock: ClockDep,
    principal: Annotated[Principal, SUPERVISOR],
) -> BrokenCommitmentRead:
    """A broken commitment goes onto the registration's record (timeline and audit)."""
    report = service.report_broken_commitment(
        conn, principal, copy_id, clock.now(), body.commitment, body.note
    )
    return BrokenCommitmentRead.model_validate(report)
