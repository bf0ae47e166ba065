"""An impersonation objection through 受理 → 核查 → 复议 → 终办, revocation, ban and annulment."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from approval.database import Database, applications, outbox
from approval.settings import Settings
from approval.supervision.tables import false_registration_bans
from tests.conftest import TODAY, submit
from tests.fixtures import application_for, personas
from tests.supervision.support import (
    MovableClock,
    auth,
    dispatcher,
    install_clock,
    mobile_key,
)

RESPONSIBLE = "clean_tenant"  # the person who, as the investigation finds, filed in her name


def _impersonated(client: TestClient, keys: dict[str, str]) -> dict[str, Any]:
    """A registration filed at a terminal with clean_owner's identity (not by clean_owner)."""
    created = submit(client, keys["terminal"], application_for("clean_owner")).json()
    assert created["status"] == "issued"
    return created


def _file(client: TestClient, keys: dict[str, str], credit_code: str) -> dict[str, Any]:
    response = client.post(
        "/v1/objections",
        headers=auth(keys["mobile"]),  # bound to clean_owner's ID number
        json={"credit_code": credit_code, "grounds": "本人从未申请该登记，身份证曾遗失"},
    )
    assert response.status_code == 201, response.json()
    body: dict[str, Any] = response.json()
    return body


def _post(client: TestClient, key: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, headers=auth(key), json=body)
    assert response.status_code == 200, response.json()
    result: dict[str, Any] = response.json()
    return result


def _reasons_of(client: TestClient, keys: dict[str, str], persona: str) -> list[str]:
    created = submit(client, keys["terminal"], application_for(persona)).json()
    return [r["rule_id"] for r in created["reasons"]]


def _revoke(
    client: TestClient, keys: dict[str, str], clock: MovableClock
) -> tuple[dict[str, Any], dict[str, Any]]:
    registration = _impersonated(client, keys)
    credit_code = registration["licence"]["credit_code"]
    objection = _file(client, keys, credit_code)
    assert objection["stage"] == "intake"
    assert objection["stage_due_on"] == "2026-12-01"
    staff = keys["staff"]
    base = f"/v1/objections/{objection['id']}"
    accepted = _post(
        client, staff, f"{base}/acceptance", {"accept": True, "reason": "身份核验通过"}
    )
    assert accepted["stage"] == "investigation"
    assert accepted["stage_due_on"] == "2027-02-26"
    evidence = client.get(f"{base}/evidence", headers=auth(staff)).json()
    assert evidence["identity_checks"]["face_match_score"] == 0.93
    assert [r["action"] for r in evidence["audit_records"]][:2] == [
        "received",
        "registries_queried",
    ]
    # the parties cannot be reached: 45 days' notice, no decision before it ends
    noticed = _post(client, staff, f"{base}/public-notice", {"reason": "无法联系登记申请人"})
    assert noticed["notice_ends_on"] == "2027-01-10"
    finding = {"finding": "impersonation_confirmed", "reason": "人脸比对记录与本人不符"}
    early = client.post(f"{base}/investigation", headers=auth(staff), json=finding)
    assert early.status_code == 409
    assert early.json()["code"] == "public_notice_running"
    clock.set_date(dt.date(2027, 1, 11))
    reviewed = _post(client, staff, f"{base}/investigation", finding)
    assert reviewed["stage"] == "legal_review"
    to_decide = _post(
        client, staff, f"{base}/legal-review", {"opinion": "agree", "reason": "事实清楚"}
    )
    assert to_decide["stage"] == "decision"
    decided = _post(
        client,
        staff,
        f"{base}/decision",
        {
            "decision": "revoke",
            "reason": "经核查系冒用他人身份登记，依《市场主体登记管理条例》第四十条撤销",
            "responsible_person": {"id_number": personas()[RESPONSIBLE]["id_number"]},
        },
    )
    assert decided["stage"] == "closed"
    assert decided["decision"] == "revoke"
    stages = [step["stage"] for step in decided["history"]]
    assert stages == [
        "intake",
        "investigation",
        "investigation",
        "legal_review",
        "decision",
        "closed",
    ]
    assert all("due_on" in step and step["by"] for step in decided["history"])
    return registration, decided


def test_an_impersonation_objection_ends_in_revocation_and_a_three_year_ban(
    client: TestClient, keys: dict[str, str]
) -> None:
    clock = install_clock(client, TODAY)
    registration, _ = _revoke(client, keys, clock)
    credit_code = registration["licence"]["credit_code"]
    verified = client.get(f"/v1/verify/{credit_code}").json()
    assert verified["status"] == "revoked"
    assert verified["current"] is False
    assert verified["genuine"] is True
    page = client.get(f"/v1/verify/{credit_code}", headers={"Accept": "text/html"}).text
    assert "已撤销" in page
    # the supervising departments are told
    dispatcher(client).run_once()
    copies = client.get("/v1/supervision/copies", headers=auth(keys["staff"])).json()["items"]
    assert {c["kind"] for c in copies} == {"licence_issued", "licence_revoked"}
    # the responsible person is refused by the rules for three years, and not after
    assert "R10-FALSE-REGISTRATION-BAN" in _reasons_of(client, keys, RESPONSIBLE)
    clock.set_date(dt.date(2030, 1, 10))
    assert "R10-FALSE-REGISTRATION-BAN" in _reasons_of(client, keys, RESPONSIBLE)
    clock.set_date(dt.date(2030, 1, 11))
    assert "R10-FALSE-REGISTRATION-BAN" not in _reasons_of(client, keys, RESPONSIBLE)


def test_an_annulled_revocation_restores_the_licence_and_lifts_the_ban(
    client: TestClient, keys: dict[str, str]
) -> None:
    clock = install_clock(client, TODAY)
    registration, decided = _revoke(client, keys, clock)
    credit_code = registration["licence"]["credit_code"]
    restored = _post(
        client,
        keys["staff"],
        f"/v1/objections/{decided['id']}/annulment",
        {"reason": "复议认定撤销决定错误，恢复原状"},
    )
    assert restored["decision"] == "revoke_annulled"
    assert client.get(f"/v1/verify/{credit_code}").json()["status"] == "current"
    assert "R10-FALSE-REGISTRATION-BAN" not in _reasons_of(client, keys, RESPONSIBLE)
    application = client.get(
        f"/v1/applications/{registration['id']}", headers=auth(keys["staff"])
    ).json()
    kinds = [e["kind"] for e in application["timeline"]]
    assert kinds[-2:] == ["licence_revoked", "revocation_annulled"]
    assert application["status"] == "issued"


def test_only_the_person_whose_identity_was_used_may_object(
    client: TestClient, keys: dict[str, str], settings: Settings
) -> None:
    registration = _impersonated(client, keys)
    credit_code = registration["licence"]["credit_code"]
    stranger = mobile_key(settings, personas()["clean_tenant"]["id_number"])
    body = {"credit_code": credit_code, "grounds": "不是我"}
    response = client.post("/v1/objections", headers=auth(stranger), json=body)
    assert response.status_code == 403
    assert response.json()["code"] == "objection_identity_mismatch"
    for role in ("terminal", "staff", "supervisor", "rule_admin"):
        refused = client.post("/v1/objections", headers=auth(keys[role]), json=body)
        assert refused.status_code == 403


@pytest.mark.parametrize("role", ["terminal", "mobile", "supervisor", "rule_admin"])
def test_only_staff_handle_objections(client: TestClient, keys: dict[str, str], role: str) -> None:
    registration = _impersonated(client, keys)
    objection = _file(client, keys, registration["licence"]["credit_code"])
    headers = auth(keys[role])
    base = f"/v1/objections/{objection['id']}"
    assert client.get("/v1/objections", headers=headers).status_code == 403
    assert client.get(f"{base}/evidence", headers=headers).status_code == 403
    for action, body in (
        ("acceptance", {"accept": True, "reason": "x"}),
        ("public-notice", {"reason": "x"}),
        ("investigation", {"finding": "not_confirmed", "reason": "x"}),
        ("legal-review", {"opinion": "agree", "reason": "x"}),
        ("decision", {"decision": "not_revoke", "reason": "x"}),
        ("annulment", {"reason": "x"}),
    ):
        assert client.post(f"{base}/{action}", headers=headers, json=body).status_code == 403


def test_the_objector_follows_their_objection(client: TestClient, keys: dict[str, str]) -> None:
    registration = _impersonated(client, keys)
    objection = _file(client, keys, registration["licence"]["credit_code"])
    mine = client.get(f"/v1/objections/{objection['id']}", headers=auth(keys["mobile"]))
    assert mine.status_code == 200
    assert mine.json()["stage"] == "intake"


def test_overdue_objection_stages_are_listed(client: TestClient, keys: dict[str, str]) -> None:
    clock = install_clock(client, TODAY)
    registration = _impersonated(client, keys)
    objection = _file(client, keys, registration["licence"]["credit_code"])
    staff = auth(keys["staff"])
    clock.set_date(dt.date(2026, 12, 1))
    assert client.get("/v1/objections?overdue=true", headers=staff).json()["items"] == []
    clock.set_date(dt.date(2026, 12, 2))
    [late] = client.get("/v1/objections?overdue=true", headers=staff).json()["items"]
    assert late["id"] == objection["id"]
    assert late["stage"] == "intake"
    _post(
        client,
        keys["staff"],
        f"/v1/objections/{objection['id']}/acceptance",
        {"accept": True, "reason": "受理"},
    )
    assert client.get("/v1/objections?overdue=true", headers=staff).json()["items"] == []
    clock.set_date(dt.date(2027, 3, 3))  # past the 3-month investigation
    [late] = client.get("/v1/objections?overdue=true", headers=staff).json()["items"]
    assert late["stage"] == "investigation"


def test_a_refused_objection_is_closed_with_its_reason(
    client: TestClient, keys: dict[str, str]
) -> None:
    registration = _impersonated(client, keys)
    objection = _file(client, keys, registration["licence"]["credit_code"])
    refused = _post(
        client,
        keys["staff"],
        f"/v1/objections/{objection['id']}/acceptance",
        {"accept": False, "reason": "身份核验未通过"},
    )
    assert refused["stage"] == "refused"
    assert refused["history"][-1]["reason"] == "身份核验未通过"


def _to_decision(client: TestClient, staff: str, objection_id: str) -> str:
    base = f"/v1/objections/{objection_id}"
    _post(client, staff, f"{base}/acceptance", {"accept": True, "reason": "身份核验通过"})
    finding = {"finding": "impersonation_confirmed", "reason": "人脸比对记录与本人不符"}
    _post(client, staff, f"{base}/investigation", finding)
    _post(client, staff, f"{base}/legal-review", {"opinion": "agree", "reason": "事实清楚"})
    return base


def test_annulling_one_of_two_revocations_leaves_the_licence_revoked(
    client: TestClient, keys: dict[str, str]
) -> None:
    install_clock(client, TODAY)
    registration = _impersonated(client, keys)
    credit_code = registration["licence"]["credit_code"]
    staff = keys["staff"]
    first = _to_decision(client, staff, _file(client, keys, credit_code)["id"])
    second = _to_decision(client, staff, _file(client, keys, credit_code)["id"])
    revoke = {
        "decision": "revoke",
        "reason": "经核查系冒用他人身份登记",
        "responsible_person": {"id_number": personas()[RESPONSIBLE]["id_number"]},
    }
    _post(client, staff, f"{first}/decision", revoke)
    _post(client, staff, f"{second}/decision", revoke)

    def state() -> tuple[str, str]:
        application = client.get(
            f"/v1/applications/{registration['id']}", headers=auth(staff)
        ).json()
        return client.get(f"/v1/verify/{credit_code}").json()["status"], application["status"]

    assert state() == ("revoked", "revoked")
    _post(client, staff, f"{first}/annulment", {"reason": "第一项撤销决定认定错误"})
    assert state() == ("revoked", "revoked")  # the second revocation still stands
    _post(client, staff, f"{second}/annulment", {"reason": "第二项撤销决定亦认定错误"})
    assert state() == ("current", "issued")
    records = client.get(f"/v1/audit/applications/{registration['id']}", headers=auth(staff))
    actions = [r["action"] for r in records.json()["records"]]
    assert actions.count("licence_revoked") == 1  # the second decision found it revoked


def test_a_revoked_registration_stays_completed_and_may_be_rated(
    client: TestClient, keys: dict[str, str]
) -> None:
    clock = install_clock(client, TODAY)
    registration, _ = _revoke(client, keys, clock)
    stats = client.get("/v1/stats").json()
    assert stats["completed"] == stats["applications"]
    rated = client.post(
        f"/v1/applications/{registration['id']}/rating",
        json={"rating": 1},
        headers=auth(keys["terminal"]),
    )
    assert rated.status_code == 204, rated.text


def test_a_revocation_of_a_registration_no_longer_issued_is_refused_and_leaves_nothing(
    client: TestClient, keys: dict[str, str], migrated: Settings
) -> None:
    install_clock(client, TODAY)
    registration = _impersonated(client, keys)
    credit_code = registration["licence"]["credit_code"]
    base = _to_decision(client, keys["staff"], _file(client, keys, credit_code)["id"])
    db = Database(migrated.database_url)
    try:
        with db.transaction() as conn:
            # moved meanwhile by another owner of the row (here: by hand)
            conn.execute(
                update(applications)
                .where(applications.c.id == registration["id"])
                .values(status="decided")
            )
            queued = conn.execute(select(func.count()).select_from(outbox)).scalar_one()
        revoke = {
            "decision": "revoke",
            "reason": "经核查系冒用他人身份登记",
            "responsible_person": {"id_number": personas()[RESPONSIBLE]["id_number"]},
        }
        refused = client.post(f"{base}/decision", headers=auth(keys["staff"]), json=revoke)
        assert refused.status_code == 409
        assert refused.json()["code"] == "application_state_changed"
        with db.reading() as conn:
            assert conn.execute(select(func.count()).select_from(outbox)).scalar_one() == queued
            bans = conn.execute(select(func.count()).select_from(false_registration_bans))
            assert bans.scalar_one() == 0
    finally:
        db.dispose()
    assert client.get(f"/v1/verify/{credit_code}").json()["status"] == "current"
    objection = client.get(base, headers=auth(keys["staff"])).json()
    assert objection["stage"] == "decision"
