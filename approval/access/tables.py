"""The revocation generation: one row, counted up by every revocation.

Each process reads it at most every half second and drops its key cache when it moved, so a
revoked key is refused everywhere within a second while the cache still spares the key table.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, Table

from approval.database import metadata

GENERATION_ROW = 1

api_key_generation = Table(
    "api_key_generation",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("generation", Integer, nullable=False),
)
