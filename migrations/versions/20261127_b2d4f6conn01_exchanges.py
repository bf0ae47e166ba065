"""registry exchange log and pending verifications

Revision ID: b2d4f6conn01
Revises: 3fc31a705a3d
Create Date: 2026-11-27 00:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "b2d4f6conn01"
down_revision: Union[str, Sequence[str], None] = "3fc31a705a3d"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "registry_exchanges",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("application_id", sa.String(length=32), nullable=False),
        sa.Column("subject_id_number", sa.String(length=32), nullable=False),
        sa.Column("registry", sa.String(length=16), nullable=False),
        sa.Column("operation", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("acting_system", sa.String(length=64), nullable=False),
        sa.Column("legal_basis", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("response_hash", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_registry_exchanges_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_exchanges")),
    )
    with op.batch_alter_table("registry_exchanges", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registry_exchanges_subject", ["subject_id_number", "at"], unique=False
        )
        batch_op.create_index(
            "ix_registry_exchanges_application", ["application_id"], unique=False
        )

    op.create_table(
        "pending_verifications",
        sa.Column("application_id", sa.String(length=32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("give_up_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_pending_verifications_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_pending_verifications")),
    )
    with op.batch_alter_table("pending_verifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pending_verifications_due", ["next_attempt_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("pending_verifications", schema=None) as batch_op:
        batch_op.drop_index("ix_pending_verifications_due")
    op.drop_table("pending_verifications")
    with op.batch_alter_table("registry_exchanges", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_exchanges_application")
        batch_op.drop_index("ix_registry_exchanges_subject")
    op.drop_table("registry_exchanges")
