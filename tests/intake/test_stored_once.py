"""A submission stores what it needs once: its timeline is its audit records, not also rows of
application_events and a copy inside the stored answer; what is read back is unchanged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, inspect, select, text, update

from approval.database import Database, application_events, applications
from approval.settings import Settings
from tests.conftest import submit
from tests.fixtures import application_for

# one automatic approval (the README example): today's minimum, each row needed once
ROWS_OF_ONE_APPROVAL = {
    "applications": 1,
    "registry_answers": 4,  # the answer of each registry, re-derived from by backtests
    "registry_exchanges": 4,  # who asked which registry about whom, on what legal basis
    "audit_records": 4,  # received, registries_queried, decided, licence_issued: the timeline
    "audit_heads": 1,
    "licences": 1,
    "outbox": 1,  # the push to the supervising departments
    "registry_filings": 1,  # the registration, for filing to the market registry
}
ROWS_BEFORE = 18  # when the timeline was also stored in application_events and the answer


@pytest.fixture
def db(migrated: Settings) -> Iterator[Database]:
    database = Database(migrated.database_url)
    yield database
    database.dispose()


def _row_counts(db: Database) -> dict[str, int]:
    with db.reading() as conn:
        tables = inspect(conn).get_table_names()
        return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables}


def test_one_automatic_approval_writes_each_row_it_needs_once(
    client: TestClient, keys: dict[str, str], db: Database
) -> None:
    before = _row_counts(db)
    answer = submit(client, keys["terminal"], application_for("clean_owner"))
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "issued"
    after = _row_counts(db)
    written = {t: after[t] - before[t] for t in after if after[t] != before[t]}
    assert written == ROWS_OF_ONE_APPROVAL
    assert sum(written.values()) < ROWS_BEFORE


def test_the_answer_read_back_and_replayed_is_the_first_with_its_timeline(
    client: TestClient, keys: dict[str, str], db: Database
) -> None:
    body = application_for("clean_owner")
    first = submit(client, keys["terminal"], body, idempotency_key="kiosk-9-0001").json()
    assert [e["kind"] for e in first["timeline"]] == [
        "received",
        "registries_queried",
        "decided",
        "licence_issued",
    ]
    with db.reading() as conn:
        stored = conn.execute(
            select(applications.c.response).where(applications.c.id == first["id"])
        ).scalar_one()
    assert "timeline" not in stored
    auth = {"Authorization": f"Bearer {keys['terminal']}"}
    read = client.get(f"/v1/applications/{first['id']}", headers=auth).json()
    assert read["timeline"] == first["timeline"]
    replayed = submit(client, keys["terminal"], body, idempotency_key="kiosk-9-0001").json()
    assert replayed == first


def test_an_application_stored_before_reads_and_replays_as_it_did(
    client: TestClient, keys: dict[str, str], db: Database
) -> None:
    body = application_for("clean_owner")
    first = submit(client, keys["terminal"], body, idempotency_key="kiosk-9-0002").json()
    application_id = first["id"]
    # as rows were stored before: the timeline in application_events and inside the answer
    later = {"at": "2026-11-27T09:00:00+08:00", "kind": "commitment_broken", "detail": {}}
    with db.transaction() as conn:
        conn.execute(
            update(applications)
            .where(applications.c.id == application_id)
            .values(opening_records=None, response=first)
        )
        conn.execute(
            insert(application_events),
            [
                {
                    "application_id": application_id,
                    "at": dt.datetime.fromisoformat(e["at"]),
                    "kind": e["kind"],
                    "detail": e["detail"],
                }
                for e in [*first["timeline"], later]
            ],
        )
    auth = {"Authorization": f"Bearer {keys['terminal']}"}
    read = client.get(f"/v1/applications/{application_id}", headers=auth).json()
    assert [e["kind"] for e in read["timeline"]] == [
        *(e["kind"] for e in first["timeline"]),
        "commitment_broken",
    ]
    replayed = submit(client, keys["terminal"], body, idempotency_key="kiosk-9-0002").json()
    assert replayed == first
