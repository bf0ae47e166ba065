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

from approval.access import service
from approval.access.schemas import KeyList, KeyRead
from approval.access.service import Principal, Role
from approval.context import AppContext
from approval.errors import Forbidden, Unauthenticated


async def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


ContextDep = Annotated[AppContext, Depends(get_context)]


def _principal(request: Request, context: AppContext) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated("请在 Authorization 请求头中以 Bearer 方式提供 API 密钥")
    principal = context.keys.resolve(context.db.transaction, secret.strip())
    if principal is None:
        raise Unauthenticated("API 密钥无效或已停用")
    return principal


def allow(*roles: Role) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency admitting only these roles; every endpoint names its list explicitly."""
    allowed = frozenset(roles)

    async def check(request: Request) -> Principal:
        # one flat dependency: nested ones cost more per request than the work they do
        principal = _principal(request, request.app.state.context)
        if principal.role not in allowed:
            raise Forbidden(f"角色 {principal.role.value} 无权访问此接口")
        return principal

    return check


router = APIRouter(prefix="/v1/keys", tags=["keys"])
STAFF = Depends(allow(Role.STAFF))


def _read(record: service.KeyRecord) -> KeyRead:
    return KeyRead(**dataclasses.asdict(record))


@router.get("", response_model=KeyList)
def list_keys(context: ContextDep, _principal: Annotated[Principal, STAFF]) -> KeyList:
    """Every key, oldest first: particulars only; the applicant of a mobile key masked."""
    with context.db.reading() as conn:
        return KeyList(keys=[_read(record) for record in service.list_keys(conn)])


@router.post("/{key_id}/revoke", response_model=KeyRead)
def revoke_key(key_id: str, context: ContextDep, principal: Annotated[Principal, STAFF]) -> KeyRead:
    """Revoke a key for good (audited); every process refuses it within a second."""
    with context.db.transaction() as conn:
        record = service.revoke_key(
            conn, key_id, principal.key_id, principal.role.value, context.clock.now()
        )
    return _read(record)
