"""The manual-review queue for registry staff."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from approval.access.endpoints import ContextDep, allow
from approval.access.service import Principal, Role
from approval.kernel.status import Outcome
from approval.review import service

router = APIRouter(prefix="/v1/review", tags=["review"])

STAFF = Depends(allow(Role.STAFF))


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DecisionIn(_In):
    decision: Literal["approve", "reject"]
    reasons: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        min_length=1, max_length=20, description="决定理由（驳回时一次性告知申请人）"
    )


class ExtensionIn(_In):
    approved_by: str = Field(min_length=1, max_length=50, description="批准延长的负责人")
    reason: str = Field(min_length=1, max_length=500)


@router.get("/cases")
def list_cases(
    context: ContextDep,
    principal: Annotated[Principal, STAFF],
    overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Applications waiting for a person, oldest first; ``overdue=true``: past the limit."""
    calendar = context.calendar
    with context.db.reading() as conn:
        items = service.list_queue(conn, context.clock.today(), calendar, overdue)
    return {"total": len(items), "items": items[:limit]}


@router.get("/cases/{application_id}")
def read_case(
    application_id: str, context: ContextDep, principal: Annotated[Principal, STAFF]
) -> dict[str, Any]:
    calendar = context.calendar
    with context.db.reading() as conn:
        return service.view(conn, application_id, context.ruleset, context.clock.today(), calendar)


@router.post("/cases/{application_id}/claim")
def claim_case(
    application_id: str, context: ContextDep, principal: Annotated[Principal, STAFF]
) -> dict[str, Any]:
    calendar = context.calendar
    with context.db.transaction() as conn:
        return service.claim(
            conn, principal, application_id, context.clock.now(), calendar, context.ruleset
        )


@router.post("/cases/{application_id}/extension")
def extend_case(
    application_id: str,
    body: ExtensionIn,
    context: ContextDep,
    principal: Annotated[Principal, STAFF],
) -> dict[str, Any]:
    """The head's extension (+3 working days, once)."""
    calendar = context.calendar
    with context.db.transaction() as conn:
        return service.extend(
            conn,
            principal,
            application_id,
            context.clock.now(),
            calendar,
            body.approved_by,
            body.reason,
        )


@router.post("/cases/{application_id}/decision")
def decide_case(
    application_id: str,
    body: DecisionIn,
    context: ContextDep,
    principal: Annotated[Principal, STAFF],
) -> dict[str, Any]:
    """Approve (the licence is issued as for an automatic approval) or reject, with reasons."""
    with context.db.reading() as conn:
        prepared = service.prepare(conn, principal, application_id)
    approve = body.decision == Outcome.APPROVE.value
    now = context.clock.now()
    signed = None
    if approve:
        # the serial is taken outside the decision's transaction (it has its own)
        serial = context.serials.take(prepared.authority_code)
        signed = service.issue(prepared, serial, context.reference.scope, context.signer, now)
    with context.db.transaction() as conn:
        return service.decide(
            conn,
            principal,
            application_id,
            now,
            approve,
            body.reasons,
            prepared,
            context.reference.scope,
            signed,
            context.lifecycle,
        )
