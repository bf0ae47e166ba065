from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request

from approval.access.endpoints import ContextDep, allow
from approval.access.service import Principal, Role
from approval.bundles import service
from approval.bundles.schemas import BundleCreate, BundleRead
from approval.errors import (
    BundleNotFound,
    BundleScopeMissing,
    HallNotOfKey,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    InvalidApplication,
    ItemNotDelegatedToHall,
    ItemNotOnChannel,
    UnknownHall,
    answered_with,
)
from approval.openapi import json_body

router = APIRouter(prefix="/v1/bundles", tags=["bundles"])

APPLICANTS = (Role.TERMINAL, Role.MOBILE, Role.STAFF)


@router.post(
    "/{bundle_code}/applications",
    status_code=201,
    openapi_extra=json_body(BundleCreate),
    responses=answered_with(
        BundleNotFound,
        BundleScopeMissing,
        IdempotencyKeyReused,
        IdempotencyKeyRequired,
        InvalidApplication,
        HallNotOfKey,
        UnknownHall,
        ItemNotOnChannel,
        ItemNotDelegatedToHall,
    ),
)
async def submit_bundle(
    bundle_code: str,
    request: Request,
    context: ContextDep,
    principal: Annotated[Principal, Depends(allow(*APPLICANTS))],
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> BundleRead:
    """One form, one submission: the registration is decided now, the other parts follow."""
    body = await service.submit_bundle(
        context, principal, bundle_code, await request.body(), idempotency_key
    )
    return BundleRead.model_validate(body)


@router.get("/applications/{bundle_id}", responses=answered_with(BundleNotFound))
def read_bundle(
    bundle_id: str,
    context: ContextDep,
    principal: Annotated[Principal, Depends(allow(*APPLICANTS))],
) -> BundleRead:
    """The combined result of a bundle and the state of each part."""
    with context.db.reading() as conn:
        return BundleRead.model_validate(service.read_bundle(conn, context, principal, bundle_id))
