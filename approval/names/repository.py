"""SQL of the name register."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from approval.clock import CHINA_TZ
from approval.database import applications, licences
from approval.names.tables import TAKEN, business_names

if TYPE_CHECKING:
    from approval.names.comparison import NameClaim

_n = business_names


class NameRow(NamedTuple):
    id: int
    name: str
    comparison_key: str
    status: str
    holder_id_number: str
    reserved_until: dt.datetime | None
    credit_code: str | None
    freed_reason: str | None
    freed_at: dt.datetime | None


_COLUMNS = [getattr(_n.c, field) for field in NameRow._fields]


def _china_time(value: dt.datetime | None) -> dt.datetime | None:
    """As the service clock tells it: SQLite keeps its wall time without the offset,
    PostgreSQL answers in the session's zone."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=CHINA_TZ)
    return value.astimezone(CHINA_TZ)


def _rows(conn: Connection, *where: Any) -> list[NameRow]:
    rows = conn.execute(select(*_COLUMNS).where(*where).order_by(_n.c.id))
    return [
        NameRow(*row)._replace(
            reserved_until=_china_time(row.reserved_until), freed_at=_china_time(row.freed_at)
        )
        for row in rows
    ]


def _held(now: dt.datetime) -> Any:
    """Active, or reserved and not yet expired (compared in SQL: SQLite keeps wall times)."""
    return or_(_n.c.status == "active", and_(_n.c.status == "reserved", _n.c.reserved_until > now))


def taken_with_key(
    conn: Connection, authority_code: str, key: str, now: dt.datetime
) -> list[NameRow]:
    return _rows(
        conn, _n.c.authority_code == authority_code, _n.c.comparison_key == key, _held(now)
    )


def freed_since(
    conn: Connection, authority_code: str, key: str, since: dt.datetime
) -> list[NameRow]:
    return _rows(
        conn,
        _n.c.authority_code == authority_code,
        _n.c.comparison_key == key,
        _n.c.status == "freed",
        _n.c.freed_at > since,
    )


def taken_with_trade_like(
    conn: Connection, authority_code: str, trade: str, parts: Sequence[str], now: dt.datetime
) -> list[NameRow]:
    """Held names whose 字号 is the same as, part of, or contains ``trade``."""
    return _rows(
        conn,
        _n.c.authority_code == authority_code,
        _held(now),
        or_(_n.c.trade_name.in_(parts), _n.c.trade_name.contains(trade, autoescape=True)),
    )


def consume_reservation(
    conn: Connection, claim: NameClaim, *, credit_code: str, application_id: str, now: dt.datetime
) -> bool:
    """The holder's live reservation of this name becomes the name on their licence."""
    result = conn.execute(
        update(_n)
        .where(
            _n.c.authority_code == claim.authority_code,
            _n.c.comparison_key == claim.comparison_key,
            _n.c.status == "reserved",
            _n.c.holder_id_number == claim.holder_id_number,
            _n.c.reserved_until > now,
        )
        .values(
            status="active",
            name=claim.name,
            trade_name=claim.trade_name,
            credit_code=credit_code,
            application_id=application_id,
        )
    )
    return result.rowcount > 0


def expire_reservations(conn: Connection, authority_code: str, key: str, now: dt.datetime) -> None:
    """Reservations past their two months stop holding the name (done lazily, when it matters)."""
    conn.execute(
        update(_n)
        .where(
            _n.c.authority_code == authority_code,
            _n.c.comparison_key == key,
            _n.c.status == "reserved",
            _n.c.reserved_until <= now,
        )
        .values(status="expired")
    )


def insert_if_free(
    conn: Connection,
    claim: NameClaim,
    *,
    status: str,
    credit_code: str | None,
    application_id: str | None,
    reserved_until: dt.datetime | None,
    actor: str,
    now: dt.datetime,
) -> int | None:
    """Insert the name unless an active or reserved one has its key (the partial unique index
    decides, waiting for a simultaneous insert to commit or roll back); its id, or None."""
    values = {
        "authority_code": claim.authority_code,
        "comparison_key": claim.comparison_key,
        "trade_name": claim.trade_name,
        "name": claim.name,
        "status": status,
        "holder_id_number": claim.holder_id_number,
        "credit_code": credit_code,
        "application_id": application_id,
        "reserved_until": reserved_until,
        "key_id": actor,
        "created_at": now,
    }
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(_n)
        .values(**values)
        .on_conflict_do_nothing(
            index_elements=["authority_code", "comparison_key"],
            index_where=_n.c.status.in_(TAKEN),
        )
        .returning(_n.c.id)
    )
    inserted = conn.execute(statement).scalar_one_or_none()
    return int(inserted) if inserted is not None else None


def free_by_credit_code(conn: Connection, credit_code: str, reason: str, now: dt.datetime) -> None:
    conn.execute(
        update(_n)
        .where(_n.c.credit_code == credit_code, _n.c.status == "active")
        .values(status="freed", freed_reason=reason, freed_at=now)
    )


def restore_by_credit_code(conn: Connection, credit_code: str) -> bool:
    row = conn.execute(
        select(_n.c.id, _n.c.authority_code, _n.c.comparison_key).where(
            _n.c.credit_code == credit_code, _n.c.status == "freed"
        )
    ).first()
    if row is None:
        return False
    taken = conn.execute(
        select(_n.c.id).where(
            and_(
                _n.c.authority_code == row.authority_code,
                _n.c.comparison_key == row.comparison_key,
                _n.c.status.in_(TAKEN),
            )
        )
    ).first()
    if taken is not None:
        return False
    conn.execute(
        update(_n)
        .where(_n.c.id == row.id)
        .values(status="active", freed_reason=None, freed_at=None)
    )
    return True


def is_empty(conn: Connection) -> bool:
    return conn.execute(select(_n.c.id).limit(1)).first() is None


def current_licences_not_registered(conn: Connection) -> list[Row[Any]]:
    """Current licences whose credit code the register does not know (issued before it was)."""
    known = select(_n.c.id).where(_n.c.credit_code == licences.c.credit_code).exists()
    return list(
        conn.execute(
            select(
                licences.c.credit_code,
                licences.c.application_id,
                licences.c.document,
                applications.c.operator_id_number,
            )
            .join(applications, applications.c.id == licences.c.application_id)
            .where(licences.c.status == "current", ~known)
            .order_by(licences.c.created_at, licences.c.credit_code)
        )
    )
