"""Statistics computed from the stored applications and ratings, by SQL aggregates."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy.engine import Connection

from approval.calendar import WorkingCalendar
from approval.catalog.items import CHANNEL_LABELS, REGISTRATION, Catalog
from approval.kernel.status import Outcome
from approval.stats import repository

BUCKETS_SECONDS = (1, 5, 60, 3600, 86400, 3 * 86400)
_US = 1_000_000


def _rank(count: int, share: float) -> int:
    # the nearest rank, rounded half to even as Python rounds
    return min(count - 1, max(0, round(share * (count - 1))))


def compute_stats(conn: Connection, catalog: Catalog, calendar: WorkingCalendar) -> dict[str, Any]:
    applications = 0
    first_decisions: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    completed: Counter[tuple[str, str]] = Counter()
    codes: defaultdict[tuple[str, str], set[str | None]] = defaultdict(set)
    on_time = undated = 0
    for tally in repository.tallies(conn):
        applications += tally.count
        if tally.first_decision:
            first_decisions[tally.first_decision] += tally.count
        if tally.outcome:
            outcomes[tally.outcome] += tally.count
        if tally.completed:
            group = (tally.item_code or REGISTRATION, tally.channel)
            completed[group] += tally.completed
            codes[group].add(tally.item_code)
            on_time += tally.completed if tally.on_time else 0
            undated += tally.completed if tally.on_time is None else 0
    if undated:  # stored before due dates were: due by the promised limit from the day received
        for item_code, received_on, decided_on, count in repository.undated_completions(conn):
            item = catalog.item(item_code or REGISTRATION)
            promised = item.promised_limit_days if item else 0
            due = calendar.add_working_days(received_on, promised)
            on_time += count if decided_on <= due else 0
    decided = sum(first_decisions.values())
    auto_approved = sum(
        first_decisions[o] for o in (Outcome.APPROVE, Outcome.APPROVE_WITH_CONDITIONS)
    )
    scores = repository.rating_totals(conn)
    done = sum(completed.values())
    return {
        "applications": applications,
        "completed": done,
        "in_progress": applications - done,
        "on_time_rate": on_time / done if done else None,
        "auto_approval_rate": auto_approved / decided if decided else None,
        "first_decisions": dict(sorted(first_decisions.items())),
        "outcomes": dict(sorted(outcomes.items())),
        "ratings": scores.count,
        "satisfaction_rate": scores.satisfied / scores.count if scores.count else None,
        "rating_average": scores.total / scores.count if scores.count else None,
        "processing": [
            _distribution(conn, catalog, group, codes[group], count)
            for group, count in sorted(completed.items())
        ],
    }


def _distribution(
    conn: Connection,
    catalog: Catalog,
    group: tuple[str, str],
    stored_codes: set[str | None],
    count: int,
) -> dict[str, Any]:
    item_code, channel = group
    times = repository.completion_times(
        conn,
        sorted(stored_codes, key=str),
        channel,
        count,
        [bound * _US for bound in BUCKETS_SECONDS],
        [_rank(count, 0.5), _rank(count, 0.9)],
    )
    histogram: list[dict[str, int | None]] = []
    previous = 0
    for bound, slower in zip(BUCKETS_SECONDS, times.above_us, strict=True):
        histogram.append({"le_seconds": bound, "count": count - slower - previous})
        previous = count - slower
    histogram.append({"le_seconds": None, "count": count - previous})
    item = catalog.item(item_code)
    p50, p90 = times.ranked_us
    return {
        "item_code": item_code,
        "item_name": item.name if item else item_code,
        "channel": channel,
        "channel_name": CHANNEL_LABELS.get(channel, channel),
        "count": count,
        "p50_seconds": p50 / _US,
        "p90_seconds": p90 / _US,
        "max_seconds": times.longest_us / _US,
        "histogram": histogram,
    }


def today_label(today: dt.date) -> str:
    return f"{today.year}年{today.month}月{today.day}日"
