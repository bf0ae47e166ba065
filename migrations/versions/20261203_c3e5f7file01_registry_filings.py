"""the filing outbox: each state of a registration, filed to the market-supervision registry

One row per state (issued, revoked, restored), numbered per credit code and written in the
transaction of the licence event; the worker sends it until the registry acknowledges it.
The licences issued before this revision are written too, each as it stands now.

Revision ID: c3e5f7file01
Revises: b2d4f6name01
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op


revision: str = "c3e5f7file01"
down_revision: str | Sequence[str] | None = "b2d4f6name01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    filings = op.create_table(
        "registry_filings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.String(32), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("name", sa.String(80), nullable=True),
        sa.Column("operator_id_number", sa.String(32), nullable=False),
        sa.Column("operator_name", sa.String(50), nullable=False),
        sa.Column("authority_code", sa.String(6), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("changed_at", TS, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TS, nullable=True),
        sa.Column("claim_token", sa.String(32), nullable=True),
        sa.Column("claimed_until", TS, nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("filed_at", TS, nullable=True),
        sa.Column("outcome", sa.String(12), nullable=True),
        sa.Column("receipt", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_registry_filings_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_filings")),
        sa.UniqueConstraint("credit_code", "version", name="uq_registry_filings_version"),
    )
    op.create_index("ix_registry_filings_due", "registry_filings", ["next_attempt_at"])
    op.create_index("ix_registry_filings_application", "registry_filings", ["application_id"])
    issued_before = [] if op.get_context().as_sql else _issued_before()
    if issued_before:
        op.bulk_insert(filings, issued_before)


_licences = sa.table(
    "licences",
    sa.column("credit_code", sa.String),
    sa.column("application_id", sa.String),
    sa.column("issued_on", sa.Date),
    sa.column("status", sa.String),
    sa.column("created_at", TS),
)
_applications = sa.table(
    "applications",
    sa.column("id", sa.String),
    sa.column("payload", sa.JSON),
    sa.column("operator_id_number", sa.String),
    sa.column("authority_code", sa.String),
    sa.column("updated_at", TS),
)


def _issued_before() -> list[dict[str, Any]]:
    """Each licence already issued, as version 1 of its registration in its state now: a
    revoked one revoked since its application last changed (its revocation)."""
    rows = op.get_bind().execute(
        sa.select(
            _licences.c.credit_code,
            _licences.c.application_id,
            _licences.c.issued_on,
            _licences.c.status,
            _licences.c.created_at,
            _applications.c.payload,
            _applications.c.operator_id_number,
            _applications.c.authority_code,
            _applications.c.updated_at,
        )
        .join(_applications, _applications.c.id == _licences.c.application_id)
        .order_by(_licences.c.created_at)
    )
    filings = []
    for row in rows:
        revoked = row.status == "revoked"
        changed_at = row.updated_at if revoked else row.created_at
        filings.append(
            {
                "credit_code": row.credit_code,
                "version": 1,
                "application_id": row.application_id,
                "event": "revoked" if revoked else "issued",
                "status": "revoked" if revoked else "current",
                "name": row.payload.get("name"),
                "operator_id_number": row.operator_id_number,
                "operator_name": row.payload["operator"]["name"],
                "authority_code": row.authority_code,
                "registered_on": row.issued_on,
                "changed_at": changed_at,
                "created_at": changed_at,
                "attempts": 0,
                "next_attempt_at": changed_at,
            }
        )
    return filings


def downgrade() -> None:
    op.drop_table("registry_filings")
