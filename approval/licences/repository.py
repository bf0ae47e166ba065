from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.engine import Connection

from approval.database import credit_code_counters, licences, row_writer

_RESERVE = (
    update(credit_code_counters)
    .where(credit_code_counters.c.authority_code == bindparam("authority"))
    .values(next_serial=credit_code_counters.c.next_serial + bindparam("count"))
    .returning(credit_code_counters.c.next_serial)
)


def reserve_serials(conn: Connection, authority_code: str, count: int) -> tuple[int, int]:
    """Reserve ``count`` serials of the authority: the half-open range [start, end)."""
    params = {"authority": authority_code, "count": count}
    end = conn.execute(_RESERVE, params).scalar_one_or_none()
    if end is None:
        conn.execute(
            insert(credit_code_counters).values(
                authority_code=authority_code, next_serial=1 + count
            )
        )
        return 1, 1 + count
    return int(end) - count, int(end)


def insert_licence(
    conn: Connection,
    *,
    credit_code: str,
    application_id: str,
    licence_id: str,
    issued_on: dt.date,
    document: dict[str, Any],
    signature: str,
    key_id: str,
    route: str,
    now: dt.datetime,
) -> None:
    row = {
        "credit_code": credit_code,
        "application_id": application_id,
        "licence_id": licence_id,
        "issued_on": issued_on,
        "document": document,
        "signature": signature,
        "key_id": key_id,
        "status": "current",
        "created_at": now,
        "route": route,
    }
    row_writer(licences, conn.dialect).insert(conn, [row])


def find_licence(conn: Connection, credit_code: str) -> Row[Any] | None:
    return conn.execute(select(licences).where(licences.c.credit_code == credit_code)).first()


def find_licence_for_application(conn: Connection, application_id: str) -> Row[Any] | None:
    return conn.execute(select(licences).where(licences.c.application_id == application_id)).first()
