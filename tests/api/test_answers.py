"""Typed answers are byte for byte what clients got before they were typed."""

from __future__ import annotations

import datetime as dt

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select

from approval.database import Database, applications
from approval.rules.repository import list_versions
from approval.settings import Settings
from tests.conftest import submit
from tests.fixtures import application_for


def _stored_response(settings: Settings, application_id: str) -> object:
    db = Database(settings.database_url)
    try:
        with db.reading() as conn:
            query = select(applications.c.response).where(applications.c.id == application_id)
            return conn.execute(query).scalar_one()
    finally:
        db.dispose()


def test_a_submission_answers_the_bytes_the_service_rendered(
    client: TestClient, keys: dict[str, str], settings: Settings
) -> None:
    response = submit(client, keys["terminal"], application_for("clean_owner"), "bytes-1")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["licence"]["json"].startswith("/v1/licences/")
    assert body["created_at"][-6:] in ("+08:00", "+00:00")  # the offset, not pydantic's "Z"
    # the stored answer holds everything but the timeline, which is stored once, as events
    stored = _stored_response(settings, body["id"])
    assert isinstance(stored, dict)
    assert "timeline" not in stored
    assert response.content == orjson.dumps({**stored, "timeline": body["timeline"]})
    replay = submit(client, keys["terminal"], application_for("clean_owner"), "bytes-1")
    assert replay.content == response.content


def test_a_listing_keeps_its_field_names_and_instants(
    client: TestClient, keys: dict[str, str]
) -> None:
    first = submit(client, keys["terminal"], application_for("clean_owner")).json()
    headers = {"Authorization": f"Bearer {keys['terminal']}"}
    listing = client.get("/v1/applications", params={"limit": 1}, headers=headers).json()
    (item,) = listing["items"]
    assert item == {
        "id": first["id"],
        "created_at": item["created_at"],
        "status": first["status"],
        "decision": first["decision"],
        "channel": first["channel"],
        "name": application_for("clean_owner")["name"],
        "operator_id_number": first["operator_id_number"],
    }
    listed, submitted = (
        dt.datetime.fromisoformat(t) for t in (item["created_at"], first["created_at"])
    )
    # the same instant: PostgreSQL answers it in UTC, SQLite as the local time it stored
    if listed.tzinfo is None:
        assert listed == submitted.replace(tzinfo=None)
    else:
        assert listed == submitted
    assert listing["next_before"] == item["created_at"]
    assert set(listing) == {"items", "next_before"}


def test_the_ruleset_list_answers_the_rows_as_stored(
    client: TestClient, keys: dict[str, str], settings: Settings
) -> None:
    response = client.get("/v1/rulesets", headers={"Authorization": f"Bearer {keys['staff']}"})
    assert response.status_code == 200, response.text
    db = Database(settings.database_url)
    try:
        with db.reading() as conn:
            rows = [{str(k): v for k, v in r._mapping.items()} for r in list_versions(conn)]
    finally:
        db.dispose()
    assert rows  # the running version is stored at start
    running = response.json()["running"]
    assert response.content == orjson.dumps({"running": running, "versions": rows})
