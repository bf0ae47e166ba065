"""Applications and bundle parts still open after their due date (承诺时限)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Connection

from approval.bundles.tables import bundle_applications, bundle_parts
from approval.catalog.items import Catalog
from approval.database import applications
from approval.kernel.status import ApplicationStatus, Outcome

OPEN_PARTS = ("received", "waiting", "in_review", "in_progress")


def overdue(conn: Connection, catalog: Catalog, today: dt.date) -> dict[str, Any]:
    open_application = or_(
        applications.c.status == ApplicationStatus.PENDING_VERIFICATION.value,
        and_(
            applications.c.status == ApplicationStatus.DECIDED.value,
            applications.c.outcome == Outcome.MANUAL_REVIEW.value,
        ),
    )
    late_applications = conn.execute(
        select(
            applications.c.id,
            applications.c.item_code,
            applications.c.channel,
            applications.c.hall_code,
            applications.c.status,
            applications.c.outcome,
            applications.c.created_at,
            applications.c.due_date,
        )
        .where(open_application, applications.c.due_date < today)
        .order_by(applications.c.due_date)
    ).all()
    late_parts = conn.execute(
        select(bundle_parts, bundle_applications.c.bundle_code)
        .join(bundle_applications, bundle_applications.c.id == bundle_parts.c.bundle_id)
        .where(bundle_parts.c.status.in_(OPEN_PARTS), bundle_parts.c.due_date < today)
        .order_by(bundle_parts.c.due_date)
    ).all()
    return {
        "as_of": today.isoformat(),
        "applications": [
            {
                "id": row.id,
                "item_code": row.item_code,
                "channel": row.channel,
                "hall_code": row.hall_code,
                "state": row.outcome or row.status,
                "received_on": row.created_at.date().isoformat(),
                "due_date": row.due_date.isoformat(),
                "days_overdue": (today - row.due_date).days,
            }
            for row in late_applications
        ],
        "bundle_parts": [
            {
                "bundle_id": row.bundle_id,
                "bundle_code": row.bundle_code,
                "item_code": row.item_code,
                "item_name": catalog.items[row.item_code].name
                if row.item_code in catalog.items
                else row.item_code,
                "status": row.status,
                "due_date": row.due_date.isoformat(),
                "days_overdue": (today - row.due_date).days,
            }
            for row in late_parts
        ],
    }
