"""the name register: names issued, reserved and freed by this authority (R23, R24, R25)

One partial unique index on (authority, comparison key) among active and reserved names makes
the database the judge of two simultaneous applications for one name. A name check queries the
market-supervision registry before any application exists: its exchanges are logged without
one.

Revision ID: b2d4f6name01
Revises: a1c3e5tmln01
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "b2d4f6name01"
down_revision: str | Sequence[str] | None = "a1c3e5tmln01"
branch_labels: str | Sequence[str] | None = None
# the exchange log it makes nullable is created on the connectors branch
depends_on: str | Sequence[str] | None = "b2d4f6conn01"

TS = sa.DateTime(timezone=True)
_TAKEN = sa.text("status IN ('active', 'reserved')")


def upgrade() -> None:
    op.create_table(
        "business_names",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("authority_code", sa.String(6), nullable=False),
        sa.Column("comparison_key", sa.String(80), nullable=False),
        sa.Column("trade_name", sa.String(40), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("holder_id_number", sa.String(18), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=True),
        sa.Column("application_id", sa.String(32), nullable=True),
        sa.Column("reserved_until", TS, nullable=True),
        sa.Column("freed_reason", sa.String(16), nullable=True),
        sa.Column("freed_at", TS, nullable=True),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_names")),
    )
    op.create_index(
        "uq_business_names_taken",
        "business_names",
        ["authority_code", "comparison_key"],
        unique=True,
        sqlite_where=_TAKEN,
        postgresql_where=_TAKEN,
    )
    op.create_index("ix_business_names_trade", "business_names", ["authority_code", "trade_name"])
    op.create_index("ix_business_names_credit_code", "business_names", ["credit_code"])
    op.create_index("ix_business_names_holder", "business_names", ["holder_id_number", "status"])
    with op.batch_alter_table("registry_exchanges") as table:
        table.alter_column("application_id", existing_type=sa.String(32), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM registry_exchanges WHERE application_id IS NULL")
    with op.batch_alter_table("registry_exchanges") as table:
        table.alter_column("application_id", existing_type=sa.String(32), nullable=False)
    op.drop_table("business_names")
