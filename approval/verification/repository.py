"""SQL of the exchange log and the pending-verification queue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.engine import Connection

from approval.database import applications, claim_leases, registry_answers, row_writer
from approval.verification.tables import pending_verifications, registry_exchanges

_pv = pending_verifications


def insert_exchanges(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        row_writer(registry_exchanges, conn.dialect).insert(conn, rows)


def enqueue(
    conn: Connection, application_id: str, next_attempt_at: dt.datetime, give_up_at: dt.datetime
) -> None:
    row = {
        "application_id": application_id,
        "attempts": 0,
        "next_attempt_at": next_attempt_at,
        "give_up_at": give_up_at,
    }
    row_writer(_pv, conn.dialect).insert(conn, [row])


def release_claims(conn: Connection) -> int:
    """Free every claim: for a process that knows it is the database's only worker."""
    result = conn.execute(
        update(_pv)
        .where(_pv.c.claim_token.is_not(None))
        .values(claim_token=None, claimed_until=None)
    )
    return result.rowcount


def claim_due(
    conn: Connection, now: dt.datetime, lease_until: dt.datetime, token: str, limit: int
) -> list[Row[Any]]:
    """Take up to ``limit`` due applications under a lease, with what is needed to retry them."""
    claimed = claim_leases(
        conn,
        _pv.c.application_id,
        due=_pv.c.next_attempt_at <= now,
        order_by=_pv.c.next_attempt_at,
        now=now,
        lease_until=lease_until,
        token=token,
        limit=limit,
    )
    if not claimed:
        return []
    return list(
        conn.execute(
            select(
                _pv.c.application_id,
                _pv.c.attempts,
                _pv.c.give_up_at,
                applications.c.created_at,
                applications.c.status,
                applications.c.payload,
                applications.c.operator_id_number,
                applications.c.authority_code,
                applications.c.key_id,
                applications.c.channel,
            )
            .join(applications, applications.c.id == _pv.c.application_id)
            .where(_pv.c.claim_token == token)
        )
    )


def reschedule(
    conn: Connection,
    application_id: str,
    token: str,
    attempts: int,
    next_attempt_at: dt.datetime,
    last_error: str,
) -> bool:
    """Release the claim and set the next attempt; False if the claim was lost meanwhile."""
    result = conn.execute(
        update(_pv)
        .where(_pv.c.application_id == application_id, _pv.c.claim_token == token)
        .values(
            attempts=attempts,
            next_attempt_at=next_attempt_at,
            last_error=last_error[:200],
            claim_token=None,
            claimed_until=None,
        )
    )
    return result.rowcount == 1


def finish(conn: Connection, application_id: str, token: str) -> bool:
    """Take the application off the queue; False if another worker's claim replaced ours."""
    result = conn.execute(
        delete(_pv).where(_pv.c.application_id == application_id, _pv.c.claim_token == token)
    )
    return result.rowcount == 1


def replace_registry_answers(
    conn: Connection, application_id: str, rows: Sequence[dict[str, Any]]
) -> None:
    answers = registry_answers
    conn.execute(delete(answers).where(answers.c.application_id == application_id))
    if rows:
        row_writer(registry_answers, conn.dialect).insert(conn, rows)


def list_exchanges_about(conn: Connection, subject_id_number: str, limit: int) -> list[Row[Any]]:
    x = registry_exchanges
    return list(
        conn.execute(
            select(
                x.c.at,
                x.c.registry,
                x.c.operation,
                x.c.application_id,
                x.c.acting_system,
                x.c.legal_basis,
                x.c.status,
            )
            .where(x.c.subject_id_number == subject_id_number)
            .order_by(x.c.at.desc(), x.c.id.desc())
            .limit(limit)
        )
    )


def pending_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(_pv)).scalar_one())
