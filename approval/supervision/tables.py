"""Each department's copy of a pushed event, and the Miaopi-side false-registration ban list."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from approval.database import metadata

TS = DateTime(timezone=True)

# One row per (outbox event, department): the delivery and the department's handling of it.
# status: pending → delivered (webhook 2xx or pull) → acknowledged → claimed → actioned → closed
supervision_copies = Table(
    "supervision_copies",
    metadata,
    Column("id", String(32), primary_key=True),  # the delivery id receivers deduplicate on
    Column("outbox_id", Integer, nullable=False),
    Column("application_id", String(32), nullable=False),
    Column("credit_code", String(18), nullable=True),
    Column("department", String(16), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("channel", String(8), nullable=False),  # webhook | pull
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", TS, nullable=True),
    Column("last_error", String(200), nullable=True),
    Column("created_at", TS, nullable=False),
    Column("created_on", Date, nullable=False),
    Column("claim_due_on", Date, nullable=False),
    Column("delivered_at", TS, nullable=True),
    Column("acknowledged_at", TS, nullable=True),
    Column("claimed_at", TS, nullable=True),
    Column("claimed_by", String(32), nullable=True),
    Column("escalated_at", TS, nullable=True),
    Column("actions", JSON, nullable=False),
    Column("closed_at", TS, nullable=True),
    Column("close_note", Text, nullable=True),
    UniqueConstraint("outbox_id", "department", name="uq_supervision_copies_outbox_department"),
    Index("ix_supervision_copies_due", "status", "next_attempt_at"),
    Index("ix_supervision_copies_department", "department", "status"),
)

false_registration_bans = Table(
    "false_registration_bans",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("id_number", String(32), nullable=False),
    Column("name", String(50), nullable=True),
    Column("banned_on", Date, nullable=False),
    Column("banned_until", Date, nullable=False),
    Column("objection_id", String(32), nullable=True),
    Column("credit_code", String(18), nullable=True),
    Column("lifted_at", TS, nullable=True),
    Column("lifted_reason", Text, nullable=True),
    Index("ix_false_registration_bans_person", "id_number", "banned_until"),
)
