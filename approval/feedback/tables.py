from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table

from approval.database import TS, metadata

ratings = Table(
    "ratings",
    metadata,
    Column("application_id", String(32), ForeignKey("applications.id"), primary_key=True),
    Column("rating", Integer, nullable=False),
    Column("comment", String(200), nullable=True),
    Column("key_id", String(32), nullable=False),
    Column("created_at", TS, nullable=False),
)
