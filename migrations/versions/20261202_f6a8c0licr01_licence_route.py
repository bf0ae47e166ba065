"""licences record how they were decided: route automatic or manual

Revision ID: f6a8c0licr01
Revises: 3fc31a705a3d
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f6a8c0licr01"
down_revision: str | Sequence[str] | None = "3fc31a705a3d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("licences") as batch:
        batch.add_column(
            sa.Column("route", sa.String(16), nullable=False, server_default="automatic")
        )
    # licences issued by staff before the column existed carry the staff decision's reason
    op.execute(
        "UPDATE licences SET route = 'manual' WHERE application_id IN ("
        "SELECT id FROM applications WHERE CAST(reasons AS TEXT) LIKE '%MANUAL_REVIEW_DECISION%')"
    )


def downgrade() -> None:
    with op.batch_alter_table("licences") as batch:
        batch.drop_column("route")
