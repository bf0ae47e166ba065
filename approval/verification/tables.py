"""The exchange log and the queue of applications waiting for their registries."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table

from approval.database import TS, metadata

# One row per exchange (per attempt) with a registry: the evidence of every query about a
# citizen, the case it served and why (X-Road message log; 不动产登记暂行条例 Art.28).
registry_exchanges = Table(
    "registry_exchanges",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # None: a name check, before any application (名称自主申报)
    Column("application_id", String(32), ForeignKey("applications.id"), nullable=True),
    Column("subject_id_number", String(32), nullable=False),
    Column("registry", String(16), nullable=False),
    Column("operation", String(32), nullable=False),
    Column("message_id", String(32), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("acting_system", String(64), nullable=False),
    Column("legal_basis", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("response_hash", String(64), nullable=True),
    Column("status", String(24), nullable=False),
    Column("http_status", Integer, nullable=True),
    Column("latency_ms", Integer, nullable=False),
    Column("at", TS, nullable=False),
    Index("ix_registry_exchanges_subject", "subject_id_number", "at"),
    Index("ix_registry_exchanges_application", "application_id"),
)

# An application parked as pending_verification until its registries answer or time runs out.
# The state lives here, so a restarted worker carries on; claims are leases (claimed_until).
pending_verifications = Table(
    "pending_verifications",
    metadata,
    Column("application_id", String(32), ForeignKey("applications.id"), primary_key=True),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", TS, nullable=False),
    Column("give_up_at", TS, nullable=False),
    Column("claim_token", String(32), nullable=True),
    Column("claimed_until", TS, nullable=True),
    Column("last_error", String(200), nullable=True),
    Index("ix_pending_verifications_due", "next_attempt_at"),
)
