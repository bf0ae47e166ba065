"""statistics from columns the database computes, behind two indexes

The public statistics were computed by loading every application with its stored answer. Three
generated columns carry what they need (the first decision answered, the time to completion in
microseconds, decided by the due date), kept current by the database on every write, whoever
writes; two indexes hold them in the order the aggregates read them.

Revision ID: e5b7d9stat01
Revises: d4f6b8cata01
Create Date: 2026-12-02 06:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "e5b7d9stat01"
down_revision: Union[str, Sequence[str], None] = "d4f6b8cata01"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COMPLETED = (
    "status IN ('issued', 'decided', 'revoked') AND coalesce(outcome, '') <> 'manual_review'"
    " AND decided_at IS NOT NULL"
)
EXPRESSIONS = {
    "sqlite": {
        "first_decision": "json_extract(response, '$.decision')",
        "completed_in_us": f"CASE WHEN {COMPLETED} THEN max(0,"
        " (strftime('%s', substr(decided_at, 1, 19)) - strftime('%s', substr(created_at, 1, 19)))"
        " * 1000000 + CAST(substr(decided_at, 21, 6) AS INTEGER)"
        " - CAST(substr(created_at, 21, 6) AS INTEGER)) END",
        "on_time": f"CASE WHEN {COMPLETED} AND due_date IS NOT NULL"
        " THEN substr(decided_at, 1, 10) <= due_date END",
    },
    "postgresql": {
        "first_decision": "response ->> 'decision'",
        "completed_in_us": f"CASE WHEN {COMPLETED} THEN greatest(0,"
        " CAST(EXTRACT(EPOCH FROM decided_at - created_at) * 1000000 AS BIGINT)) END",
        "on_time": f"CASE WHEN {COMPLETED} AND due_date IS NOT NULL"
        " THEN date(timezone(INTERVAL '8 hours', decided_at)) <= due_date END",
    },
}
TYPES = {"first_decision": sa.String(length=32), "completed_in_us": sa.BigInteger(), "on_time": sa.Boolean()}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, type_ in TYPES.items():
        # SQLite adds generated columns as VIRTUAL only (their values live in the indexes);
        # PostgreSQL indexes only stored ones
        computed = sa.Computed(EXPRESSIONS[dialect][name], persisted=dialect == "postgresql")
        op.add_column("applications", sa.Column(name, type_, computed))
    op.create_index(
        "ix_applications_stats_totals",
        "applications",
        ["first_decision", "outcome", "item_code", "channel", "on_time", "completed_in_us"],
    )
    op.create_index(
        "ix_applications_stats_times", "applications", ["item_code", "channel", "completed_in_us"]
    )


def downgrade() -> None:
    op.drop_index("ix_applications_stats_times", table_name="applications")
    op.drop_index("ix_applications_stats_totals", table_name="applications")
    for name in reversed(list(TYPES)):
        op.drop_column("applications", name)
