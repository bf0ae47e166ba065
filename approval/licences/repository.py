from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.engine import Connection

from approval.database import credit_code_counters, licences

_TAKE_SERIAL = (
    update(credit_code_counters)
    .where(credit_code_counters.c.authority_code == bindparam("authority"))
    .values(next_serial=credit_code_counters.c.next_serial + 1)
    .returning(credit_code_counters.c.next_serial)
)
_INSERT_LICENCE = insert(licences)


def next_serial(conn: Connection, authority_code: str) -> int:
    """Take the authority's next serial; the row lock makes concurrent approvals queue here."""
    taken = conn.execute(_TAKE_SERIAL, {"authority": authority_code}).scalar_one_or_none()
    if taken is None:
        conn.execute(
            insert(credit_code_counters).values(authority_code=authority_code, next_serial=2)
        )
        return 1
    return int(taken) - 1


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
    now: dt.datetime,
) -> None:
    conn.execute(
        _INSERT_LICENCE,
        {
            "credit_code": credit_code,
            "application_id": application_id,
            "licence_id": licence_id,
            "issued_on": issued_on,
            "document": document,
            "signature": signature,
            "key_id": key_id,
            "status": "current",
            "created_at": now,
        },
    )


def find_licence(conn: Connection, credit_code: str) -> Row[Any] | None:
    return conn.execute(select(licences).where(licences.c.credit_code == credit_code)).first()


def find_licence_for_application(conn: Connection, application_id: str) -> Row[Any] | None:
    return conn.execute(select(licences).where(licences.c.application_id == application_id)).first()
