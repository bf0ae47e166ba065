"""Statistics computed from the stored applications and ratings."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from approval.calendar import WorkingCalendar
from approval.catalog.items import CHANNEL_LABELS, REGISTRATION, Catalog
from approval.database import applications
from approval.feedback.tables import ratings
from approval.intake.service import is_completed

BUCKETS_SECONDS = (1, 5, 60, 3600, 86400, 3 * 86400)


def _percentile(sorted_values: list[float], share: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(share * (len(sorted_values) - 1))))
    return sorted_values[index]


def _completed(row: Any) -> bool:
    return is_completed(row.status, row.outcome) and row.decided_at is not None


def compute_stats(conn: Connection, catalog: Catalog, calendar: WorkingCalendar) -> dict[str, Any]:
    rows = conn.execute(
        select(
            applications.c.item_code,
            applications.c.channel,
            applications.c.status,
            applications.c.outcome,
            applications.c.created_at,
            applications.c.decided_at,
            applications.c.due_date,
            applications.c.response,
        )
    ).all()
    completed = [r for r in rows if _completed(r)]
    on_time = 0
    durations: dict[tuple[str, str], list[float]] = defaultdict(list)
    for row in completed:
        item_code = row.item_code or REGISTRATION
        item = catalog.item(item_code)
        promised = item.promised_limit_days if item else 0
        due = row.due_date or calendar.add_working_days(row.created_at.date(), promised)
        on_time += row.decided_at.date() <= due
        seconds = max((row.decided_at - row.created_at).total_seconds(), 0.0)
        durations[(item_code, row.channel)].append(seconds)
    first_decisions = Counter((r.response or {}).get("decision") for r in rows)
    decided = sum(n for decision, n in first_decisions.items() if decision)
    auto_approved = first_decisions["approve"] + first_decisions["approve_with_conditions"]
    scores = [r.rating for r in conn.execute(select(ratings.c.rating))]
    return {
        "applications": len(rows),
        "completed": len(completed),
        "in_progress": len(rows) - len(completed),
        "on_time_rate": on_time / len(completed) if completed else None,
        "auto_approval_rate": auto_approved / decided if decided else None,
        "first_decisions": {k: v for k, v in first_decisions.items() if k},
        "outcomes": dict(Counter(r.outcome for r in rows if r.outcome)),
        "ratings": len(scores),
        "satisfaction_rate": sum(s >= 4 for s in scores) / len(scores) if scores else None,
        "rating_average": sum(scores) / len(scores) if scores else None,
        "processing": [
            _distribution(catalog, item_code, channel, sorted(values))
            for (item_code, channel), values in sorted(durations.items())
        ],
    }


def _distribution(
    catalog: Catalog, item_code: str, channel: str, values: list[float]
) -> dict[str, Any]:
    item = catalog.item(item_code)
    histogram: list[dict[str, int | None]] = []
    previous = 0
    for bound in BUCKETS_SECONDS:
        count = sum(1 for v in values if v <= bound)
        histogram.append({"le_seconds": bound, "count": count - previous})
        previous = count
    histogram.append({"le_seconds": None, "count": len(values) - previous})
    return {
        "item_code": item_code,
        "item_name": item.name if item else item_code,
        "channel": channel,
        "channel_name": CHANNEL_LABELS.get(channel, channel),
        "count": len(values),
        "p50_seconds": _percentile(values, 0.5),
        "p90_seconds": _percentile(values, 0.9),
        "max_seconds": values[-1] if values else 0.0,
        "histogram": histogram,
    }


def today_label(today: dt.date) -> str:
    return f"{today.year}年{today.month}月{today.day}日"
