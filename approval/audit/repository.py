from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.engine import Connection

from approval.audit.tables import audit_heads, audit_records
from approval.database import row_writer


def _plain(row: Row[Any]) -> dict[str, Any]:
    # plain str keys (SQLAlchemy's are a str subclass, which orjson refuses as keys)
    return {str(key): value for key, value in row._mapping.items()}


def insert_records(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        row_writer(audit_records, conn.dialect).insert(conn, rows)


def insert_head(conn: Connection, chain: str, seq: int, hash_: str) -> None:
    row_writer(audit_heads, conn.dialect).insert(
        conn, [{"chain": chain, "seq": seq, "hash": hash_}]
    )


def lock_head(conn: Connection, chain: str) -> Row[Any, Any] | None:
    """The chain's head, locked until the transaction ends (PostgreSQL; SQLite has one writer)."""
    return conn.execute(
        select(audit_heads.c.seq, audit_heads.c.hash)
        .where(audit_heads.c.chain == chain)
        .with_for_update()
    ).first()


def move_head(conn: Connection, chain: str, seq: int, hash_: str) -> None:
    conn.execute(
        update(audit_heads).where(audit_heads.c.chain == chain).values(seq=seq, hash=hash_)
    )


def chain_records(conn: Connection, chain: str) -> list[dict[str, Any]]:
    return [
        _plain(r)
        for r in conn.execute(
            select(audit_records)
            .where(audit_records.c.chain == chain)
            .order_by(audit_records.c.seq)
        )
    ]


def first_records(conn: Connection, chain: str, count: int) -> list[dict[str, Any]]:
    return [
        {"at": r.at, "action": r.action, "detail": r.detail}
        for r in conn.execute(
            select(audit_records.c.at, audit_records.c.action, audit_records.c.detail)
            .where(audit_records.c.chain == chain, audit_records.c.seq <= count)
            .order_by(audit_records.c.seq)
        )
    ]


def head(conn: Connection, chain: str) -> dict[str, Any] | None:
    row = conn.execute(select(audit_heads).where(audit_heads.c.chain == chain)).first()
    return _plain(row) if row else None


def all_chains(conn: Connection) -> list[str]:
    records = select(audit_records.c.chain).distinct()
    heads = select(audit_heads.c.chain)
    return sorted({r[0] for r in conn.execute(records)} | {r[0] for r in conn.execute(heads)})


def iter_all_records(conn: Connection) -> Iterator[dict[str, Any]]:
    """Every record, chain by chain in seq order (streamed)."""
    # options on the statement, not the connection: they would outlive it on the request's one
    result = conn.execute(
        select(audit_records)
        .order_by(audit_records.c.chain, audit_records.c.seq)
        .execution_options(stream_results=True, yield_per=2000)
    )
    for row in result:
        yield _plain(row)


def all_heads(conn: Connection) -> dict[str, dict[str, Any]]:
    return {r.chain: _plain(r) for r in conn.execute(select(audit_heads))}


def records_by_action(conn: Connection, chain: str, actions: Sequence[str]) -> list[dict[str, Any]]:
    return [
        _plain(r)
        for r in conn.execute(
            select(audit_records)
            .where(audit_records.c.chain == chain, audit_records.c.action.in_(actions))
            .order_by(audit_records.c.seq)
        )
    ]
