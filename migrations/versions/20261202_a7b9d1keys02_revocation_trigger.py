"""a key revoked or deleted in the database directly advances the revocation generation too

Revision ID: a7b9d1keys02
Revises: e5a7c9keys01
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "a7b9d1keys02"
down_revision: str | Sequence[str] | None = "e5a7c9keys01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUMP = "UPDATE api_key_generation SET generation = generation + 1 WHERE id = 1"


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION miaopi_key_generation() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER api_keys_revoked AFTER UPDATE OF revoked_at OR DELETE ON api_keys "
            "FOR EACH STATEMENT EXECUTE FUNCTION miaopi_key_generation()"
        )
        return
    op.execute(
        f"CREATE TRIGGER api_keys_revoked AFTER UPDATE OF revoked_at ON api_keys BEGIN {BUMP}; END"
    )
    op.execute(f"CREATE TRIGGER api_keys_deleted AFTER DELETE ON api_keys BEGIN {BUMP}; END")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER api_keys_revoked ON api_keys")
        op.execute("DROP FUNCTION miaopi_key_generation()")
        return
    op.execute("DROP TRIGGER api_keys_revoked")
    op.execute("DROP TRIGGER api_keys_deleted")
