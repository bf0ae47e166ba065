"""Who is calling: the API key in ``Authorization: Bearer …`` and the roles an endpoint allows;
and the staff endpoints that list and revoke keys.

The dependencies are ``async`` so they run on the event loop, not in the thread pool: they are
cheap (a cached key) and the pool hop costs more than they do.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.types import Scope

from approval.access import service
from approval.access.errors import KeyAlreadyRevoked, KeyNotFound, TooManyFailedAuthentications
from approval.access.schemas import KeyList, KeyRead
from approval.access.service import KeyCache
from approval.database import Database
from approval.endpoints import ClockDep, ConnDep, adapter_of
from approval.errors import Forbidden, answered_with
from approval.kernel.principal import Principal, Role

# set on the request's scope by whichever authenticates first: the request gate, before it lets
# a body be read, or the role check
PRINCIPAL_SCOPE_KEY = "miaopi.principal"
# seconds a refused address must wait; the request gate turns it into a Retry-After header
RETRY_AFTER_SCOPE_KEY = "miaopi.retry_after"

# every role check made by allow(): the request gate finds them in a route's dependencies
KEY_CHECKS: set[Callable[..., object]] = set()


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def principal_of(scope: Scope) -> Principal:
    """The caller, authenticated once per request; refusals are ApprovalErrors (401, 429)."""
    known = scope.get(PRINCIPAL_SCOPE_KEY)
    if isinstance(known, Principal):
        return known
    authorization = ""
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            authorization = value.decode("latin-1")
            break
    try:
        app = scope["app"]
        principal = service.authenticate(
            adapter_of(app, "keys", KeyCache),
            adapter_of(app, "db", Database).transaction,
            authorization,
            client_address(scope),
        )
    except TooManyFailedAuthentications as exc:
        scope[RETRY_AFTER_SCOPE_KEY] = exc.extra["retry_after"]
        raise
    scope[PRINCIPAL_SCOPE_KEY] = principal
    return principal


def allow(*roles: Role) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency admitting only these roles; every endpoint names its list explicitly."""
    allowed = frozenset(roles)

    async def check(request: Request) -> Principal:
        # one flat dependency: nested ones cost more per request than the work they do
        principal = principal_of(request.scope)
        if principal.role not in allowed:
            raise Forbidden(f"角色 {principal.role.value} 无权访问此接口")
        return principal

    KEY_CHECKS.add(check)
    return check


router = APIRouter(prefix="/v1/keys", tags=["keys"])
STAFF = Depends(allow(Role.STAFF))


def _read(record: service.KeyRecord) -> KeyRead:
    return KeyRead(**dataclasses.asdict(record))


@router.get("", response_model=KeyList)
def list_keys(conn: ConnDep, _principal: Annotated[Principal, STAFF]) -> KeyList:
    """Every key, oldest first: particulars only; the applicant of a mobile key masked."""
    return KeyList(keys=[_read(record) for record in service.list_keys(conn)])


@router.post(
    "/{key_id}/revoke",
    response_model=KeyRead,
    responses=answered_with(KeyNotFound, KeyAlreadyRevoked),
)
def revoke_key(
    key_id: str, conn: ConnDep, clock: ClockDep, principal: Annotated[Principal, STAFF]
) -> KeyRead:
    """Revoke a key for good (audited); every process refuses it within a second."""
    record = service.revoke_key(conn, key_id, principal.key_id, principal.role.value, clock.now())
    return _read(record)
