"""a staff decision may be approve_with_conditions (23 characters): widen review_cases.decision

Revision ID: b8c0e2revw01
Revises: c3e5a7supv01
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b8c0e2revw01"
down_revision: str | Sequence[str] | None = "c3e5a7supv01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("review_cases") as batch:
        batch.alter_column("decision", type_=sa.String(32), existing_type=sa.String(16))


def downgrade() -> None:
    with op.batch_alter_table("review_cases") as batch:
        batch.alter_column("decision", type_=sa.String(16), existing_type=sa.String(32))
