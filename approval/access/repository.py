from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Row, insert, select
from sqlalchemy.engine import Connection

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
