from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from approval.access.endpoints import allow
from approval.endpoints import provided
from approval.errors import Forbidden, InvalidApplication, answered_with
from approval.kernel.principal import Principal, Role
from approval.name_checks import service
from approval.name_checks.schemas import NameCheckRead, NameRequestIn, ReservationRead

NameDeskDep = Annotated[service.NameDesk, provided("name_desk", service.NameDesk)]

router = APIRouter(prefix="/v1/names", tags=["names"])

APPLICANTS = (Role.TERMINAL, Role.MOBILE, Role.STAFF)
CHECK_ERRORS = (InvalidApplication, Forbidden, service.NameRegistryUnavailable)


def _request(body: NameRequestIn) -> service.NameRequest:
    return service.NameRequest(body.name, body.district_code, body.id_type, body.id_number)


@router.post("/check", response_model=NameCheckRead, responses=answered_with(*CHECK_ERRORS))
async def check_name(
    body: NameRequestIn,
    desk: NameDeskDep,
    principal: Annotated[Principal, Depends(allow(*APPLICANTS))],
) -> NameCheckRead:
    """What the name rules in force say about a proposed name at its authority (identical,
    similar, prohibited, restricted, structure), with the same reasons a submission would get;
    nothing is submitted or reserved."""
    return NameCheckRead.model_validate(await service.check_name(desk, principal, _request(body)))


@router.post(
    "/reservations",
    status_code=201,
    response_model=ReservationRead,
    responses=answered_with(*CHECK_ERRORS, service.NameRefused, service.NameNotFree),
)
async def reserve_name(
    body: NameRequestIn,
    response: Response,
    desk: NameDeskDep,
    principal: Annotated[Principal, Depends(allow(*APPLICANTS))],
) -> ReservationRead:
    """Reserve a free name for two months for the applicant whose ID is given (a mobile key:
    only its own holder). Others' applications for it are refused (R23) while it is reserved;
    the holder's own application uses it up. Asking again for a live reservation of one's own
    answers it again (200)."""
    created, answer = await service.reserve(desk, principal, _request(body))
    if not created:
        response.status_code = 200
    return ReservationRead.model_validate(answer)
