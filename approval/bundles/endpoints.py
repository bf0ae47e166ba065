from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request

from approval.access.endpoints import allow
from approval.bundles import service
from approval.bundles.schemas import BundleCreate
from approval.catalog.endpoints import CatalogDep
from approval.endpoints import ConnDep, SettingsDep
from approval.intake.endpoints import IntakeDep
from approval.kernel.principal import Principal, Role

router = APIRouter(prefix="/v1/bundles", tags=["bundles"])

APPLICANTS = (Role.TERMINAL, Role.MOBILE, Role.STAFF)


@router.post(
    "/{bundle_code}/applications",
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": BundleCreate.model_json_schema()}},
        }
    },
)
async def submit_bundle(
    bundle_code: str,
    request: Request,
    intake: IntakeDep,
    principal: Annotated[Principal, Depends(allow(*APPLICANTS))],
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> dict[str, Any]:
    """One form, one submission: the registration is decided now, the other parts follow."""
    return await service.submit_bundle(
        intake, principal, bundle_code, await request.body(), idempotency_key
    )


@router.get("/applications/{bundle_id}")
def read_bundle(
    bundle_id: str,
    conn: ConnDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(allow(*APPLICANTS))],
) -> dict[str, Any]:
    """The combined result of a bundle and the state of each part."""
    return service.read_bundle(conn, catalog, settings.base_url, principal, bundle_id)
