"""Statistics from stored applications, checked against figures computed independently here."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import submit
from tests.fixtures import application_for

FOOD = {"scope": ["H2001"], "commitments": {"truthfulness": True, "no_trading_before_permit": True}}


@pytest.fixture
def decided(client: TestClient, keys: dict[str, str]) -> list[dict[str, Any]]:
    bodies = [
        application_for("clean_owner"),
        application_for("clean_owner", employees=3),
        application_for("clean_tenant"),
        application_for("clean_tenant", **FOOD),
        application_for("child_15"),
        application_for("minor_16"),
    ]
    return [submit(client, keys["terminal"], body).json() for body in bodies]


def _rate(client: TestClient, key: str, application_id: str, rating: int) -> Any:
    return client.post(
        f"/v1/applications/{application_id}/rating",
        json={"rating": rating},
        headers={"Authorization": f"Bearer {key}"},
    )


def test_stats_match_an_independent_count(
    client: TestClient, keys: dict[str, str], decided: list[dict[str, Any]]
) -> None:
    assert _rate(client, keys["terminal"], decided[0]["id"], 5).status_code == 204
    assert _rate(client, keys["terminal"], decided[4]["id"], 2).status_code == 204
    stats = client.get("/v1/stats").json()

    first = [d["decision"] for d in decided]
    completed = [d for d in decided if d["decision"] != "manual_review"]
    approvals = sum(f in ("approve", "approve_with_conditions") for f in first)
    assert stats["applications"] == len(decided) == 6
    assert stats["completed"] == len(completed) == 5
    assert stats["on_time_rate"] == 1.0  # instant decisions are due the same day
    assert stats["auto_approval_rate"] == pytest.approx(approvals / len(first))
    assert stats["first_decisions"] == {d: first.count(d) for d in set(first)}
    assert stats["ratings"] == 2
    assert stats["satisfaction_rate"] == 0.5
    assert stats["rating_average"] == 3.5
    (group,) = stats["processing"]
    assert (group["item_code"], group["channel"], group["count"]) == ("SCJG-GT-001", "terminal", 5)
    assert sum(bucket["count"] for bucket in group["histogram"]) == 5


def test_a_rating_is_given_once_by_the_applicant_after_completion(
    client: TestClient, keys: dict[str, str], decided: list[dict[str, Any]]
) -> None:
    approved, manual = decided[0]["id"], decided[5]["id"]
    assert _rate(client, keys["staff"], approved, 5).status_code == 403
    assert _rate(client, keys["terminal"], approved, 0).status_code == 422
    assert _rate(client, keys["terminal"], manual, 4).json()["code"] == "not_yet_completed"
    assert _rate(client, keys["mobile"], approved, 4).status_code == 204  # clean_owner's own
    again = _rate(client, keys["terminal"], approved, 1)
    assert again.status_code == 409
    assert again.json()["code"] == "already_rated"
    other = decided[2]["id"]  # clean_tenant's: not the mobile key's applicant
    assert _rate(client, keys["mobile"], other, 4).status_code == 404


def test_empty_service_has_no_rates(client: TestClient) -> None:
    stats = client.get("/v1/stats").json()
    assert stats["applications"] == 0
    assert stats["on_time_rate"] is None
    assert stats["satisfaction_rate"] is None
