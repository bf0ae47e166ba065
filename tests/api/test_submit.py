"""The submit path over HTTP on a real SQLite file: each kind of decision, retries, errors."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from stdnum.cn import uscc

from approval.intake.service import request_hashes
from approval.signing import verify_signature
from tests.conftest import submit
from tests.fixtures import application_for, personas


def _licence(client: TestClient, key: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.get(body["licence"]["json"], headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    licence: dict[str, Any] = response.json()
    return licence


def test_clean_owner_is_approved_with_a_signed_licence(
    client: TestClient, keys: dict[str, str]
) -> None:
    response = submit(client, keys["terminal"], application_for("clean_owner"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "issued"
    assert body["decision"] == "approve"
    assert [r["rule_id"] for r in body["reasons"]] == ["R15-NO-NAME"]
    code = body["licence"]["credit_code"]
    assert uscc.is_valid(code)
    assert code.startswith("92" + application_for("clean_owner")["premises"]["district_code"])

    licence = _licence(client, keys["terminal"], body)
    public_key = client.get("/v1/licence-signing-key").json()["public_key_pem"]
    document = {
        "type": "miaopi.licence.individual-business/2",
        "key_id": licence["key_id"],
        **licence["document"],
    }
    assert verify_signature(public_key, document, licence["signature"])
    tampered = {**document, "operator_name": "李四"}
    assert not verify_signature(public_key, tampered, licence["signature"])

    verified = client.get(f"/v1/verify/{code}").json()
    assert verified["genuine"] is True
    assert verified["current"] is True

    pdf = client.get(
        body["licence"]["pdf"], headers={"Authorization": f"Bearer {keys['terminal']}"}
    )
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert b"FontFile2" in pdf.content


def test_tenant_catering_is_approved_with_conditions(
    client: TestClient, keys: dict[str, str]
) -> None:
    body = application_for(
        "clean_tenant",
        scope=["H2001", "F1001"],
        commitments={"truthfulness": True, "no_trading_before_permit": True},
    )
    result = submit(client, keys["terminal"], body).json()
    assert result["decision"] == "approve_with_conditions"
    assert "R29-SCOPE-POST-PERMIT" in {r["rule_id"] for r in result["reasons"]}
    assert any("食品经营许可证" in c for c in result["conditions"])
    assert result["licence"] is not None
    licence = _licence(client, keys["terminal"], result)
    (catering,) = [s for s in licence["document"]["scope"] if s["code"] == "H2001"]
    assert catering["condition"]


def test_every_reason_is_given_at_once(client: TestClient, keys: dict[str, str]) -> None:
    body = application_for(
        "banned",
        scope=["G3001", "F1001"],
        commitments={"truthfulness": False},
    )
    result = submit(client, keys["terminal"], body).json()
    assert result["decision"] == "reject"
    fired = {r["rule_id"] for r in result["reasons"]}
    assert {
        "R10-FALSE-REGISTRATION-BAN",
        "R27-SCOPE-CLOSED-TO-INDIVIDUALS",
        "R45-TRUTHFULNESS",
    } <= fired
    assert all(r["text"] and r["basis"] and r["code"] for r in result["reasons"])
    assert result["licence"] is None


def test_minor_goes_to_manual_review(client: TestClient, keys: dict[str, str]) -> None:
    result = submit(client, keys["terminal"], application_for("minor_16")).json()
    assert result["decision"] == "manual_review"
    assert "R08-AGE-16-17" in {r["rule_id"] for r in result["reasons"]}
    assert result["status"] == "decided"
    assert result["licence"] is None


@pytest.mark.parametrize(
    ("evidence", "rule_id"),
    [
        ({"face_match_score": 0.41, "liveness_passed": True}, "R06-FACE-MISMATCH"),
        ({"face_match_score": 0.93, "liveness_passed": False}, "R06-LIVENESS-FAILED"),
    ],
)
def test_a_failed_camera_check_is_manual_review_with_the_in_person_fallback(
    client: TestClient, keys: dict[str, str], evidence: dict[str, Any], rule_id: str
) -> None:
    body = application_for("clean_owner", identity_evidence=evidence)
    result = submit(client, keys["terminal"], body).json()
    assert result["decision"] == "manual_review"
    assert result["status"] == "decided"
    assert result["licence"] is None
    (reason,) = [r for r in result["reasons"] if r["rule_id"] == rule_id]
    assert reason["outcome"] == "manual_review"
    # 细则16: what to bring and where, instead of a rejection
    for words in ("居民身份证原件", "登记窗口", "经公证的身份证明"):
        assert words in reason["text"]
    assert all(r["outcome"] != "reject" for r in result["reasons"])


def test_child_is_rejected(client: TestClient, keys: dict[str, str]) -> None:
    result = submit(client, keys["terminal"], application_for("child_15")).json()
    assert result["decision"] == "reject"
    assert "R08-UNDER-16" in {r["rule_id"] for r in result["reasons"]}


def test_genuine_1978_holder_of_a_later_district_code_is_accepted(
    client: TestClient, keys: dict[str, str]
) -> None:
    person = personas()["genuine_1978_321281"]
    assert person["id_number"].startswith("321281")
    assert person["id_number"][6:10] == "1978"
    result = submit(client, keys["terminal"], application_for("genuine_1978_321281"))
    assert result.status_code == 201, result.text
    assert result.json()["decision"] == "approve"


def test_idempotent_retry_replays_and_creates_nothing(
    client: TestClient, keys: dict[str, str]
) -> None:
    body = application_for("clean_owner")
    first = submit(client, keys["terminal"], body, idempotency_key="kiosk-7-0001")
    again = submit(client, keys["terminal"], body, idempotency_key="kiosk-7-0001")
    assert again.status_code == 201
    assert again.json() == first.json()
    other = submit(
        client, keys["terminal"], {**body, "employees": 3}, idempotency_key="kiosk-7-0001"
    )
    assert other.status_code == 409
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["code"] == "idempotency_key_reused"


def test_a_faithful_retry_replays_though_its_bytes_differ(
    client: TestClient, keys: dict[str, str]
) -> None:
    body = application_for("clean_owner")
    headers = {
        "Authorization": f"Bearer {keys['terminal']}",
        "Idempotency-Key": "kiosk-7-0002",
        "Content-Type": "application/json",
    }
    compact = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    # the same value: other whitespace, keys in another order, characters as \u escapes
    spelled_otherwise = json.dumps(dict(reversed(list(body.items()))), indent=2).encode()
    first = client.post("/v1/applications", content=compact, headers=headers)
    again = client.post("/v1/applications", content=spelled_otherwise, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    changed = json.dumps({**body, "employees": body["employees"] + 1}).encode()
    assert client.post("/v1/applications", content=changed, headers=headers).status_code == 409


def test_a_retry_is_compared_by_its_json_value_and_by_its_bytes_for_older_rows() -> None:
    body = b'{"a": 1,  "b": "\\u5468"}'
    canonical, raw = request_hashes(body)
    assert raw == hashlib.sha256(body).hexdigest() != canonical
    assert request_hashes(b'{"b":"\xe5\x91\xa8","a":1}')[0] == canonical


def test_idempotency_key_is_required_for_terminals(
    client: TestClient, keys: dict[str, str]
) -> None:
    response = client.post(
        "/v1/applications",
        json=application_for("clean_owner"),
        headers={"Authorization": f"Bearer {keys['terminal']}"},
    )
    assert response.status_code == 428
    assert response.json()["code"] == "idempotency_key_required"


def test_bad_id_number_is_a_problem_and_changes_nothing(
    client: TestClient, keys: dict[str, str]
) -> None:
    body = application_for("clean_owner")
    number = body["operator"]["id_number"]
    body["operator"]["id_number"] = number[:17] + ("0" if number[17] != "0" else "1")
    response = submit(client, keys["terminal"], body, idempotency_key="bad-1")
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "invalid_application"
    assert problem["errors"][0]["field"] == "operator.id_number"
    assert "校验位" in problem["errors"][0]["message"]
    # nothing was stored under that key: a corrected retry with it is a fresh submission
    fixed = submit(
        client, keys["terminal"], application_for("clean_owner"), idempotency_key="bad-1"
    )
    assert fixed.status_code == 201


def test_unknown_fields_and_control_characters_are_refused(
    client: TestClient, keys: dict[str, str]
) -> None:
    body = application_for("clean_owner")
    body["surprise"] = 1
    body["operator"]["name"] = "周\x00兵"
    problem = submit(client, keys["terminal"], body).json()
    fields = {e["field"]: e for e in problem["errors"]}
    assert fields["surprise"]["code"] == "extra_forbidden"
    assert "控制字符" in fields["operator.name"]["message"]


def test_personal_data_is_masked_for_other_readers(
    client: TestClient, keys: dict[str, str]
) -> None:
    body = application_for("clean_owner")
    created = submit(client, keys["terminal"], body).json()
    number = body["operator"]["id_number"]
    assert created["operator_id_number"] != number
    assert created["operator_id_number"].endswith(number[-4:])
    path = f"/v1/applications/{created['id']}"
    mine = client.get(path, headers={"Authorization": f"Bearer {keys['mobile']}"}).json()
    assert mine["operator_id_number"] == number
    staff = client.get(path, headers={"Authorization": f"Bearer {keys['staff']}"}).json()
    assert staff["operator_id_number"] == number
    assert [e["kind"] for e in staff["timeline"]] == [
        "received",
        "registries_queried",
        "decided",
        "licence_issued",
    ]


def test_named_clean_application_fires_no_rule_and_the_service_keeps_serving(
    client: TestClient, keys: dict[str, str]
) -> None:
    # Nothing fires for a clean named application; this path once crashed the engine.
    for n, trade in enumerate(("周记", "锦程", "恒丰")):
        body = application_for("clean_owner", name=f"泰州市姜堰区{trade}百货店", employees=n)
        result = submit(client, keys["terminal"], body).json()
        assert result["decision"] == "approve"
        assert result["reasons"] == []


def test_a_scope_entry_not_in_the_catalogue_is_answered_with_the_nearest_entries(
    client: TestClient, keys: dict[str, str]
) -> None:
    body = application_for("clean_owner", scope=["F1OO1", "开饭店", "F1002"])
    response = submit(client, keys["terminal"], body)
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["decision"] == "reject"
    (unknown,) = [r for r in result["reasons"] if r["rule_id"] == "R26-SCOPE-NOT-IN-CATALOG"]
    assert unknown["code"] == "SCOPE_NOT_IN_CATALOG"
    entries = {s["entry"]: [near["code"] for near in s["nearest"]] for s in unknown["suggestions"]}
    assert list(entries) == ["F1OO1", "开饭店"]  # the catalogue code F1002 is not questioned
    assert entries["F1OO1"][0] == "F1001"
    assert entries["开饭店"][0] == "H2001"
    assert unknown["suggestions"][1]["nearest"][0]["title"] == "餐饮服务"
    # every other reason is answered as before, without the field
    assert all("suggestions" not in r for r in result["reasons"] if r is not unknown)
    read = client.get(
        f"/v1/applications/{result['id']}", headers={"Authorization": f"Bearer {keys['terminal']}"}
    ).json()
    assert read["reasons"] == result["reasons"]
