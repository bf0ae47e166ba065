"""Approvals are pushed to each responsible department and handled ACK → CLAIM → ACTION → CLOSE."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient

from approval.audit.service import verify_all
from approval.settings import Settings
from tests.conftest import TODAY, submit
from tests.fixtures import application_for, personas
from tests.supervision.support import auth, dispatcher, install_clock, supervisor_key


def _issued(client: TestClient, keys: dict[str, str], scope: list[str]) -> dict[str, Any]:
    body = application_for("clean_owner", scope=scope, commitments__no_trading_before_permit=True)
    created = submit(client, keys["terminal"], body).json()
    assert created["status"] == "issued", created["reasons"]
    return created


def _copies(client: TestClient, key: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/supervision/copies", headers=auth(key), params=params)
    assert response.status_code == 200, response.json()
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_an_approval_reaches_every_responsible_department(
    client: TestClient, keys: dict[str, str], settings: Settings
) -> None:
    install_clock(client, TODAY)
    created = _issued(client, keys, ["F1001", "F2006"])
    assert dispatcher(client).run_once().routed == 1
    staff_view = _copies(client, keys["staff"])
    departments = {c["department"] for c in staff_view}
    assert departments == {"SCJG", "SW", "WGLY"}  # always: registration + tax; F2006: 文广旅
    payload = staff_view[0]["payload"]
    assert payload["registration"]["credit_code"] == created["licence"]["credit_code"]
    assert payload["decision"]["route"] == "automatic"
    assert set(payload["event_detail"]) == {"credit_code", "scope", "authority", "route"}
    # a general item has no permit authority; the registering authority (always) supervises it
    assert [s["department"] for s in payload["scope"]] == [None, "WGLY"]
    # personal data minimised: the ID number appears only masked
    id_number = personas()["clean_owner"]["id_number"]
    assert id_number not in str(staff_view)
    assert payload["registration"]["operator"]["id_number_masked"].endswith(id_number[-4:])
    # routing happens once: a second step finds nothing new
    assert dispatcher(client).run_once().routed == 0
    assert len(_copies(client, keys["staff"])) == 3


def test_a_department_acknowledges_claims_acts_and_closes(
    client: TestClient, keys: dict[str, str], settings: Settings
) -> None:
    install_clock(client, TODAY)
    created = _issued(client, keys, ["F2006"])
    dispatcher(client).run_once()
    wglY = supervisor_key(settings, "WGLY")
    [copy] = _copies(client, wglY)
    assert copy["status"] == "pending"
    assert copy["claim_due_on"] == "2026-11-30"
    base = f"/v1/supervision/copies/{copy['id']}"
    # closing before claiming is refused
    refused = client.post(f"{base}/close", headers=auth(wglY), json={"note": "x"})
    assert refused.status_code == 409
    assert refused.json()["code"] == "illegal_transition"
    assert client.post(f"{base}/ack", headers=auth(wglY)).json()["status"] == "acknowledged"
    assert client.post(f"{base}/ack", headers=auth(wglY)).json()["status"] == "acknowledged"
    claimed = client.post(f"{base}/claim", headers=auth(wglY)).json()
    assert claimed["status"] == "claimed"
    acted = client.post(
        f"{base}/actions",
        headers=auth(wglY),
        json={"kind": "inspection", "note": "现场检查，未发现经营", "reference": None},
    ).json()
    assert acted["status"] == "actioned"
    assert acted["actions"][0]["kind"] == "inspection"
    closed = client.post(f"{base}/close", headers=auth(wglY), json={"note": "办结"}).json()
    assert closed["status"] == "closed"
    # every step is on the application's audit chain
    export = client.get(
        f"/v1/audit/applications/{created['id']}", headers=auth(keys["staff"])
    ).json()
    actions = [r["action"] for r in export["records"]]
    for step in (
        "supervision_pushed",
        "supervision_acknowledged",
        "supervision_claimed",
        "supervision_action",
        "supervision_closed",
    ):
        assert step in actions
    with client.app.state.context.db.reading() as conn:  # type: ignore[attr-defined]
        assert verify_all(conn).first_break is None


def test_another_department_cannot_see_or_touch_a_copy(
    client: TestClient, keys: dict[str, str], settings: Settings
) -> None:
    install_clock(client, TODAY)
    _issued(client, keys, ["F2006"])
    dispatcher(client).run_once()
    [copy] = _copies(client, supervisor_key(settings, "WGLY"))
    other = supervisor_key(settings, "YCJ")
    assert _copies(client, other) == []
    response = client.post(f"/v1/supervision/copies/{copy['id']}/claim", headers=auth(other))
    assert response.status_code == 404


def test_a_supervisor_key_without_department_is_refused(
    client: TestClient, keys: dict[str, str]
) -> None:
    response = client.get("/v1/supervision/copies", headers=auth(keys["supervisor"]))
    assert response.status_code == 403
    assert response.json()["code"] == "no_department"


@pytest.mark.parametrize("role", ["terminal", "mobile", "rule_admin"])
def test_other_roles_are_refused(client: TestClient, keys: dict[str, str], role: str) -> None:
    assert client.get("/v1/supervision/copies", headers=auth(keys[role])).status_code == 403
    response = client.post("/v1/supervision/copies/x/claim", headers=auth(keys[role]))
    assert response.status_code == 403
    assert (
        client.post("/v1/supervision/copies/x/claim", headers=auth(keys["staff"])).status_code
        == 403
    )


def test_overdue_claims_are_listed_and_escalated_once(
    client: TestClient, keys: dict[str, str], settings: Settings
) -> None:
    clock = install_clock(client, TODAY)
    _issued(client, keys, ["F2006"])
    dispatcher(client).run_once()
    wglY = supervisor_key(settings, "WGLY")
    clock.set_date(dt.date(2026, 11, 30))  # the last day to claim (Thu + 2 working days)
    assert _copies(client, wglY, overdue="true") == []
    assert dispatcher(client).run_once().escalated == 0
    clock.set_date(dt.date(2026, 12, 1))
    overdue = _copies(client, wglY, overdue="true")
    assert [c["department"] for c in overdue] == ["WGLY"]
    assert dispatcher(client).run_once().escalated == 3  # WGLY, SCJG and SW all late
    assert dispatcher(client).run_once().escalated == 0
    assert len(_copies(client, keys["staff"], overdue="true")) == 3
    assert _copies(client, wglY, overdue="true")[0]["escalated"] is True
    # a late claim is still taken, and then it is no longer overdue
    client.post(f"/v1/supervision/copies/{overdue[0]['id']}/claim", headers=auth(wglY))
    assert _copies(client, wglY, overdue="true") == []


def test_a_broken_commitment_goes_onto_the_registration_record(
    client: TestClient, keys: dict[str, str], settings: Settings
) -> None:
    install_clock(client, TODAY)
    created = _issued(client, keys, ["F2006"])
    dispatcher(client).run_once()
    wglY = supervisor_key(settings, "WGLY")
    [copy] = _copies(client, wglY)
    response = client.post(
        f"/v1/supervision/copies/{copy['id']}/broken-commitments",
        headers=auth(wglY),
        json={"commitment": "no_trading_before_permit", "note": "未取得许可已开展经营"},
    )
    assert response.status_code == 201
    application = client.get(
        f"/v1/applications/{created['id']}", headers=auth(keys["staff"])
    ).json()
    broken = [e for e in application["timeline"] if e["kind"] == "commitment_broken"]
    assert broken[0]["detail"]["department"] == "WGLY"
    assert broken[0]["detail"]["commitment"] == "no_trading_before_permit"
