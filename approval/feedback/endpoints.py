from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from approval.access.endpoints import allow
from approval.endpoints import ClockDep, ConnDep
from approval.errors import AlreadyRated, ApplicationNotFound, NotYetCompleted, answered_with
from approval.feedback import service
from approval.feedback.schemas import RatingCreate
from approval.kernel.principal import Principal, Role

router = APIRouter(tags=["feedback"])

RATERS = (Role.MOBILE, Role.TERMINAL)


@router.post(
    "/v1/applications/{application_id}/rating",
    status_code=204,
    responses=answered_with(ApplicationNotFound, NotYetCompleted, AlreadyRated),
)
def rate_application(
    application_id: str,
    rating: RatingCreate,
    conn: ConnDep,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(allow(*RATERS))],
) -> Response:
    """The applicant rates a completed application, once (满意率)."""
    service.rate(conn, principal, application_id, rating, clock.now())
    return Response(status_code=204)
