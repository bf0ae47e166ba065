"""Rule operations over HTTP: explain, hot swap of an approved change, rollback, shadow, replay."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import create_app
from approval.access.service import create_key
from approval.database import Database
from approval.settings import Settings
from tests.conftest import submit
from tests.fixtures import application_for

ALL_ROLES = {"terminal", "mobile", "staff", "rule_admin", "supervisor"}
THRESHOLD = "identity.face_match_score < 0.8"


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def second_admin(keys: dict[str, str], settings: Settings) -> str:
    db = Database(settings.database_url)
    try:
        with db.transaction() as conn:
            return create_key(conn, "rule_admin", None, "second", dt.datetime.now(dt.UTC))
    finally:
        db.dispose()


@pytest.fixture
def other_process(client: TestClient, settings: Settings) -> Iterator[TestClient]:
    """A second app on the same database, as a second server process would be."""
    with TestClient(create_app(settings)) as other:
        yield other


def _active_files(client: TestClient, key: str) -> tuple[str, dict[str, str]]:
    from approval.rules import service

    db = client.app.state.context.db  # type: ignore[attr-defined]
    with db.reading() as conn:
        version = client.get("/v1/rulesets", headers=_auth(key)).json()["running"]
        return version, service.stored_files(conn, version)[1]


def _stricter(files: dict[str, str]) -> dict[str, str]:
    """Faces scoring under 0.94 (not 0.8) go to manual review; the cases follow."""
    changed = dict(files)
    assert THRESHOLD in changed["identity.yaml"]
    changed["identity.yaml"] = changed["identity.yaml"].replace(
        THRESHOLD, "identity.face_match_score < 0.94"
    )
    changed["tests/cases.yaml"] = changed["tests/cases.yaml"].replace(
        "identity.face_match_score: 0.8}", "identity.face_match_score: 0.95}"
    )
    return changed


def _decision(client: TestClient, key: str) -> dict[str, Any]:
    response = submit(client, key, application_for("clean_owner"))  # face score 0.93
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_explanation_of_a_stored_decision(client: TestClient, keys: dict[str, str]) -> None:
    created = _decision(client, keys["staff"])
    response = client.get(
        f"/v1/applications/{created['id']}/explanation", headers=_auth(keys["rule_admin"])
    )
    assert response.status_code == 200
    body = response.json()
    assert body["decision"] == body["stored_decision"] == "approve"
    assert body["ruleset_version"] == created["ruleset_version"]
    uncertain = next(r for r in body["rules"] if r["rule_id"] == "R06-FACE-UNCERTAIN")
    assert uncertain["fired"] is False
    assert uncertain["why_not"] == [
        {
            "fact": "identity.face_match_score",
            "description": "人脸比对得分 0–1",
            "operator": "<",
            "threshold": 0.8,
            "actual": 0.93,
            "passed": False,
            "text": THRESHOLD,
            "line": uncertain["why_not"][0]["line"],
        }
    ]
    assert [c["passed"] for c in uncertain["conditions"]] == [True, True, False]


def _candidate(client: TestClient, key: str, files: dict[str, str]) -> dict[str, Any]:
    response = client.post("/v1/rule-changes", json={"files": files}, headers=_auth(key))
    assert response.status_code == 201, response.text
    change: dict[str, Any] = response.json()
    return change


def test_an_approved_change_is_swapped_in_explained_replayed_and_rolled_back(
    client: TestClient,
    other_process: TestClient,
    keys: dict[str, str],
    second_admin: str,
) -> None:
    admin = keys["rule_admin"]
    before = _decision(client, keys["staff"])
    assert before["decision"] == "approve"
    old_version, files = _active_files(client, admin)

    change = _candidate(client, admin, _stricter(files))
    waivers = [
        {"case": case["key"], "reason": "阈值改为0.94，用例随之改为0.95"}
        for case in change["evidence"]["regression"]["missing"]
    ]
    change = client.put(
        f"/v1/rule-changes/{change['id']}", json={"waivers": waivers}, headers=_auth(admin)
    ).json()
    new_version = change["version"]
    assert _decision(client, keys["staff"])["decision"] == "approve"  # nothing changed yet

    approved = client.post(
        f"/v1/rule-changes/{change['id']}/approval",
        json={
            "evidence_digest": change["evidence_digest"][:16],
            "acknowledgement": "两件0.93分的申请将转人工审核",
        },
        headers=_auth(second_admin),
    )
    assert approved.status_code == 200, approved.text
    evidence = approved.json()["evidence"]
    assert evidence["tests"]["failed"] == 0
    assert evidence["check"]["findings"] == []
    # measured when proposed: the one approval before it (face score 0.93)
    assert evidence["backtest"]["flipped"] == 1

    # this process swapped at once; the other one at its next poll, without a restart
    after = _decision(client, keys["staff"])
    assert (after["decision"], after["ruleset_version"]) == ("manual_review", new_version)
    live = other_process.app.state.rules_live  # type: ignore[attr-defined]
    live.poll_once()  # or its own background poll, whichever comes first
    assert _decision(other_process, keys["staff"])["ruleset_version"] == new_version

    # the old decision is still explained by the version that made it; replay tries the new one
    explained = client.get(
        f"/v1/applications/{before['id']}/explanation", headers=_auth(keys["staff"])
    ).json()
    assert (explained["decision"], explained["ruleset_version"]) == ("approve", old_version)
    replayed = client.get(
        f"/v1/applications/{before['id']}/replay",
        params={"version": new_version[:12]},
        headers=_auth(keys["staff"]),
    ).json()
    assert (replayed["decision"], replayed["stored_decision"]) == ("manual_review", "approve")
    assert "R06-FACE-UNCERTAIN" in replayed["fired"]

    diff = client.get(
        f"/v1/rulesets/{new_version[:12]}/diff",
        params={"against": old_version[:12]},
        headers=_auth(keys["supervisor"]),
    ).json()
    assert [c["rule_id"] for c in diff["changed"]] == ["R06-FACE-UNCERTAIN"]
    assert "+when identity.face_match_score < 0.94" in diff["changed"][0]["changes"]

    rolled = client.post("/v1/rulesets/rollback", headers=_auth(second_admin))
    assert rolled.json() == {"from": new_version, "to": old_version}
    assert _decision(client, keys["staff"])["decision"] == "approve"
    live.poll_once()  # or its own background poll, whichever comes first
    assert _decision(other_process, keys["staff"])["ruleset_version"] == old_version


def test_shadow_mode_records_disagreements(client: TestClient, keys: dict[str, str]) -> None:
    admin = keys["rule_admin"]
    _, files = _active_files(client, admin)
    candidate = _candidate(client, admin, _stricter(files))["version"]
    shadowed = client.put("/v1/rulesets/shadow", json={"version": candidate}, headers=_auth(admin))
    assert shadowed.json() == {"shadow": candidate}
    created = _decision(client, keys["staff"])
    assert created["decision"] == "approve"  # the live decision is untouched
    client.app.state.rules_live.poll_once()  # type: ignore[attr-defined]
    listed = client.get("/v1/rulesets/shadow/disagreements", headers=_auth(keys["staff"])).json()
    assert [(d["application_id"], d["active_outcome"], d["candidate_outcome"]) for d in listed] == [
        (created["id"], "approve", "manual_review")
    ]
    assert "R06-FACE-UNCERTAIN" in listed[0]["candidate_rules"]
    assert "R06-FACE-UNCERTAIN" not in listed[0]["active_rules"]
    client.put("/v1/rulesets/shadow", json={"version": None}, headers=_auth(admin))
    _decision(client, keys["staff"])
    client.app.state.rules_live.poll_once()  # type: ignore[attr-defined]
    again = client.get("/v1/rulesets/shadow/disagreements", headers=_auth(keys["staff"])).json()
    assert len(again) == 1


def test_simulation_over_the_api(client: TestClient, keys: dict[str, str]) -> None:
    admin = keys["rule_admin"]
    first = _decision(client, keys["staff"])
    _, files = _active_files(client, admin)
    candidate = _candidate(client, admin, _stricter(files))["version"]
    report = client.post(
        "/v1/rulesets/simulations", json={"version": candidate}, headers=_auth(keys["staff"])
    ).json()
    assert report["applications"] == 1
    assert report["before"]["approve"]["count"] == 1
    assert report["after"]["manual_review"]["count"] == 1
    (flip,) = report["flips"]
    assert (flip["application_id"], flip["before"], flip["after"]) == (
        first["id"],
        "approve",
        "manual_review",
    )
    assert flip["why_before"][0]["why_not"][0]["threshold"] == 0.8
    assert flip["why_after"][0]["fired"] is True


ENDPOINTS = [
    ("get", "/v1/applications/x/explanation", None, {"staff", "rule_admin"}),
    ("get", "/v1/applications/x/replay?version=abcdef", None, {"staff", "rule_admin"}),
    ("get", "/v1/rulesets", None, {"staff", "rule_admin", "supervisor"}),
    ("get", "/v1/rulesets/abcdef/diff?against=abcdef", None, {"staff", "rule_admin", "supervisor"}),
    ("post", "/v1/rule-changes", {"files": {}}, {"rule_admin"}),
    ("get", "/v1/rule-changes", None, {"staff", "rule_admin", "supervisor"}),
    ("get", "/v1/rule-changes/RC-X", None, {"staff", "rule_admin", "supervisor"}),
    ("put", "/v1/rule-changes/RC-X", {}, {"rule_admin"}),
    ("post", "/v1/rule-changes/RC-X/evidence", None, {"rule_admin"}),
    ("post", "/v1/rule-changes/RC-X/approval", {"evidence_digest": "0" * 12}, {"rule_admin"}),
    ("post", "/v1/rule-changes/RC-X/rejection", {"reason": "不需要"}, {"rule_admin"}),
    ("get", "/v1/rulesets/history", None, {"staff", "rule_admin", "supervisor"}),
    ("post", "/v1/rulesets/rollback", None, {"rule_admin"}),
    ("put", "/v1/rulesets/shadow", {"version": None}, {"rule_admin"}),
    ("get", "/v1/rulesets/shadow/disagreements", None, {"staff", "rule_admin"}),
    ("post", "/v1/rulesets/simulations", {"version": "abcdef"}, {"staff", "rule_admin"}),
]


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ENDPOINTS)
def test_each_endpoint_refuses_other_roles(
    client: TestClient,
    keys: dict[str, str],
    method: str,
    path: str,
    body: Any,
    allowed: set[str],
) -> None:
    for role in sorted(ALL_ROLES - allowed):
        response = client.request(method, path, json=body, headers=_auth(keys[role]))
        assert response.status_code == 403, (role, path)
    for role in sorted(allowed):
        response = client.request(method, path, json=body, headers=_auth(keys[role]))
        assert response.status_code != 403, (role, path)
