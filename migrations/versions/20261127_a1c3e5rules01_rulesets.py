"""rulesets: versions in the database, their history, shadow disagreements

Revision ID: a1c3e5rules01
Revises: 3fc31a705a3d
Create Date: 2026-11-27

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1c3e5rules01"
down_revision: str | Sequence[str] | None = "3fc31a705a3d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "rulesets",
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("rule_count", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("approved_by", sa.String(64), nullable=True),
        sa.Column("approved_at", TS, nullable=True),
        sa.Column("activated_at", TS, nullable=True),
        sa.Column("retired_at", TS, nullable=True),
        sa.Column("replaced_version", sa.String(64), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.Column("shadow", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_rulesets")),
    )
    op.create_index("ix_rulesets_status", "rulesets", ["status"])
    op.create_table(
        "ruleset_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ruleset_events")),
    )
    op.create_table(
        "shadow_disagreements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("application_id", sa.String(32), nullable=False),
        sa.Column("active_version", sa.String(64), nullable=False),
        sa.Column("candidate_version", sa.String(64), nullable=False),
        sa.Column("active_outcome", sa.String(32), nullable=False),
        sa.Column("candidate_outcome", sa.String(32), nullable=False),
        sa.Column("active_rules", sa.JSON(), nullable=False),
        sa.Column("candidate_rules", sa.JSON(), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shadow_disagreements")),
    )
    op.create_index(
        "ix_shadow_disagreements_candidate",
        "shadow_disagreements",
        ["candidate_version", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_shadow_disagreements_candidate", "shadow_disagreements")
    op.drop_table("shadow_disagreements")
    op.drop_table("ruleset_events")
    op.drop_index("ix_rulesets_status", "rulesets")
    op.drop_table("rulesets")
