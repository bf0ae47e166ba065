"""Audit tables: the records (append-only) and one head row per chain.

A chain is the history of one application (or ``system`` for actions on no application). The
head row holds the chain's last sequence number and hash: appenders lock it (``FOR UPDATE`` on
PostgreSQL; SQLite has one writer at a time) so two processes never fork a chain, and
``miaopi audit verify`` compares it with the last record, so deleting a chain's tail is seen.
The records' integer id is the global order across chains.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, String, Table, Text, UniqueConstraint

from approval.database import metadata

audit_records = Table(
    "audit_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("chain", String(40), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("at", String(40), nullable=False),  # ISO 8601 text, hashed exactly as stored
    Column("actor", String(40), nullable=False),
    Column("role", String(16), nullable=False),
    Column("action", String(40), nullable=False),
    Column("reason", Text, nullable=True),
    Column("detail", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("chain", "seq", name="uq_audit_records_chain_seq"),
    Index("ix_audit_records_action", "action"),
)

audit_heads = Table(
    "audit_heads",
    metadata,
    Column("chain", String(40), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)
