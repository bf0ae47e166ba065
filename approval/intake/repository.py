from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, insert, select
from sqlalchemy.engine import Connection

from approval.database import application_events, applications, outbox, registry_answers


def find_by_idempotency_key(
    conn: Connection, key_id: str, idempotency_key: str
) -> Row[Any, Any, Any] | None:
    return conn.execute(
        select(applications.c.id, applications.c.request_hash, applications.c.response).where(
            applications.c.key_id == key_id, applications.c.idempotency_key == idempotency_key
        )
    ).first()


# Statements are built once and given their values as parameters, so SQLAlchemy's compiled
# cache is hit on every request instead of re-keying a statement with inline values.
_INSERT_APPLICATION = insert(applications)
_INSERT_ANSWERS = insert(registry_answers)
_INSERT_EVENTS = insert(application_events)
_INSERT_OUTBOX = insert(outbox)


def insert_application(conn: Connection, **values: Any) -> None:
    conn.execute(_INSERT_APPLICATION, values)


def insert_registry_answers(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(_INSERT_ANSWERS, list(rows))


def insert_events(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    conn.execute(_INSERT_EVENTS, list(rows))


def insert_outbox(
    conn: Connection, kind: str, aggregate_id: str, payload: dict[str, Any], now: dt.datetime
) -> None:
    conn.execute(
        _INSERT_OUTBOX,
        {"kind": kind, "aggregate_id": aggregate_id, "payload": payload, "created_at": now},
    )


def get_application(conn: Connection, application_id: str) -> Row[Any] | None:
    return conn.execute(select(applications).where(applications.c.id == application_id)).first()


def list_events(conn: Connection, application_id: str) -> list[Row[Any]]:
    return list(
        conn.execute(
            select(application_events.c.at, application_events.c.kind, application_events.c.detail)
            .where(application_events.c.application_id == application_id)
            .order_by(application_events.c.id)
        )
    )
