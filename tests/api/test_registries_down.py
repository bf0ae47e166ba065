"""A registry that does not answer never produces an approval or a rejection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api import create_app
from approval.migrate import upgrade_to_head
from approval.settings import Settings
from tests.conftest import submit
from tests.fixtures import application_for


def _client(settings: Settings, **changes: object) -> Iterator[TestClient]:
    changed = settings.model_copy(update=changes)
    upgrade_to_head(changed.database_url)
    with TestClient(create_app(changed)) as client:
        yield client


@pytest.fixture(params=["market", "food", "realestate", "population"])
def down_client(request: pytest.FixtureRequest, settings: Settings) -> Iterator[TestClient]:
    yield from _client(settings, unavailable_registries=frozenset({request.param}))


@pytest.fixture
def slow_client(settings: Settings) -> Iterator[TestClient]:
    yield from _client(settings, registry_latency_ms=400.0, registry_deadline_ms=60.0)


@pytest.mark.parametrize("persona", ["clean_owner", "child_15", "banned"])
def test_an_unavailable_registry_parks_the_application(
    down_client: TestClient, keys: dict[str, str], persona: str
) -> None:
    body = submit(down_client, keys["terminal"], application_for(persona)).json()
    assert body["status"] == "pending_verification"
    assert body["decision"] is None
    assert body["licence"] is None
    assert [r["code"] for r in body["reasons"]] == ["REGISTRY_UNAVAILABLE"]
    stored = down_client.get(
        f"/v1/applications/{body['id']}", headers={"Authorization": f"Bearer {keys['staff']}"}
    ).json()
    assert stored["status"] == "pending_verification"
    assert stored["timeline"][-1]["kind"] == "pending_verification"


def test_registries_slower_than_the_deadline_park_the_application(
    slow_client: TestClient, keys: dict[str, str]
) -> None:
    body = submit(slow_client, keys["terminal"], application_for("clean_owner")).json()
    assert body["status"] == "pending_verification"
    queried = body["timeline"][1]["detail"]
    assert all(not answer["available"] for answer in queried.values())


def test_unknown_outage_name_is_refused(tmp_path: Path) -> None:
    from approval.context import build_context

    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}",
        unavailable_registries=frozenset({"markt"}),
        signing_key_path=tmp_path / "k.pem",
    )
    with pytest.raises(ValueError, match="markt"):
        build_context(settings)
