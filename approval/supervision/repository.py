from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.engine import Connection

from approval.database import api_keys, applications, licences, outbox, row_writer
from approval.supervision.tables import false_registration_bans, supervision_copies

OPEN_FOR_CLAIM = ("pending", "acknowledged")


def key_department(conn: Connection, key_id: str) -> str | None:
    return conn.execute(select(api_keys.c.department).where(api_keys.c.id == key_id)).scalar()


def take_unrouted_outbox(conn: Connection, limit: int) -> list[Row[Any]]:
    """Outbox events not yet fanned out to departments, locked (skipped by other workers)."""
    return list(
        conn.execute(
            select(outbox)
            .where(outbox.c.delivered_at.is_(None))
            .order_by(outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


def mark_outbox_routed(conn: Connection, ids: Sequence[int], now: dt.datetime) -> None:
    conn.execute(update(outbox).where(outbox.c.id.in_(ids)).values(delivered_at=now))


def insert_outbox(
    conn: Connection, kind: str, aggregate_id: str, payload: dict[str, Any], now: dt.datetime
) -> None:
    row = {"kind": kind, "aggregate_id": aggregate_id, "payload": payload, "created_at": now}
    row_writer(outbox, conn.dialect).insert(conn, [row])


def application_and_licence(
    conn: Connection, application_id: str
) -> tuple[Row[Any] | None, Row[Any] | None]:
    app = conn.execute(select(applications).where(applications.c.id == application_id)).first()
    lic = conn.execute(select(licences).where(licences.c.application_id == application_id)).first()
    return app, lic


def insert_copies(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(supervision_copies), list(rows))


def lease_due_webhooks(
    conn: Connection, now: dt.datetime, lease_until: dt.datetime, limit: int
) -> list[Row[Any]]:
    """Webhook copies due for (re)delivery, leased: a dead worker's lease simply runs out."""
    rows = list(
        conn.execute(
            select(supervision_copies)
            .where(
                supervision_copies.c.channel == "webhook",
                supervision_copies.c.delivered_at.is_(None),
                supervision_copies.c.next_attempt_at <= now,
            )
            .order_by(supervision_copies.c.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if rows:
        conn.execute(
            update(supervision_copies)
            .where(supervision_copies.c.id.in_([r.id for r in rows]))
            .values(next_attempt_at=lease_until, attempts=supervision_copies.c.attempts + 1)
        )
    return rows


def mark_received(conn: Connection, copy_id: str, now: dt.datetime) -> bool:
    """The receiver answered 2xx: delivered and acknowledged. False if already recorded."""
    result = conn.execute(
        update(supervision_copies)
        .where(supervision_copies.c.id == copy_id, supervision_copies.c.delivered_at.is_(None))
        .values(
            delivered_at=now,
            acknowledged_at=now,
            status="acknowledged",
            next_attempt_at=None,
            last_error=None,
        )
    )
    return result.rowcount == 1


def schedule_retry(conn: Connection, copy_id: str, at: dt.datetime, error: str) -> None:
    conn.execute(
        update(supervision_copies)
        .where(supervision_copies.c.id == copy_id, supervision_copies.c.delivered_at.is_(None))
        .values(next_attempt_at=at, last_error=error[:200])
    )


def get_copy(conn: Connection, copy_id: str) -> Row[Any] | None:
    return conn.execute(
        select(supervision_copies).where(supervision_copies.c.id == copy_id)
    ).first()


def lock_copy(conn: Connection, copy_id: str) -> Row[Any] | None:
    return conn.execute(
        select(supervision_copies).where(supervision_copies.c.id == copy_id).with_for_update()
    ).first()


def update_copy(conn: Connection, copy_id: str, **values: Any) -> None:
    conn.execute(
        update(supervision_copies).where(supervision_copies.c.id == copy_id).values(**values)
    )


def list_copies(
    conn: Connection,
    department: str | None,
    status: str | None,
    overdue_on: dt.date | None,
    limit: int,
) -> list[Row[Any]]:
    query = select(supervision_copies).order_by(supervision_copies.c.created_at).limit(limit)
    if department is not None:
        query = query.where(supervision_copies.c.department == department)
    if status is not None:
        query = query.where(supervision_copies.c.status == status)
    if overdue_on is not None:
        query = query.where(
            supervision_copies.c.status.in_(OPEN_FOR_CLAIM),
            supervision_copies.c.claim_due_on < overdue_on,
        )
    return list(conn.execute(query))


def newly_overdue(conn: Connection, today: dt.date) -> list[Row[Any]]:
    """Copies past their claim deadline not yet escalated, locked (skipped by other workers)."""
    return list(
        conn.execute(
            select(supervision_copies)
            .where(
                supervision_copies.c.status.in_(OPEN_FOR_CLAIM),
                supervision_copies.c.claim_due_on < today,
                supervision_copies.c.escalated_at.is_(None),
            )
            .with_for_update(skip_locked=True)
        )
    )


def copies_for_application(conn: Connection, application_id: str) -> list[Row[Any]]:
    return list(
        conn.execute(
            select(supervision_copies)
            .where(supervision_copies.c.application_id == application_id)
            .order_by(supervision_copies.c.created_at)
        )
    )


# the Miaopi-side false-registration ban list (read by rule R10 through the market answer)


def latest_ban_until(conn: Connection, id_number: str) -> dt.date | None:
    """The end of the person's longest ban not lifted (the caller compares it with today)."""
    return conn.execute(
        select(false_registration_bans.c.banned_until)
        .where(
            false_registration_bans.c.id_number == id_number,
            false_registration_bans.c.lifted_at.is_(None),
        )
        .order_by(false_registration_bans.c.banned_until.desc())
        .limit(1)
    ).scalar()


def insert_ban(conn: Connection, **values: Any) -> None:
    conn.execute(insert(false_registration_bans).values(**values))


def lift_bans(conn: Connection, objection_id: str, now: dt.datetime, reason: str) -> None:
    conn.execute(
        update(false_registration_bans)
        .where(
            false_registration_bans.c.objection_id == objection_id,
            false_registration_bans.c.lifted_at.is_(None),
        )
        .values(lifted_at=now, lifted_reason=reason)
    )
