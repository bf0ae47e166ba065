"""SQL of the filing outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Row, and_, select, update
from sqlalchemy.engine import Connection

from approval.database import applications, claim_leases, licences, row_writer
from approval.filings.tables import registry_filings

_f = registry_filings


def latest(conn: Connection, credit_code: str) -> Row[Any] | None:
    """The newest state of this registration written to the outbox (filed or not)."""
    return conn.execute(
        select(_f).where(_f.c.credit_code == credit_code).order_by(_f.c.version.desc()).limit(1)
    ).first()


def registration_particulars(conn: Connection, application_id: str) -> Any:
    """What a registration is filed with, from its application (and licence, once stored)."""
    return conn.execute(
        select(
            applications.c.payload,
            applications.c.operator_id_number,
            applications.c.authority_code,
            licences.c.issued_on,
        )
        .outerjoin(licences, licences.c.application_id == applications.c.id)
        .where(applications.c.id == application_id)
    ).first()


def insert(conn: Connection, row: dict[str, Any]) -> None:
    row_writer(_f, conn.dialect).insert(conn, [row])


def release_claims(conn: Connection) -> int:
    """Free every claim: for a process that knows it is the database's only worker."""
    result = conn.execute(
        update(_f)
        .where(_f.c.claim_token.is_not(None), _f.c.filed_at.is_(None))
        .values(claim_token=None, claimed_until=None)
    )
    return result.rowcount


def claim_due(
    conn: Connection, now: dt.datetime, lease_until: dt.datetime, token: str, limit: int
) -> list[Row[Any]]:
    """Take up to ``limit`` filings due for sending under a lease, oldest first."""
    claimed = claim_leases(
        conn,
        _f.c.id,
        due=and_(_f.c.filed_at.is_(None), _f.c.next_attempt_at <= now),
        order_by=_f.c.id,
        now=now,
        lease_until=lease_until,
        token=token,
        limit=limit,
        attempts=_f.c.attempts + 1,
    )
    if not claimed:
        return []
    return list(conn.execute(select(_f).where(_f.c.claim_token == token).order_by(_f.c.id)))


def mark_filed(
    conn: Connection,
    filing_id: int,
    token: str,
    now: dt.datetime,
    outcome: str,
    receipt: dict[str, Any],
) -> bool:
    """The registry acknowledged it; False if another worker's claim replaced ours."""
    result = conn.execute(
        update(_f)
        .where(_f.c.id == filing_id, _f.c.claim_token == token, _f.c.filed_at.is_(None))
        .values(
            filed_at=now,
            outcome=outcome,
            receipt=receipt,
            next_attempt_at=None,
            claim_token=None,
            claimed_until=None,
            last_error=None,
        )
    )
    return result.rowcount == 1


def reschedule(
    conn: Connection, filing_id: int, token: str, next_attempt_at: dt.datetime, error: str
) -> bool:
    """Release the claim and set the next attempt; False if the claim was lost meanwhile."""
    result = conn.execute(
        update(_f)
        .where(_f.c.id == filing_id, _f.c.claim_token == token, _f.c.filed_at.is_(None))
        .values(
            next_attempt_at=next_attempt_at,
            last_error=error[:200],
            claim_token=None,
            claimed_until=None,
        )
    )
    return result.rowcount == 1


def for_application(conn: Connection, application_id: str) -> list[Row[Any]]:
    return list(
        conn.execute(select(_f).where(_f.c.application_id == application_id).order_by(_f.c.version))
    )
