from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.engine import Connection

from approval.database import application_events, applications, row_writer
from approval.kernel.status import ApplicationStatus, Outcome


def compare_and_set(
    conn: Connection,
    application_id: str,
    *,
    expected_from: ApplicationStatus,
    expected_outcome: Outcome | None,
    to: ApplicationStatus,
    now: dt.datetime,
    columns: dict[str, Any],
) -> bool:
    """Move the row to ``to`` only while it is in ``expected_from`` (and outcome, if given)."""
    query = update(applications).where(
        applications.c.id == application_id, applications.c.status == expected_from.value
    )
    if expected_outcome is not None:
        query = query.where(applications.c.outcome == expected_outcome.value)
    result = conn.execute(query.values(status=to.value, updated_at=now, **columns))
    return result.rowcount == 1


def insert_application(conn: Connection, row: dict[str, Any]) -> None:
    row_writer(applications, conn.dialect).insert(conn, [row])


def opening_records(conn: Connection, application_id: str) -> int | None:
    found: int | None = conn.execute(
        select(applications.c.opening_records).where(applications.c.id == application_id)
    ).scalar()
    return found


def events(conn: Connection, application_id: str) -> list[dict[str, Any]]:
    """The rows of ``application_events``, in the order they were written."""
    return [
        dict(r._mapping)
        for r in conn.execute(
            select(application_events.c.at, application_events.c.kind, application_events.c.detail)
            .where(application_events.c.application_id == application_id)
            .order_by(application_events.c.id)
        )
    ]


def status_of(conn: Connection, application_id: str) -> tuple[str, str | None] | None:
    row = conn.execute(
        select(applications.c.status, applications.c.outcome).where(
            applications.c.id == application_id
        )
    ).first()
    return (row.status, row.outcome) if row else None


def insert_events(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        row_writer(application_events, conn.dialect).insert(conn, rows)


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
