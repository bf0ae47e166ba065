"""The statistics are aggregates the database computes from its indexes, not rows read out.

Speed itself is measured in loadtest/bench_stats.py; here, what makes it independent of the
number of stored applications: no stored answer or submission is read, and on SQLite every
query walks a statistics index in its own order (no table row, no sort).
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, insert, select

from approval.access.service import create_key
from approval.clock import CHINA_TZ
from approval.context import AppContext
from approval.database import Database, api_keys, applications
from approval.kernel.status import is_completed
from approval.settings import Settings
from approval.stats.service import compute_stats
from tests.conftest import POSTGRES_ADMIN_URL, submit
from tests.fixtures import application_for

FOOD = {"scope": ["H2001"], "commitments": {"truthfulness": True, "no_trading_before_permit": True}}


def _statements(context: AppContext) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, sql: str, parameters: Any, *_args: Any) -> None:
        seen.append((sql, parameters))

    event.listen(context.db.engine, "before_cursor_execute", record)
    try:
        with context.db.reading() as conn:
            compute_stats(conn, context.catalog, context.calendar)
    finally:
        event.remove(context.db.engine, "before_cursor_execute", record)
    return seen


@pytest.fixture
def context(client: TestClient, keys: dict[str, str]) -> AppContext:
    for body in (
        application_for("clean_owner"),
        application_for("clean_tenant", **FOOD),
        application_for("child_15"),
        application_for("minor_16"),
    ):
        submit(client, keys["terminal"], body)
    submit(client, keys["mobile"], application_for("clean_owner", employees=2))
    found: AppContext = client.app.state.context  # type: ignore[attr-defined]
    return found


def test_no_stored_answer_or_submission_is_read(context: AppContext) -> None:
    statements = _statements(context)
    assert statements
    for sql, _ in statements:
        for column in ("response", "payload", "facts", "reasons", "operator_id_number"):
            assert f"applications.{column}" not in sql


@pytest.mark.skipif(POSTGRES_ADMIN_URL is not None, reason="SQLite's query plans")
def test_every_query_walks_a_statistics_index_in_its_order(context: AppContext) -> None:
    statements = _statements(context)
    with context.db.reading() as conn:
        for sql, parameters in statements:
            plan = [row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters)]
            assert not [line for line in plan if "TEMP B-TREE" in line], (sql, plan)
            for line in plan:
                if " applications" in line:
                    assert "INDEX ix_applications_stats_" in line, (sql, plan)


STATUSES = ("received", "pending_verification", "decided", "issued", "revoked")
OUTCOMES = (None, "approve", "approve_with_conditions", "reject", "manual_review")


def test_the_computed_columns_agree_with_completion_and_the_stored_answer(
    client: TestClient, settings: Settings
) -> None:
    """The database's own copy of 办结 (the migration's SQL) is the service's, in every state."""
    # a hair before a whole second, which a date function rounding to milliseconds gets wrong
    created = dt.datetime(2026, 11, 20, 10, 0, 0, 999_900, tzinfo=CHINA_TZ)
    # hours from receipt to decision (a clock that went backwards counts as none) and due day
    cases = list(itertools.product(STATUSES, OUTCOMES, (None, -0.25, 0.5001, 90.5), (None, 20, 19)))
    db = Database(settings.database_url)
    try:
        with db.transaction() as conn:
            create_key(conn, "terminal", None, "stats", created)
            key_id = conn.execute(select(api_keys.c.id)).scalar_one()
            conn.execute(
                insert(applications),
                [
                    {
                        "id": f"a{n}",
                        "created_at": created,
                        "updated_at": created,
                        "channel": "terminal",
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
                        "decided_at": None
                        if after is None
                        else created + dt.timedelta(hours=after),
                        "response": {"decision": outcome, "status": status},
                        "due_date": None if due is None else dt.date(2026, 11, due),
                    }
                    for n, (status, outcome, after, due) in enumerate(cases)
                ],
            )
        with db.reading() as conn:
            rows = {
                r.id: r
                for r in conn.execute(
                    select(
                        applications.c.id,
                        applications.c.first_decision,
                        applications.c.completed_in_us,
                        applications.c.on_time,
                    )
                )
            }
    finally:
        db.dispose()
    for n, (status, outcome, after, due) in enumerate(cases):
        row = rows[f"a{n}"]
        completed = is_completed(status, outcome) and after is not None
        assert row.first_decision == outcome
        assert row.completed_in_us == (max(0, round(after * 3_600_000_000)) if completed else None)
        if not completed or due is None:
            assert row.on_time is None
        else:
            decided_on = (created + dt.timedelta(hours=after)).date()
            assert row.on_time is (decided_on <= dt.date(2026, 11, due)), (status, after, due)
