from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, String, Table

from approval.database import TS, metadata

bundle_applications = Table(
    "bundle_applications",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("bundle_code", String(32), nullable=False),
    Column("registration_id", String(32), nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("created_at", TS, nullable=False),
)

bundle_parts = Table(
    "bundle_parts",
    metadata,
    Column("bundle_id", String(32), ForeignKey("bundle_applications.id"), primary_key=True),
    Column("item_code", String(32), primary_key=True),
    Column("status", String(24), nullable=False),
    Column("detail", String(300), nullable=False),
    Column("due_date", Date, nullable=True),
    Column("updated_at", TS, nullable=False),
)
