"""Rule operations over HTTP: explain, propose, four eyes, hot swap, rollback, shadow, replay."""

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


def _stricter(files: dict[str, str], with_cases: bool = True) -> dict[str, str]:
    """Faces scoring under 0.94 (not 0.8) go to manual review; the cases follow if asked."""
    changed = dict(files)
    assert THRESHOLD in changed["identity.yaml"]
    changed["identity.yaml"] = changed["identity.yaml"].replace(
        THRESHOLD, "identity.face_match_score < 0.94"
    )
    if with_cases:
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


def test_publish_with_four_eyes_hot_swap_rollback_and_replay(
    client: TestClient,
    other_process: TestClient,
    keys: dict[str, str],
    second_admin: str,
) -> None:
    admin = keys["rule_admin"]
    before = _decision(client, keys["staff"])
    assert before["decision"] == "approve"
    old_version, files = _active_files(client, admin)

    # a change that breaks the example cases is refused at approval
    broken = client.post(
        "/v1/rulesets", json={"files": _stricter(files, with_cases=False)}, headers=_auth(admin)
    )
    assert broken.status_code == 201
    refused = client.post(
        f"/v1/rulesets/{broken.json()['version']}/approval", headers=_auth(second_admin)
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "ruleset_checks_failed"

    proposed = client.post(
        "/v1/rulesets",
        json={"files": _stricter(files), "note": "faces under 0.94"},
        headers=_auth(admin),
    )
    assert proposed.status_code == 201
    new_version = proposed.json()["version"]

    same_person = client.post(f"/v1/rulesets/{new_version}/approval", headers=_auth(admin))
    assert same_person.status_code == 409
    assert same_person.json()["code"] == "four_eyes_required"
    assert _decision(client, keys["staff"])["decision"] == "approve"  # nothing changed

    approved = client.post(f"/v1/rulesets/{new_version}/approval", headers=_auth(second_admin))
    assert approved.status_code == 200, approved.text
    evidence = approved.json()["evidence"]
    assert evidence["tests"]["failed"] == 0
    assert evidence["check"]["findings"] == []
    assert evidence["simulation"]["flipped"] == 2  # the two approvals above, face score 0.93

    # this process swapped at once; the other one at its next poll, without a restart
    after = _decision(client, keys["staff"])
    assert (after["decision"], after["ruleset_version"]) == ("manual_review", new_version)
    live = other_process.app.state.rules_live  # type: ignore[attr-defined]
    assert live.poll_once() is True
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
    assert live.poll_once() is True
    assert _decision(other_process, keys["staff"])["ruleset_version"] == old_version


def test_shadow_mode_records_disagreements(client: TestClient, keys: dict[str, str]) -> None:
    admin = keys["rule_admin"]
    _, files = _active_files(client, admin)
    candidate = client.post(
        "/v1/rulesets", json={"files": _stricter(files)}, headers=_auth(admin)
    ).json()["version"]
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
    candidate = client.post(
        "/v1/rulesets", json={"files": _stricter(files)}, headers=_auth(admin)
    ).json()["version"]
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
    ("post", "/v1/rulesets", {"files": {}}, {"rule_admin"}),
    ("post", "/v1/rulesets/abcdef/approval", None, {"rule_admin"}),
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
