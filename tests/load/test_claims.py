"""Background work claimed with FOR UPDATE SKIP LOCKED: a second worker skips what the first
holds instead of waiting for it or doing it again (PostgreSQL; SQLite has one writer)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from approval.clock import CHINA_TZ
from approval.database import Database
from approval.settings import Settings
from approval.supervision import repository, service
from tests.conftest import POSTGRES_ADMIN_URL, TODAY, submit
from tests.fixtures import application_for
from tests.supervision.support import dispatcher

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not POSTGRES_ADMIN_URL,
        reason="row locks between workers exist only on PostgreSQL: "
        "set APPROVAL_TEST_POSTGRES_URL (make test does, via scripts/postgres.sh)",
    ),
]


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        fixed_today=TODAY,
        signing_key_path=tmp_path / "signing-key.pem",
        dispatch_interval_seconds=0,  # the test steps the dispatcher itself
    )


def test_a_second_dispatcher_skips_the_escalations_another_one_holds(
    client: TestClient, keys: dict[str, str], settings: Settings
) -> None:
    created = submit(client, keys["terminal"], application_for("clean_owner")).json()
    assert created["status"] == "issued"
    assert dispatcher(client).run_once().routed == 1
    late = dt.date(2026, 12, 10)
    now = dt.datetime.combine(late, dt.time(10), tzinfo=CHINA_TZ)
    first, second = Database(settings.database_url), Database(settings.database_url)
    try:
        with first.transaction() as holding:
            held = repository.newly_overdue(holding, late)
            assert {r.department for r in held} == {"SCJG", "SW"}
            with second.transaction() as other:
                # waiting would be the bug: fail at once instead of hanging
                other.exec_driver_sql("SET LOCAL lock_timeout = '2s'")
                assert service.escalate_overdue(other, late, now) == 0
            holding.rollback()
        with second.transaction() as other:
            assert service.escalate_overdue(other, late, now) == 2
        with second.transaction() as other:
            assert service.escalate_overdue(other, late, now) == 0
    finally:
        first.dispose()
        second.dispose()
