"""supervision: audit chain, department copies, review cases, objections, ban list

Revision ID: c3e5a7supv01
Revises: 3fc31a705a3d
Create Date: 2026-11-27 10:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "c3e5a7supv01"
down_revision: Union[str, Sequence[str], None] = "3fc31a705a3d"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("department", sa.String(length=16), nullable=True))

    op.create_table(
        "audit_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("chain", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_records")),
        sa.UniqueConstraint("chain", "seq", name="uq_audit_records_chain_seq"),
    )
    op.create_index("ix_audit_records_action", "audit_records", ["action"])
    op.create_table(
        "audit_heads",
        sa.Column("chain", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_audit_heads")),
    )
    op.create_table(
        "supervision_copies",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.String(length=32), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=True),
        sa.Column("department", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TS, nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("claim_due_on", sa.Date(), nullable=False),
        sa.Column("delivered_at", TS, nullable=True),
        sa.Column("acknowledged_at", TS, nullable=True),
        sa.Column("claimed_at", TS, nullable=True),
        sa.Column("claimed_by", sa.String(length=32), nullable=True),
        sa.Column("escalated_at", TS, nullable=True),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("closed_at", TS, nullable=True),
        sa.Column("close_note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_copies")),
        sa.UniqueConstraint(
            "outbox_id", "department", name="uq_supervision_copies_outbox_department"
        ),
    )
    op.create_index(
        "ix_supervision_copies_due", "supervision_copies", ["status", "next_attempt_at"]
    )
    op.create_index(
        "ix_supervision_copies_department", "supervision_copies", ["department", "status"]
    )
    op.create_table(
        "false_registration_bans",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id_number", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=True),
        sa.Column("banned_on", sa.Date(), nullable=False),
        sa.Column("banned_until", sa.Date(), nullable=False),
        sa.Column("objection_id", sa.String(length=32), nullable=True),
        sa.Column("credit_code", sa.String(length=18), nullable=True),
        sa.Column("lifted_at", TS, nullable=True),
        sa.Column("lifted_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_false_registration_bans")),
    )
    op.create_index(
        "ix_false_registration_bans_person",
        "false_registration_bans",
        ["id_number", "banned_until"],
    )
    op.create_table(
        "review_cases",
        sa.Column("application_id", sa.String(length=32), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("extended_on", sa.Date(), nullable=True),
        sa.Column("extension_approved_by", sa.String(length=50), nullable=True),
        sa.Column("extension_reason", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(length=32), nullable=True),
        sa.Column("claimed_at", TS, nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_review_cases")),
    )
    op.create_table(
        "objections",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("application_id", sa.String(length=32), nullable=False),
        sa.Column("objector_id_number", sa.String(length=32), nullable=False),
        sa.Column("objector_key_id", sa.String(length=32), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("stage_due_on", sa.Date(), nullable=True),
        sa.Column("notice_ends_on", sa.Date(), nullable=True),
        sa.Column("decision", sa.String(length=24), nullable=True),
        sa.Column("revoked_items", sa.JSON(), nullable=True),
        sa.Column("responsible_id_number", sa.String(length=32), nullable=True),
        sa.Column("previous_licence_status", sa.String(length=16), nullable=True),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objections")),
    )
    op.create_index("ix_objections_stage", "objections", ["stage", "stage_due_on"])
    op.create_index("ix_objections_credit_code", "objections", ["credit_code"])


def downgrade() -> None:
    op.drop_table("objections")
    op.drop_table("review_cases")
    op.drop_table("false_registration_bans")
    op.drop_table("supervision_copies")
    op.drop_table("audit_heads")
    op.drop_table("audit_records")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("department")
