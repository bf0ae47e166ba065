"""The filing outbox: every state of a registration this authority sends the market registry."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from approval.database import TS, metadata

# One row per state of a registration, numbered per credit code (``version``): written in the
# transaction of the licence event that made it, then sent until the registry acknowledges it
# (``filed_at``). The registry keeps the highest version, so a resend is harmless and an older
# state arriving late changes nothing. Claims are leases (claimed_until), as for verification.
registry_filings = Table(
    "registry_filings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("credit_code", String(18), nullable=False),
    Column("version", Integer, nullable=False),
    Column("application_id", String(32), ForeignKey("applications.id"), nullable=False),
    Column("event", String(16), nullable=False),  # issued | revoked | restored
    Column("status", String(12), nullable=False),  # current | revoked
    # the registration as filed
    Column("name", String(80), nullable=True),
    Column("operator_id_number", String(32), nullable=False),
    Column("operator_name", String(50), nullable=False),
    Column("authority_code", String(6), nullable=False),
    Column("registered_on", Date, nullable=False),
    Column("changed_at", TS, nullable=False),
    Column("created_at", TS, nullable=False),
    # delivery
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", TS, nullable=True),  # NULL once filed
    Column("claim_token", String(32), nullable=True),
    Column("claimed_until", TS, nullable=True),
    Column("last_error", String(200), nullable=True),
    Column("filed_at", TS, nullable=True),
    Column("outcome", String(12), nullable=True),  # recorded | superseded (a newer one stands)
    Column("receipt", JSON, nullable=True),  # the registry's answer
    UniqueConstraint("credit_code", "version", name="uq_registry_filings_version"),
    Index("ix_registry_filings_due", "next_attempt_at"),
    Index("ix_registry_filings_application", "application_id"),
)
