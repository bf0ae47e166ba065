from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.engine import Connection

from approval.database import (
    applications,
    registry_answers,
    row_writer,
)


def find_by_idempotency_key(
    conn: Connection, key_id: str, idempotency_key: str
) -> Row[Any, Any, Any, Any] | None:
    return conn.execute(
        select(
            applications.c.id,
            applications.c.request_hash,
            applications.c.response,
            applications.c.opening_records,
        ).where(applications.c.key_id == key_id, applications.c.idempotency_key == idempotency_key)
    ).first()


def insert_registry_answers(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        row_writer(registry_answers, conn.dialect).insert(conn, rows)


def list_applications(
    conn: Connection,
    *,
    key_id: str | None,
    operator_id_number: str | None,
    status: str | None,
    limit: int,
    before: dt.datetime | None,
) -> list[Row[Any]]:
    """Newest first; narrowed to one key's or one applicant's applications when given."""
    query = select(
        applications.c.id,
        applications.c.created_at,
        applications.c.status,
        applications.c.outcome,
        applications.c.channel,
        applications.c.operator_id_number,
        applications.c.payload["name"].as_string().label("name"),
    )
    if key_id is not None:
        query = query.where(applications.c.key_id == key_id)
    if operator_id_number is not None:
        query = query.where(applications.c.operator_id_number == operator_id_number)
    if status is not None:
        query = query.where(applications.c.status == status)
    if before is not None:
        query = query.where(applications.c.created_at < before)
    order = (applications.c.created_at.desc(), applications.c.id.desc())
    return list(conn.execute(query.order_by(*order).limit(limit)))
