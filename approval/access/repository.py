from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.engine import Connection

from approval.access.tables import GENERATION_ROW, api_key_generation
from approval.database import api_keys

ConnectionFactory = Callable[[], AbstractContextManager[Connection]]


def insert_key(
    conn: Connection,
    key_id: str,
    key_hash: str,
    role: str,
    subject: str | None,
    label: str | None,
    now: dt.datetime,
    department: str | None = None,
    hall_code: str | None = None,
) -> None:
    conn.execute(
        insert(api_keys).values(
            id=key_id,
            key_hash=key_hash,
            role=role,
            subject=subject,
            label=label,
            created_at=now,
            department=department,
            hall_code=hall_code,
        )
    )


def find_active_key(conn: Connection, key_hash: str) -> Row[Any, Any, Any, Any] | None:
    return conn.execute(
        select(api_keys.c.id, api_keys.c.role, api_keys.c.subject, api_keys.c.hall_code).where(
            api_keys.c.key_hash == key_hash, api_keys.c.revoked_at.is_(None)
        )
    ).first()


_LISTED = (
    api_keys.c.id,
    api_keys.c.role,
    api_keys.c.label,
    api_keys.c.subject,
    api_keys.c.hall_code,
    api_keys.c.department,
    api_keys.c.created_at,
    api_keys.c.revoked_at,
    api_keys.c.revoked_by,
)


KeyRow = Row[Any, Any, Any, Any, Any, Any, Any, Any, Any]  # the _LISTED columns


def get_key(conn: Connection, key_id: str) -> KeyRow | None:
    return conn.execute(select(*_LISTED).where(api_keys.c.id == key_id)).first()


def list_keys(conn: Connection) -> list[KeyRow]:
    return list(conn.execute(select(*_LISTED).order_by(api_keys.c.created_at, api_keys.c.id)))


def mark_revoked(conn: Connection, key_id: str, by: str, now: dt.datetime) -> bool:
    """Revoke the key if it is active; whether this call revoked it."""
    result = conn.execute(
        update(api_keys)
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by=by)
    )
    return result.rowcount == 1


def read_generation(conn: Connection) -> int:
    value = conn.execute(
        select(api_key_generation.c.generation).where(api_key_generation.c.id == GENERATION_ROW)
    ).scalar()
    return int(value or 0)
