"""一件事: one submission creates every part, decides the registration, routes the rest."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient

from approval.access.service import create_key
from tests.fixtures import application_for

PERMIT_COMMITMENTS = {"truthfulness": True, "no_trading_before_permit": True}


def _submit(
    client: TestClient, key: str, code: str, application: dict[str, Any], **extra: Any
) -> Any:
    return client.post(
        f"/v1/bundles/{code}/applications",
        json={"application": application, **extra},
        headers={
            "Authorization": f"Bearer {key}",
            "Idempotency-Key": f"bundle-{code}-{len(extra)}",
        },
    )


def _parts(body: dict[str, Any]) -> dict[str, str]:
    return {p["item_code"]: p["status"] for p in body["parts"]}


def test_restaurant_registers_now_and_routes_the_food_permit(
    client: TestClient, keys: dict[str, str]
) -> None:
    application = application_for("clean_owner", scope=["H2001"], commitments=PERMIT_COMMITMENTS)
    response = _submit(client, keys["terminal"], "BUNDLE-RESTAURANT", application)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["registration"]["decision"] == "approve_with_conditions"
    assert body["registration"]["licence"] is not None
    assert _parts(body) == {"SCJG-GT-001": "completed", "SCJG-SP-001": "received"}
    food = next(p for p in body["parts"] if p["item_code"] == "SCJG-SP-001")
    assert food["due_date"] == "2026-12-03"  # 5 working days after Thursday 26 November
    assert body["status"] == "in_progress"
    again = client.get(
        f"/v1/bundles/applications/{body['id']}",
        headers={"Authorization": f"Bearer {keys['staff']}"},
    ).json()
    assert _parts(again) == _parts(body)


def test_grocery_completes_the_filing_with_the_registration(
    client: TestClient, keys: dict[str, str]
) -> None:
    application = application_for(
        "clean_owner", scope=["F1001", "F2001"], commitments=PERMIT_COMMITMENTS
    )
    body = _submit(client, keys["terminal"], "BUNDLE-GROCERY", application).json()
    assert _parts(body) == {"SCJG-GT-001": "completed", "SCJG-SP-002": "completed"}
    assert body["status"] == "completed"


@pytest.mark.parametrize(
    ("code", "scope", "permit_item"),
    [
        ("BUNDLE-BOOKSHOP", ["F2006"], "WGLY-001"),
        ("BUNDLE-TOBACCO-SHOP", ["F2001", "F2007"], "YCJ-001"),
    ],
)
def test_other_bundles_route_their_permits(
    client: TestClient, keys: dict[str, str], code: str, scope: list[str], permit_item: str
) -> None:
    application = application_for("clean_tenant", scope=scope, commitments=PERMIT_COMMITMENTS)
    body = _submit(client, keys["terminal"], code, application).json()
    assert body["registration"]["status"] == "issued"
    assert _parts(body)[permit_item] == "received"
    assert body["status"] == "in_progress"


def test_a_rejected_registration_stops_the_other_parts(
    client: TestClient, keys: dict[str, str]
) -> None:
    application = application_for("child_15", scope=["H2001"], commitments=PERMIT_COMMITMENTS)
    body = _submit(client, keys["terminal"], "BUNDLE-RESTAURANT", application).json()
    assert _parts(body) == {"SCJG-GT-001": "rejected", "SCJG-SP-001": "not_started"}
    assert body["status"] == "rejected"


def _key_in(client: TestClient, role: str, hall: str | None) -> str:
    db = client.app.state.context.db  # type: ignore[attr-defined]
    with db.transaction() as conn:
        return create_key(conn, role, None, None, dt.datetime.now(dt.UTC), hall_code=hall)


def test_a_village_hall_is_refused_and_a_township_hall_accepted(client: TestClient) -> None:
    application = application_for("clean_owner", scope=["H2001"], commitments=PERMIT_COMMITMENTS)
    village_key = _key_in(client, "staff", "TZ-V0401")
    village = _submit(client, village_key, "BUNDLE-RESTAURANT", application)
    assert village.status_code == 422
    assert village.json()["code"] == "item_not_delegated_to_hall"
    assert "食品经营许可" in village.json()["detail"]
    township = client.post(
        "/v1/bundles/BUNDLE-RESTAURANT/applications",
        json={"application": application, "hall_code": "TZ-T04"},
        headers={"Authorization": f"Bearer {_key_in(client, 'staff', 'TZ-T04')}"},
    )
    assert township.status_code == 201, township.text


@pytest.mark.parametrize(
    ("role", "key_hall"),
    [("terminal", "TZ-V0401"), ("staff", "TZ-V0401"), ("staff", None), ("terminal", None)],
)
def test_a_hall_in_the_body_never_widens_the_key(
    client: TestClient, role: str, key_hall: str | None
) -> None:
    application = application_for("clean_owner", scope=["H2001"], commitments=PERMIT_COMMITMENTS)
    key = _key_in(client, role, key_hall)
    answer = _submit(client, key, "BUNDLE-RESTAURANT", application, hall_code="TZ-CITY")
    assert answer.status_code == 403, answer.text
    assert answer.json()["code"] == "hall_not_of_key"
    staff = {"Authorization": f"Bearer {_key_in(client, 'staff', None)}"}
    listed = client.get("/v1/applications", headers=staff).json()
    assert listed["items"] == []


def test_bundle_scope_and_unknown_bundle_are_problems(
    client: TestClient, keys: dict[str, str]
) -> None:
    application = application_for("clean_owner", scope=["F1001"])
    wrong = _submit(client, keys["terminal"], "BUNDLE-RESTAURANT", application)
    assert wrong.json()["code"] == "bundle_scope_missing"
    assert _submit(client, keys["terminal"], "BUNDLE-NOPE", application).status_code == 404


def test_roles_outside_the_applicants_are_refused(client: TestClient, keys: dict[str, str]) -> None:
    application = application_for("clean_owner", scope=["H2001"], commitments=PERMIT_COMMITMENTS)
    for role in ("rule_admin", "supervisor"):
        assert _submit(client, keys[role], "BUNDLE-RESTAURANT", application).status_code == 403


@pytest.mark.parametrize(
    ("decision", "bundle_status"), [("approve", "completed"), ("reject", "rejected")]
)
def test_a_registration_decided_by_staff_moves_its_bundle_on(
    client: TestClient, keys: dict[str, str], decision: str, bundle_status: str
) -> None:
    application = application_for(
        "minor_16", scope=["F1001", "F2001"], commitments=PERMIT_COMMITMENTS
    )
    body = _submit(client, keys["terminal"], "BUNDLE-GROCERY", application).json()
    assert body["registration"]["decision"] == "manual_review"
    assert _parts(body) == {"SCJG-GT-001": "in_review", "SCJG-SP-002": "waiting"}
    staff = {"Authorization": f"Bearer {keys['staff']}"}
    case = body["registration"]["id"]
    assert client.post(f"/v1/review/cases/{case}/claim", headers=staff).status_code == 200
    decided = client.post(
        f"/v1/review/cases/{case}/decision",
        headers=staff,
        json={"decision": decision, "reasons": ["经核实，监护人同意"]},
    )
    assert decided.status_code == 200, decided.text
    again = client.get(f"/v1/bundles/applications/{body['id']}", headers=staff).json()
    assert again["status"] == bundle_status
    expected = "completed" if decision == "approve" else "rejected"
    assert _parts(again)["SCJG-GT-001"] == expected
    assert _parts(again)["SCJG-SP-002"] == ("completed" if decision == "approve" else "not_started")
    overdue = client.get("/v1/overdue", headers=staff).json()
    assert overdue["bundle_parts"] == []
