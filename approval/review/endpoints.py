"""The manual-review queue for registry staff."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from approval.access.endpoints import allow
from approval.applications.errors import ApplicationStateChanged, IllegalApplicationTransition
from approval.decisions.facts import ReferenceData
from approval.endpoints import (
    CalendarDep,
    ClockDep,
    ConnDep,
    LifecycleDep,
    provided,
)
from approval.engine.ruleset import Ruleset
from approval.errors import IllegalTransition, answered_with
from approval.kernel.principal import Principal, Role
from approval.kernel.status import Outcome
from approval.licences.service import LicenceIssuer
from approval.review import service
from approval.review.schemas import ReviewCaseRead, ReviewDecision, ReviewExtension, ReviewQueue
from approval.review.service import ClaimedByAnother, NotInQueue

IssuerDep = Annotated[LicenceIssuer, provided("issuer", LicenceIssuer)]
ReferenceDep = Annotated[ReferenceData, provided("reference", ReferenceData)]

RulesetDep = Annotated[Ruleset, provided("ruleset", Ruleset)]

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


@router.get("/cases", response_model=ReviewQueue)
def list_cases(
    conn: ConnDep,
    calendar: CalendarDep,
    clock: ClockDep,
    principal: Annotated[Principal, STAFF],
    overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ReviewQueue:
    """Applications waiting for a person, oldest first; ``overdue=true``: past the limit."""
    items = service.list_queue(conn, clock.today(), calendar, overdue)
    return ReviewQueue.model_validate({"total": len(items), "items": items[:limit]})


@router.get(
    "/cases/{application_id}",
    response_model=ReviewCaseRead,
    responses=answered_with(NotInQueue),
)
def read_case(
    application_id: str,
    conn: ConnDep,
    calendar: CalendarDep,
    ruleset: RulesetDep,
    clock: ClockDep,
    principal: Annotated[Principal, STAFF],
) -> ReviewCaseRead:
    case = service.view(conn, application_id, ruleset, clock.today(), calendar)
    return ReviewCaseRead.model_validate(case)


@router.post(
    "/cases/{application_id}/claim",
    response_model=ReviewCaseRead,
    responses=answered_with(NotInQueue, ClaimedByAnother),
)
def claim_case(
    application_id: str,
    conn: ConnDep,
    calendar: CalendarDep,
    clock: ClockDep,
    ruleset: RulesetDep,
    principal: Annotated[Principal, STAFF],
) -> ReviewCaseRead:
    case = service.claim(conn, principal, application_id, clock.now(), calendar, ruleset)
    return ReviewCaseRead.model_validate(case)


@router.post(
    "/cases/{application_id}/extension",
    response_model=ReviewExtension,
    responses=answered_with(NotInQueue, IllegalTransition),
)
def extend_case(
    application_id: str,
    body: ExtensionIn,
    conn: ConnDep,
    calendar: CalendarDep,
    clock: ClockDep,
    principal: Annotated[Principal, STAFF],
) -> ReviewExtension:
    """The head's extension (+3 working days, once)."""
    extension = service.extend(
        conn,
        principal,
        application_id,
        clock.now(),
        calendar,
        body.approved_by,
        body.reason,
    )
    return ReviewExtension.model_validate(extension)


@router.post(
    "/cases/{application_id}/decision",
    response_model=ReviewDecision,
    responses=answered_with(
        NotInQueue,
        IllegalTransition,
        IllegalApplicationTransition,
        ApplicationStateChanged,
        service.NameNoLongerFree,
    ),
)
def decide_case(
    application_id: str,
    body: DecisionIn,
    conn: ConnDep,
    clock: ClockDep,
    issuer: IssuerDep,
    reference: ReferenceDep,
    lifecycle: LifecycleDep,
    principal: Annotated[Principal, STAFF],
) -> ReviewDecision:
    """Approve (the licence is issued as for an automatic approval) or reject, with reasons."""
    prepared = service.prepare(conn, principal, application_id, reference.names)
    approve = body.decision == Outcome.APPROVE.value
    now = clock.now()
    signed = None
    if approve:
        # a credit-code serial is a sequence: taken in its own short transaction, before this
        # one writes, so a rolled-back decision leaves a gap and never a duplicate
        signed = issuer.issue(prepared.app, reference.scope, now)
    decided = service.decide(
        conn,
        principal,
        application_id,
        now,
        approve,
        body.reasons,
        prepared,
        reference.scope,
        signed,
        lifecycle,
    )
    return ReviewDecision.model_validate(decided)
