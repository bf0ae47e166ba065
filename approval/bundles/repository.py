from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.engine import Connection

from approval.bundles.tables import bundle_applications, bundle_parts


def find_by_registration(conn: Connection, registration_id: str) -> Row[Any] | None:
    return conn.execute(
        select(bundle_applications).where(bundle_applications.c.registration_id == registration_id)
    ).first()


def get(conn: Connection, bundle_id: str) -> Row[Any] | None:
    return conn.execute(
        select(bundle_applications).where(bundle_applications.c.id == bundle_id)
    ).first()


def parts(conn: Connection, bundle_id: str) -> list[Row[Any]]:
    return list(
        conn.execute(
            select(bundle_parts)
            .where(bundle_parts.c.bundle_id == bundle_id)
            .order_by(bundle_parts.c.item_code)
        )
    )


def insert_bundle(
    conn: Connection,
    *,
    bundle_id: str,
    bundle_code: str,
    registration_id: str,
    key_id: str,
    now: dt.datetime,
    parts: Sequence[dict[str, Any]],
) -> None:
    conn.execute(
        insert(bundle_applications).values(
            id=bundle_id,
            bundle_code=bundle_code,
            registration_id=registration_id,
            key_id=key_id,
            created_at=now,
        )
    )
    conn.execute(
        insert(bundle_parts), [{"bundle_id": bundle_id, "updated_at": now, **p} for p in parts]
    )


def update_part(
    conn: Connection,
    bundle_id: str,
    now: dt.datetime,
    *,
    item_code: str,
    status: str,
    detail: str,
    due_date: dt.date | None,
) -> None:
    parts = bundle_parts
    conn.execute(
        update(parts)
        .where(parts.c.bundle_id == bundle_id, parts.c.item_code == item_code)
        .values(status=status, detail=detail, due_date=due_date, updated_at=now)
    )
