"""rule change requests, scheduled ruleset versions

A change request holds the files of a draft, its authors, waivers and the evidence computed
when it was proposed; a ruleset version may be scheduled to take effect at a given moment.

Revision ID: d4f6a8chng01
Revises: a1c3e5rules01
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d4f6a8chng01"
down_revision: str | Sequence[str] | None = "a1c3e5rules01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("rulesets") as batch:
        batch.add_column(sa.Column("effective_from", TS, nullable=True))
        batch.add_column(sa.Column("change_id", sa.String(16), nullable=True))
    op.create_table(
        "rule_changes",
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("waivers", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("evidence_digest", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("decision", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rule_changes_status", "rule_changes", ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_rule_changes_status", table_name="rule_changes")
    op.drop_table("rule_changes")
    with op.batch_alter_table("rulesets") as batch:
        batch.drop_column("change_id")
        batch.drop_column("effective_from")
