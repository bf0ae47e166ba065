from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request

from approval.access.endpoints import allow
from approval.bundles import service
from approval.bundles.schemas import BundleCreate, BundleRead
from approval.catalog.endpoints import CatalogDep
from approval.endpoints import ConnDep, SettingsDep
from approval.errors import (
    BundleNotFound,
    BundleScopeMissing,
    answered_with,
)
from approval.intake.endpoints import SUBMISSION_ERRORS, IntakeDep
from approval.kernel.principal import Principal, Role
from approval.openapi import json_body

router = APIRouter(prefix="/v1/bundles", tags=["bundles"])

APPLICANTS = (Role.TERMINAL, Role.MOBILE, Role.STAFF)


@router.post(
    "/{bundle_code}/applications",
    status_code=201,
    openapi_extra=json_body(BundleCreate),
    responses=answered_with(BundleNotFound, BundleScopeMissing, *SUBMISSION_ERRORS),
)
async def submit_bundle(
    bundle_code: str,
    request: Request,
    intake: IntakeDep,
    principal: Annotated[Principal, Depends(allow(*APPLICANTS))],
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> BundleRead:
    """One form, one submission: the registration is decided now, the other parts follow."""
    body = await service.submit_bundle(
        intake, principal, bundle_code, await request.body(), idempotency_key
    )
    return BundleRead.model_validate(body)


@router.get("/applications/{bundle_id}", responses=answered_with(BundleNotFound))
def read_bundle(
    bundle_id: str,
    conn: ConnDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(allow(*APPLICANTS))],
) -> BundleRead:
    """The combined result of a bundle and the state of each part."""
    body = service.read_bundle(conn, catalog, settings.base_url, principal, bundle_id)
    return BundleRead.model_validate(body)
