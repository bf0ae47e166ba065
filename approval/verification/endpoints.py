from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from approval.access.endpoints import allow
from approval.endpoints import ConnDep
from approval.kernel.principal import Principal, Role
from approval.verification import service

router = APIRouter(tags=["data access"])

DATA_ACCESS_READERS = (Role.MOBILE,)


@router.get("/v1/me/data-access")
def my_data_access(
    conn: ConnDep,
    principal: Annotated[Principal, Depends(allow(*DATA_ACCESS_READERS))],
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> Any:
    """Which registry was queried about me, when, for which application and on what legal basis.

    Newest first; one line per exchange with a registry (a retried query shows each attempt).
    """
    return service.data_access_log(conn, principal, limit)


metrics_router = APIRouter(tags=["operations"])


@metrics_router.get("/metrics", include_in_schema=False)
def metrics() -> Response:
    """Prometheus metrics (no personal data): registry requests, latency, breaker state.

    Unauthenticated like /healthz, for the scraper; expose it on the internal network only.
    """
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
