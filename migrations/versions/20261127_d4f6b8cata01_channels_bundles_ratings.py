"""channels and halls, bundles (一件事), due dates and ratings

Revision ID: d4f6b8cata01
Revises: 3fc31a705a3d
Create Date: 2026-11-27 01:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "d4f6b8cata01"
down_revision: Union[str, Sequence[str], None] = "3fc31a705a3d"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hall_code", sa.String(length=32), nullable=True))
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("item_code", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("hall_code", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("due_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("bundle_id", sa.String(length=32), nullable=True))

    op.create_table(
        "ratings",
        sa.Column("application_id", sa.String(length=32), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.String(length=200), nullable=True),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_ratings_application_id_applications")
        ),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_ratings")),
    )
    op.create_table(
        "bundle_applications",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("bundle_code", sa.String(length=32), nullable=False),
        sa.Column("registration_id", sa.String(length=32), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bundle_applications")),
    )
    op.create_table(
        "bundle_parts",
        sa.Column("bundle_id", sa.String(length=32), nullable=False),
        sa.Column("item_code", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["bundle_id"], ["bundle_applications.id"],
            name=op.f("fk_bundle_parts_bundle_id_bundle_applications"),
        ),
        sa.PrimaryKeyConstraint("bundle_id", "item_code", name=op.f("pk_bundle_parts")),
    )


def downgrade() -> None:
    op.drop_table("bundle_parts")
    op.drop_table("bundle_applications")
    op.drop_table("ratings")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        for column in ("bundle_id", "due_date", "hall_code", "item_code"):
            batch_op.drop_column(column)
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("hall_code")
