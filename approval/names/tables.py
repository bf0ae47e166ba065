"""The name register: the names this authority issued, reserved or freed (R23, R24, R25)."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, text

from approval.database import TS, metadata

# Only one active or reserved name per comparison key and authority: of two applications for
# one name at the same moment the database lets exactly one have it (比对规则 identical).
TAKEN = ("active", "reserved")
_TAKEN_SQL = text("status IN ('active', 'reserved')")

business_names = Table(
    "business_names",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("authority_code", String(6), nullable=False),
    Column("comparison_key", String(80), nullable=False),
    Column("trade_name", String(40), nullable=False),
    Column("name", String(80), nullable=False),
    # active (on a current licence) | reserved | freed (revoked, deregistered, changed) | expired
    Column("status", String(12), nullable=False),
    Column("holder_id_number", String(18), nullable=False),
    Column("credit_code", String(18), nullable=True),
    Column("application_id", String(32), nullable=True),
    Column("reserved_until", TS, nullable=True),
    Column("freed_reason", String(16), nullable=True),
    Column("freed_at", TS, nullable=True),
    Column("key_id", String(32), nullable=False),
    Column("created_at", TS, nullable=False),
    Index(
        "uq_business_names_taken",
        "authority_code",
        "comparison_key",
        unique=True,
        sqlite_where=_TAKEN_SQL,
        postgresql_where=_TAKEN_SQL,
    ),
    Index("ix_business_names_trade", "authority_code", "trade_name"),
    Index("ix_business_names_credit_code", "credit_code"),
    Index("ix_business_names_holder", "holder_id_number", "status"),
)
