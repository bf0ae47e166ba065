"""Manual-review cases: opened lazily from applications decided ``manual_review``."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, DateTime, String, Table, Text

from approval.database import metadata

TS = DateTime(timezone=True)

review_cases = Table(
    "review_cases",
    metadata,
    Column("application_id", String(32), primary_key=True),
    Column("opened_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("extended_on", Date, nullable=True),
    Column("extension_approved_by", String(50), nullable=True),
    Column("extension_reason", Text, nullable=True),
    Column("claimed_by", String(32), nullable=True),
    Column("claimed_at", TS, nullable=True),
    Column("decided_at", TS, nullable=True),
    Column("decision", String(32), nullable=True),  # widened in migration b8c0e2revw01
    Column("reasons", JSON, nullable=True),
)
