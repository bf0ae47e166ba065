"""Exact figures on a small store built row by row: every edge the statistics define.

The expected answer was written out by hand and first checked against the statistics as they
were computed in Python from every row; the SQL aggregates must give the same figures.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from approval.access.service import create_key
from approval.clock import CHINA_TZ
from approval.database import Database, api_keys, applications
from approval.feedback.tables import ratings
from approval.settings import Settings

REG, CHANGE, UNKNOWN = "SCJG-GT-001", "SCJG-GT-002", "ZZ-UNKNOWN"


def _at(day: int, seconds: float = 0.0, month: int = 11) -> dt.datetime:
    # 10:00 in China is the same calendar day in UTC, so the figures hold on any server zone
    start = dt.datetime(2026, month, day, 10, 0, tzinfo=CHINA_TZ)
    return start + dt.timedelta(microseconds=round(seconds * 1_000_000))


# (item, channel, status, outcome, created, decided, due, first decision in the stored answer;
#  "none" for an answer without a decision, None for no stored answer) and a rating
ROWS: list[tuple[Any, ...]] = [
    (None, "terminal", "issued", "approve", _at(20), _at(20, 0.123456), 20, "approve", 5),
    (REG, "terminal", "issued", "approve_with_conditions", _at(20), _at(20, 1), 20,
     "approve_with_conditions", 4),
    (REG, "terminal", "decided", "reject", _at(20), _at(20, 5), 20, "reject", 1),
    # approved by staff after review, five days later and after its due date
    (REG, "terminal", "issued", "approve", _at(20), _at(25), 23, "manual_review", None),
    (REG, "terminal", "decided", "manual_review", _at(20), _at(20, 2), 23, "manual_review", None),
    (REG, "terminal", "pending_verification", None, _at(20), None, 23, "none", None),
    (REG, "terminal", "issued", "approve", _at(20, 0.9999), _at(20, 1.4999), 20, "approve", None),
    (REG, "terminal", "issued", "approve", _at(20), _at(20, 2.9996), 20, "approve", None),
    # no due date stored: the promised limit from the catalogue, in working days
    (None, "mobile", "issued", "approve", _at(20), _at(20, 60), None, "approve", 3),
    (REG, "mobile", "decided", "approve", _at(26), _at(26, 3600.000001), None, "approve", None),
    # a clock that went backwards counts as no time at all
    (REG, "mobile", "decided", "reject", _at(24), _at(24, -60), None, None, None),
    (REG, "mobile", "revoked", "approve", _at(20), _at(20, 1), 20, "approve", None),
    (REG, "mobile", "issued", "approve", _at(20), None, 20, "approve", None),
    (REG, "mobile", "received", None, _at(26), None, None, "none", None),
    # an item the catalogue does not know: promised 0 days, named by its code
    (UNKNOWN, "bank", "issued", "approve", _at(20), _at(21), None, "approve", 5),
    (UNKNOWN, "bank", "decided", "approve_with_conditions", _at(20), _at(22), 30,
     "approve_with_conditions", None),
    # promised 1 working day: Thursday → Friday, and Friday → Monday, both on time; times a
    # hair before a whole second, where a date function rounding to milliseconds is 1 s off
    (CHANGE, "window", "issued", "approve", _at(26, 0.9999), _at(27, 0.4999), None, "approve",
     None),
    (CHANGE, "window", "issued", "approve", _at(27), _at(30), None, "approve", None),
]  # fmt: skip


def _histogram(*counts: int) -> list[dict[str, int | None]]:
    bounds: list[int | None] = [1, 5, 60, 3600, 86400, 3 * 86400, None]
    return [{"le_seconds": b, "count": c} for b, c in zip(bounds, counts, strict=True)]


EXPECTED: dict[str, Any] = {
    "applications": 18,
    # a registration revoked later was still 办结 when it was issued
    "completed": 14,
    "in_progress": 4,
    "on_time_rate": 12 / 14,
    "auto_approval_rate": 12 / 15,
    "first_decisions": {
        "approve": 10,
        "approve_with_conditions": 2,
        "manual_review": 2,
        "reject": 1,
    },
    "outcomes": {"approve": 11, "approve_with_conditions": 2, "manual_review": 1, "reject": 2},
    "ratings": 5,
    "satisfaction_rate": 3 / 5,
    "rating_average": 18 / 5,
    "processing": [
        {
            "item_code": REG,
            "item_name": "个体工商户设立登记",
            "channel": "mobile",
            "channel_name": "手机 App",
            "count": 4,
            "p50_seconds": 60.0,
            "p90_seconds": 3600.000001,
            "max_seconds": 3600.000001,
            "histogram": _histogram(2, 0, 1, 0, 1, 0, 0),
        },
        {
            "item_code": REG,
            "item_name": "个体工商户设立登记",
            "channel": "terminal",
            "channel_name": "自助终端",
            "count": 6,
            # six values: index round(2.5) = 2 and round(4.5) = 4 (half to even)
            "p50_seconds": 1.0,
            "p90_seconds": 5.0,
            "max_seconds": 5 * 86400.0,
            "histogram": _histogram(3, 2, 0, 0, 0, 0, 1),
        },
        {
            "item_code": CHANGE,
            "item_name": "个体工商户变更登记",
            "channel": "window",
            "channel_name": "窗口",
            "count": 2,
            "p50_seconds": 86399.5,
            "p90_seconds": 3 * 86400.0,
            "max_seconds": 3 * 86400.0,
            "histogram": _histogram(0, 0, 0, 0, 1, 1, 0),
        },
        {
            "item_code": UNKNOWN,
            "item_name": UNKNOWN,
            "channel": "bank",
            "channel_name": "银行网点",
            "count": 2,
            "p50_seconds": 86400.0,
            "p90_seconds": 2 * 86400.0,
            "max_seconds": 2 * 86400.0,
            "histogram": _histogram(0, 0, 0, 0, 1, 1, 0),
        },
    ],
}


@pytest.fixture
def store(client: TestClient, settings: Settings) -> None:
    db = Database(settings.database_url)
    try:
        with db.transaction() as conn:
            create_key(conn, "terminal", None, "stats", _at(1))
            key_id = conn.execute(select(api_keys.c.id)).scalar_one()
            rows, scores = [], []
            for n, row in enumerate(ROWS):
                item, channel, status, outcome, created, decided, due, first, rating = row
                answer = None if first is None else {"decision": None if first == "none" else first}
                rows.append(
                    {
                        "id": f"app{n:02d}",
                        "created_at": created,
                        "updated_at": decided or created,
                        "channel": channel,
                        "key_id": key_id,
                        "idempotency_key": f"k{n}",
                        "request_hash": "0" * 64,
                        "status": status,
                        "operator_id_number": "110101199003070000",
                        "authority_code": "321202",
                        "payload": {},
                        "outcome": outcome,
                        "reasons": [],
                        "conditions": [],
                        "decided_at": decided,
                        "response": answer,
                        "item_code": item,
                        "due_date": None if due is None else dt.date(2026, 11, due),
                    }
                )
                if rating is not None:
                    scores.append(
                        {
                            "application_id": f"app{n:02d}",
                            "rating": rating,
                            "key_id": key_id,
                            "created_at": _at(27),
                        }
                    )
            conn.execute(insert(applications), rows)
            conn.execute(insert(ratings), scores)
    finally:
        db.dispose()


@pytest.mark.usefixtures("store")
def test_the_figures_of_a_known_store(client: TestClient) -> None:
    assert client.get("/v1/stats").json() == EXPECTED


@pytest.mark.usefixtures("store")
def test_the_page_shows_the_same_figures(client: TestClient) -> None:
    page = client.get("/v1/stats/page").text
    figures = ("85.7%", "80.0%", "60.0%", "满意率（5 条评价）", "个体工商户变更登记 · 窗口：2 件")
    for figure in figures:
        assert figure in page
