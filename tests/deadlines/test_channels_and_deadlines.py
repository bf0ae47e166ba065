"""Channels and halls are recorded and checked; due dates follow the working-day calendar."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api import create_app
from approval.access.service import create_key
from approval.database import Database
from approval.migrate import upgrade_to_head
from approval.settings import PROJECT_ROOT, Settings
from tests.conftest import submit
from tests.fixtures import application_for


def _key(settings: Settings, role: str, hall: str | None) -> str:
    db = Database(settings.database_url)
    try:
        with db.transaction() as conn:
            return create_key(conn, role, None, None, dt.datetime.now(dt.UTC), None, hall)
    finally:
        db.dispose()


@pytest.fixture
def village_not_delegated(settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    rules = tmp_path / "rules"
    shutil.copytree(PROJECT_ROOT / "rules", rules)
    market = rules / "catalog" / "items" / "market.yaml"
    market.write_text(
        market.read_text().replace(
            "hall_levels: [city, township, village, bank]", "hall_levels: [city, township, bank]", 1
        )
    )
    changed = settings.model_copy(update={"rules_dir": rules})
    upgrade_to_head(changed.database_url)
    with TestClient(create_app(changed)) as client:
        yield client


def test_channel_and_hall_are_recorded(client: TestClient, settings: Settings) -> None:
    bank_terminal = _key(settings, "terminal", "TZ-B01")
    window = _key(settings, "staff", "TZ-T04")
    at_bank = submit(client, bank_terminal, application_for("clean_owner")).json()
    at_window = submit(client, window, application_for("clean_tenant")).json()
    assert at_bank["channel"] == "bank"
    assert at_bank["timeline"][0]["detail"] == {"channel": "bank", "hall": "TZ-B01"}
    assert at_window["channel"] == "window"
    assert at_window["timeline"][0]["detail"]["hall"] == "TZ-T04"


def test_a_hall_the_item_is_not_delegated_to_is_refused(
    village_not_delegated: TestClient, settings: Settings
) -> None:
    village = _key(settings, "terminal", "TZ-V0401")
    township = _key(settings, "terminal", "TZ-T04")
    refused = submit(village_not_delegated, village, application_for("clean_owner"))
    assert refused.status_code == 422
    assert refused.json()["code"] == "item_not_delegated_to_hall"
    assert "九龙镇九龙社区便民服务站" in refused.json()["detail"]
    assert "个体工商户设立登记" in refused.json()["detail"]
    accepted = submit(village_not_delegated, township, application_for("clean_owner"))
    assert accepted.status_code == 201


def test_unknown_hall_on_a_key_is_refused_at_creation(settings: Settings) -> None:
    from typer.testing import CliRunner

    from approval.cli import app

    result = CliRunner().invoke(
        app,
        ["keys", "create", "--role", "terminal", "--hall", "TZ-NOPE"],
        env={"APPROVAL_DATABASE_URL": settings.database_url},
    )
    assert result.exit_code == 2
    assert "TZ-NOPE" in result.output


def test_overdue_applications_and_bundle_parts_are_listed_for_staff(
    client: TestClient, keys: dict[str, str], settings: Settings
) -> None:
    manual = submit(client, keys["terminal"], application_for("minor_16")).json()
    approved = submit(client, keys["terminal"], application_for("clean_owner")).json()
    bundle = client.post(
        "/v1/bundles/BUNDLE-RESTAURANT/applications",
        json={
            "application": application_for(
                "clean_tenant",
                scope=["H2001"],
                commitments={"truthfulness": True, "no_trading_before_permit": True},
            )
        },
        headers={"Authorization": f"Bearer {keys['staff']}"},
    ).json()
    staff = {"Authorization": f"Bearer {keys['staff']}"}
    assert client.get("/v1/overdue", headers=staff).json()["applications"] == []

    later = settings.model_copy(update={"fixed_today": dt.date(2026, 12, 4)})
    with TestClient(create_app(later)) as later_client:
        listed = later_client.get("/v1/overdue", headers=staff).json()
        refused = later_client.get(
            "/v1/overdue", headers={"Authorization": f"Bearer {keys['terminal']}"}
        )
    (late,) = listed["applications"]
    assert late["id"] == manual["id"]
    assert late["due_date"] == "2026-12-01"  # 3 working days after Thursday 26 November
    assert late["days_overdue"] == 3
    assert approved["id"] not in {a["id"] for a in listed["applications"]}
    (part,) = listed["bundle_parts"]
    assert (part["bundle_id"], part["item_code"]) == (bundle["id"], "SCJG-SP-001")
    assert part["due_date"] == "2026-12-03"
    assert refused.status_code == 403
