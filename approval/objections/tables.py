"""Objections to a registration made in the objector's name (冒名登记)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, DateTime, Index, String, Table, Text

from approval.database import metadata

TS = DateTime(timezone=True)

objections = Table(
    "objections",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("credit_code", String(18), nullable=False),
    Column("application_id", String(32), nullable=False),
    Column("objector_id_number", String(32), nullable=False),
    Column("objector_key_id", String(32), nullable=False),
    Column("grounds", Text, nullable=False),
    # intake → investigation → legal_review → decision → closed; or refused
    Column("stage", String(16), nullable=False),
    Column("stage_due_on", Date, nullable=True),
    Column("notice_ends_on", Date, nullable=True),
    Column("decision", String(24), nullable=True),
    Column("revoked_items", JSON, nullable=True),
    Column("responsible_id_number", String(32), nullable=True),
    Column("previous_licence_status", String(16), nullable=True),
    Column("history", JSON, nullable=False),  # every stage: when, who, its deadline, why
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Index("ix_objections_stage", "stage", "stage_due_on"),
    Index("ix_objections_credit_code", "credit_code"),
)
