"""Objections to impersonated registration: filed in the app, handled by registry staff."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from approval.access.endpoints import allow
from approval.applications.errors import ApplicationStateChanged, IllegalApplicationTransition
from approval.endpoints import CalendarDep, ClockDep, ConnDep, LifecycleDep
from approval.errors import IllegalTransition, LicenceNotFound, answered_with
from approval.kernel.identifiers import CreditCode, ResidentId
from approval.kernel.principal import Principal, Role
from approval.objections import service
from approval.objections.schemas import ObjectionEvidence, ObjectionList, ObjectionRead
from approval.objections.service import NoticeRunning, NotTheImpersonatedPerson, ObjectionNotFound

router = APIRouter(prefix="/v1/objections", tags=["objections"])

STAFF = Depends(allow(Role.STAFF))
Text = Annotated[str, Field(min_length=1, max_length=2000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ObjectionIn(_In):
    credit_code: CreditCode = Field(description="被冒名登记的信用代码")
    grounds: Text = Field(description="异议理由：本人未申请该登记")


class AcceptanceIn(_In):
    accept: bool
    reason: Text


class ReasonIn(_In):
    reason: Text


class InvestigationIn(_In):
    finding: Literal["impersonation_confirmed", "not_confirmed", "partly_false"]
    reason: Text


class LegalReviewIn(_In):
    opinion: Literal["agree", "disagree"]
    reason: Text


class ResponsiblePerson(_In):
    id_number: ResidentId = Field(description="直接责任人员身份证号码")
    name: str | None = Field(default=None, max_length=50)


class DecisionIn(_In):
    decision: Literal["revoke", "revoke_false_items", "not_revoke"]
    reason: Text
    false_items: list[Annotated[str, Field(max_length=50)]] = Field(
        default_factory=list, max_length=20, description="仅撤销的虚假登记事项"
    )
    responsible_person: ResponsiblePerson | None = None


@router.post(
    "",
    status_code=201,
    response_model=ObjectionRead,
    responses=answered_with(LicenceNotFound, NotTheImpersonatedPerson, IllegalTransition),
)
def file_objection(
    body: ObjectionIn,
    conn: ConnDep,
    calendar: CalendarDep,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(allow(Role.MOBILE))],
) -> ObjectionRead:
    """The person whose identity was used objects (identity: the app's key bound to their ID)."""
    objection = service.file_objection(
        conn, principal, body.credit_code, body.grounds, clock.now(), calendar
    )
    return ObjectionRead.model_validate(objection)


@router.get("", response_model=ObjectionList)
def list_objections(
    conn: ConnDep, clock: ClockDep, principal: Annotated[Principal, STAFF], overdue: bool = False
) -> ObjectionList:
    """Open objections by stage deadline; ``overdue=true``: the stage's deadline has passed."""
    items = service.list_open(conn, principal, clock.today(), overdue)
    return ObjectionList.model_validate({"items": items})


@router.get(
    "/{objection_id}",
    response_model=ObjectionRead,
    responses=answered_with(ObjectionNotFound),
)
def read_objection(
    objection_id: str,
    conn: ConnDep,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(allow(Role.STAFF, Role.MOBILE))],
) -> ObjectionRead:
    objection = service.read(conn, principal, objection_id, clock.today())
    return ObjectionRead.model_validate(objection)


@router.post(
    "/{objection_id}/acceptance",
    response_model=ObjectionRead,
    responses=answered_with(ObjectionNotFound, IllegalTransition),
)
def acceptance(
    objection_id: str,
    body: AcceptanceIn,
    conn: ConnDep,
    clock: ClockDep,
    principal: Annotated[Principal, STAFF],
) -> ObjectionRead:
    """受理 or not (within 3 working days)."""
    objection = service.decide_acceptance(
        conn, principal, objection_id, clock.now(), body.accept, body.reason
    )
    return ObjectionRead.model_validate(objection)


@router.get(
    "/{objection_id}/evidence",
    response_model=ObjectionEvidence,
    responses=answered_with(ObjectionNotFound),
)
def evidence(
    objection_id: str, conn: ConnDep, principal: Annotated[Principal, STAFF]
) -> ObjectionEvidence:
    return ObjectionEvidence.model_validate(service.evidence(conn, principal, objection_id))


@router.post(
    "/{objection_id}/public-notice",
    response_model=ObjectionRead,
    responses=answered_with(ObjectionNotFound, IllegalTransition),
)
def public_notice(
    objection_id: str,
    body: ReasonIn,
    conn: ConnDep,
    clock: ClockDep,
    principal: Annotated[Principal, STAFF],
) -> ObjectionRead:
    """The parties cannot be reached: 45 days' public notice before any decision."""
    objection = service.start_public_notice(conn, principal, objection_id, clock.now(), body.reason)
    return ObjectionRead.model_validate(objection)


@router.post(
    "/{objection_id}/investigation",
    response_model=ObjectionRead,
    responses=answered_with(ObjectionNotFound, IllegalTransition, NoticeRunning),
)
def investigation(
    objection_id: str,
    body: InvestigationIn,
    conn: ConnDep,
    calendar: CalendarDep,
    clock: ClockDep,
    principal: Annotated[Principal, STAFF],
) -> ObjectionRead:
    objection = service.finish_investigation(
        conn,
        principal,
        objection_id,
        clock.now(),
        body.finding,
        body.reason,
        calendar,
    )
    return ObjectionRead.model_validate(objection)


@router.post(
    "/{objection_id}/legal-review",
    response_model=ObjectionRead,
    responses=answered_with(ObjectionNotFound, IllegalTransition),
)
def legal_review(
    objection_id: str,
    body: LegalReviewIn,
    conn: ConnDep,
    calendar: CalendarDep,
    clock: ClockDep,
    principal: Annotated[Principal, STAFF],
) -> ObjectionRead:
    objection = service.finish_legal_review(
        conn,
        principal,
        objection_id,
        clock.now(),
        body.opinion,
        body.reason,
        calendar,
    )
    return ObjectionRead.model_validate(objection)


@router.post(
    "/{objection_id}/decision",
    response_model=ObjectionRead,
    responses=answered_with(
        ObjectionNotFound, IllegalTransition, IllegalApplicationTransition, ApplicationStateChanged
    ),
)
def decision(
    objection_id: str,
    body: DecisionIn,
    conn: ConnDep,
    clock: ClockDep,
    lifecycle: LifecycleDep,
    principal: Annotated[Principal, STAFF],
) -> ObjectionRead:
    """终办: revoke, revoke only the false items, or not revoke — with reasons."""
    person = body.responsible_person
    objection = service.decide(
        conn,
        principal,
        objection_id,
        clock.now(),
        body.decision,
        body.reason,
        body.false_items,
        person.id_number if person else None,
        person.name if person else None,
        lifecycle,
    )
    return ObjectionRead.model_validate(objection)


@router.post(
    "/{objection_id}/annulment",
    response_model=ObjectionRead,
    responses=answered_with(
        ObjectionNotFound, IllegalTransition, IllegalApplicationTransition, ApplicationStateChanged
    ),
)
def annulment(
    objection_id: str,
    body: ReasonIn,
    conn: ConnDep,
    clock: ClockDep,
    lifecycle: LifecycleDep,
    principal: Annotated[Principal, STAFF],
) -> ObjectionRead:
    """Annul a wrong revocation and restore the prior state."""
    objection = service.annul(conn, principal, objection_id, clock.now(), body.reason, lifecycle)
    return ObjectionRead.model_validate(objection)
