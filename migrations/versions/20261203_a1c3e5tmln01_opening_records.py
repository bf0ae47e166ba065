"""the timeline stored once: a submission's events are its audit chain's first records

A submission wrote its timeline three times: rows of application_events, its audit records, and
inside the stored answer (``response``). New rows keep the opening events only as audit records
(the column says how many) and the answer without its timeline; rows stored before read as
they always did.

Revision ID: a1c3e5tmln01
Revises: e5b7d9stat01
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1c3e5tmln01"
down_revision: str | Sequence[str] | None = "e5b7d9stat01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a plain ADD COLUMN: no table rebuild (the statistics' generated columns stay as they are)
    op.add_column("applications", sa.Column("opening_records", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("applications", "opening_records")
