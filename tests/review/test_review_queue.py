"""The manual-review queue: claim, see facts and reasons, decide within 3 (+3) working days."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import TODAY, submit
from tests.fixtures import application_for
from tests.supervision.support import auth, dispatcher, install_clock


def _waiting(client: TestClient, keys: dict[str, str]) -> dict[str, Any]:
    created = submit(client, keys["terminal"], application_for("dishonest")).json()
    assert created["decision"] == "manual_review", created["reasons"]
    return created


def _queue(client: TestClient, key: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/review/cases", headers=auth(key), params=params)
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_staff_claim_review_and_approve_issues_the_licence_like_an_automatic_approval(
    client: TestClient, keys: dict[str, str]
) -> None:
    install_clock(client, TODAY)
    created = _waiting(client, keys)
    staff = auth(keys["staff"])
    [case] = _queue(client, keys["staff"])
    assert case["application_id"] == created["id"]
    assert case["due_on"] == "2026-12-01"  # Thursday + 3 working days
    assert case["reasons"]
    # deciding before claiming is refused
    early = client.post(
        f"/v1/review/cases/{created['id']}/decision",
        headers=staff,
        json={"decision": "approve", "reasons": ["核实"]},
    )
    assert early.status_code == 409
    claimed = client.post(f"/v1/review/cases/{created['id']}/claim", headers=staff).json()
    assert claimed["facts"]["registries.market.serious_dishonesty"] is True
    assert claimed["explanation"]
    assert claimed["explanation"][0]["conditions"]
    assert claimed["registry_answers"]
    decided = client.post(
        f"/v1/review/cases/{created['id']}/decision",
        headers=staff,
        json={"decision": "approve", "reasons": ["经核实，失信记录已修复"]},
    ).json()
    assert decided["status"] == "issued"
    assert decided["credit_code"].startswith("92")
    verified = client.get(f"/v1/verify/{decided['credit_code']}").json()
    assert verified["genuine"] is True
    assert verified["current"] is True
    application = client.get(f"/v1/applications/{created['id']}", headers=staff).json()
    assert application["status"] == "issued"
    assert application["licence"]["credit_code"] == decided["credit_code"]
    assert _queue(client, keys["staff"]) == []
    # pushed like any approval, marked as decided by a person
    dispatcher(client).run_once()
    copies = client.get("/v1/supervision/copies", headers=staff).json()["items"]
    assert copies
    assert copies[0]["payload"]["decision"]["route"] == "manual"
    # the same outbox event as an automatic issue: one issuance path
    detail = copies[0]["payload"]["event_detail"]
    assert set(detail) == {"credit_code", "scope", "authority", "route"}
    assert detail["route"] == "manual"
    records = client.get(f"/v1/audit/applications/{created['id']}", headers=staff).json()
    actions = [r["action"] for r in records["records"]]
    assert ["review_claimed", "review_decided", "licence_issued"] == [
        a for a in actions if a in ("review_claimed", "review_decided", "licence_issued")
    ]


def test_a_rejection_carries_the_reviewers_reasons(
    client: TestClient, keys: dict[str, str]
) -> None:
    created = _waiting(client, keys)
    staff = auth(keys["staff"])
    client.post(f"/v1/review/cases/{created['id']}/claim", headers=staff)
    decided = client.post(
        f"/v1/review/cases/{created['id']}/decision",
        headers=staff,
        json={"decision": "reject", "reasons": ["列入严重违法失信名单，不予登记"]},
    ).json()
    assert decided["status"] == "decided"
    assert decided["credit_code"] is None
    application = client.get(f"/v1/applications/{created['id']}", headers=staff).json()
    assert application["decision"] == "reject"
    assert application["reasons"][0]["text"] == "列入严重违法失信名单，不予登记"


def test_a_case_claimed_by_one_reviewer_cannot_be_taken_by_another(
    client: TestClient, keys: dict[str, str], settings: Any
) -> None:
    from approval.access.service import create_key
    from approval.database import Database

    created = _waiting(client, keys)
    client.post(f"/v1/review/cases/{created['id']}/claim", headers=auth(keys["staff"]))
    db = Database(settings.database_url)
    with db.transaction() as conn:
        other = create_key(conn, "staff", None, None, dt.datetime.now(dt.UTC))
    db.dispose()
    response = client.post(f"/v1/review/cases/{created['id']}/claim", headers=auth(other))
    assert response.status_code == 409
    assert response.json()["code"] == "claimed_by_another"


def test_overdue_cases_are_listed_and_an_extension_adds_three_working_days(
    client: TestClient, keys: dict[str, str]
) -> None:
    clock = install_clock(client, TODAY)
    created = _waiting(client, keys)
    clock.set_date(dt.date(2026, 12, 1))
    assert _queue(client, keys["staff"], overdue="true") == []
    clock.set_date(dt.date(2026, 12, 2))
    [late] = _queue(client, keys["staff"], overdue="true")
    assert late["application_id"] == created["id"]
    staff = auth(keys["staff"])
    extended = client.post(
        f"/v1/review/cases/{created['id']}/extension",
        headers=staff,
        json={"approved_by": "王局长", "reason": "需调取失信修复材料"},
    ).json()
    assert extended["due_on"] == "2026-12-04"
    assert _queue(client, keys["staff"], overdue="true") == []
    again = client.post(
        f"/v1/review/cases/{created['id']}/extension",
        headers=staff,
        json={"approved_by": "王局长", "reason": "再延"},
    )
    assert again.status_code == 409
    clock.set_date(dt.date(2026, 12, 7))
    assert len(_queue(client, keys["staff"], overdue="true")) == 1


@pytest.mark.parametrize("role", ["terminal", "mobile", "rule_admin", "supervisor"])
def test_only_staff_work_the_queue(client: TestClient, keys: dict[str, str], role: str) -> None:
    created = _waiting(client, keys)
    headers = auth(keys[role])
    assert client.get("/v1/review/cases", headers=headers).status_code == 403
    assert client.get(f"/v1/review/cases/{created['id']}", headers=headers).status_code == 403
    for action, body in (
        ("claim", None),
        ("decision", {"decision": "approve", "reasons": ["x"]}),
        ("extension", {"approved_by": "x", "reason": "x"}),
    ):
        response = client.post(
            f"/v1/review/cases/{created['id']}/{action}", headers=headers, json=body
        )
        assert response.status_code == 403


def test_the_queue_is_paged(client: TestClient, keys: dict[str, str]) -> None:
    for n in range(3):
        submit(client, keys["terminal"], application_for("minor_16", employees=n))
    staff = {"Authorization": f"Bearer {keys['staff']}"}
    page = client.get("/v1/review/cases", params={"limit": 2}, headers=staff).json()
    assert page["total"] == 3
    assert len(page["items"]) == 2
    assert client.get("/v1/review/cases", params={"limit": 0}, headers=staff).status_code == 422
