"""名称自主申报 over HTTP: check a name without applying, reserve it for two months."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import create_app
from approval.clock import CHINA_TZ
from approval.database import Database
from approval.migrate import upgrade_to_head
from approval.names.comparison import FreedReason
from approval.names.register import free_name
from approval.settings import Settings
from tests.conftest import TODAY, submit
from tests.fixtures import application_for, personas
from tests.supervision.support import install_clock

JIANGYAN = "321204"  # clean_owner's and ban_expired's premises
NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=CHINA_TZ)


def _id(persona: str) -> str:
    number: str = personas()[persona]["id_number"]
    return number


def _ask(
    client: TestClient, key: str, path: str, name: str, persona: str = "clean_owner", **extra: Any
) -> Any:
    body = {"name": name, "district_code": JIANGYAN, "id_number": _id(persona), **extra}
    return client.post(f"/v1/names/{path}", json=body, headers={"Authorization": f"Bearer {key}"})


def _codes(body: dict[str, Any]) -> list[str]:
    return [reason["code"] for reason in body["reasons"]]


def test_a_free_name_is_answered_available_and_nothing_is_held(
    client: TestClient, keys: dict[str, str]
) -> None:
    checked = _ask(client, keys["terminal"], "check", "泰州市姜堰区锦绣百货店")
    assert checked.status_code == 200, checked.text
    body = checked.json()
    assert (body["available"], body["decision"], body["reasons"]) == (True, "approve", [])
    assert body["authority_name"].startswith("泰州市姜堰区")
    # a check holds nothing: another applicant may still take the name
    other = submit(
        client, keys["terminal"], application_for("ban_expired", name="泰州市姜堰区锦绣百货店")
    )
    assert other.json()["decision"] == "approve"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("泰州市姜堰区中华百货店", "NAME_RESTRICTED_WORD"),
        ("泰州市姜堰区锦绣百货公司", "NAME_ORG_FORM_FORBIDDEN"),
        ("泰州市海陵区锦绣百货店", "NAME_DIVISION_MISMATCH"),
        ("泰州市姜堰区Jin百货店", "NAME_CHARSET"),
    ],
)
def test_a_name_the_rules_refuse_is_answered_with_the_reason_a_submission_gets(
    client: TestClient, keys: dict[str, str], name: str, code: str
) -> None:
    body = _ask(client, keys["terminal"], "check", name).json()
    assert body["available"] is False
    assert body["decision"] == "reject"
    assert code in _codes(body)
    submitted = submit(client, keys["terminal"], application_for("clean_owner", name=name)).json()
    by_code = {r["code"]: r for r in submitted["reasons"]}
    (checked,) = [r for r in body["reasons"] if r["code"] == code]
    assert checked == by_code[code]  # the same rule, text and basis


def test_an_issued_name_is_answered_identical_and_a_similar_one_flagged(
    client: TestClient, keys: dict[str, str]
) -> None:
    submit(client, keys["terminal"], application_for("clean_owner", name="泰州市姜堰区锦华五金店"))
    identical = _ask(client, keys["terminal"], "check", "泰州市姜堰区锦华五金商行", "ban_expired")
    body = identical.json()
    assert (body["available"], body["identical_to"]) == (False, "泰州市姜堰区锦华五金店")
    assert _codes(body) == ["NAME_IDENTICAL"]
    similar = _ask(
        client, keys["terminal"], "check", "泰州市姜堰区锦华水果店", "ban_expired"
    ).json()
    assert (similar["available"], _codes(similar)) == (True, ["NAME_SIMILAR"])
    assert similar["similar_to"] == "泰州市姜堰区锦华五金店"


def test_a_reservation_holds_the_name_against_others_until_its_holder_applies(
    client: TestClient, keys: dict[str, str], migrated: Settings
) -> None:
    reserved = _ask(client, keys["mobile"], "reservations", "泰州市姜堰区锦荣百货店")
    assert reserved.status_code == 201, reserved.text
    body = reserved.json()
    assert body["reserved_until"].startswith((TODAY + dt.timedelta(days=59)).isoformat()[:7])
    assert body["holder"] != _id("clean_owner")  # masked

    # asked again: the same reservation, not a second one
    again = _ask(client, keys["mobile"], "reservations", "泰州市姜堰区锦荣百货店")
    assert (again.status_code, again.json()["reserved_until"]) == (200, body["reserved_until"])

    # others: the check says taken, a reservation is refused, an application is rejected (R23)
    check = _ask(client, keys["terminal"], "check", "泰州市姜堰区锦荣百货商行", "ban_expired")
    assert check.json()["identical_to"] == "泰州市姜堰区锦荣百货店"
    refused = _ask(
        client, keys["terminal"], "reservations", "泰州市姜堰区锦荣百货店", "ban_expired"
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "name_refused"
    assert [r["code"] for r in refused.json()["reasons"]] == ["NAME_IDENTICAL"]
    other = submit(
        client, keys["terminal"], application_for("ban_expired", name="泰州市姜堰区锦荣百货店")
    ).json()
    assert "NAME_IDENTICAL" in _codes(other)

    # the holder's own application is approved and uses the reservation up
    own = submit(
        client, keys["mobile"], application_for("clean_owner", name="泰州市姜堰区锦荣百货店")
    ).json()
    assert own["decision"] == "approve", own["reasons"]
    db = Database(migrated.database_url)
    with db.reading() as conn:
        rows = list(conn.exec_driver_sql("SELECT status, credit_code FROM business_names"))
    db.dispose()
    assert [(r.status, r.credit_code) for r in rows] == [("active", own["licence"]["credit_code"])]


def test_an_expired_reservation_frees_the_name(client: TestClient, keys: dict[str, str]) -> None:
    clock = install_clock(client, TODAY)
    assert _ask(client, keys["mobile"], "reservations", "泰州市姜堰区锦泰百货店").status_code == 201
    clock.move(days=50)
    taken = submit(
        client, keys["terminal"], application_for("ban_expired", name="泰州市姜堰区锦泰百货店")
    ).json()
    assert "NAME_IDENTICAL" in _codes(taken)
    clock.move(days=15)  # past two months
    free = submit(
        client, keys["terminal"], application_for("ban_expired", name="泰州市姜堰区锦泰百货店")
    ).json()
    assert free["decision"] == "approve", free["reasons"]


def test_a_mobile_key_checks_and_reserves_only_for_its_own_holder(
    client: TestClient, keys: dict[str, str]
) -> None:
    for path in ("check", "reservations"):
        answer = _ask(client, keys["mobile"], path, "泰州市姜堰区锦安百货店", "ban_expired")
        assert answer.status_code == 403
        assert answer.json()["code"] == "forbidden"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"district_code": "110101"}, "district_code"),
        ({"id_number": "320102199001011235"}, "id_number"),
        ({"name": "泰"}, "name"),
        ({"district_code": "32120"}, "district_code"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_input_is_a_problem_with_the_field(
    client: TestClient, keys: dict[str, str], change: dict[str, Any], field: str
) -> None:
    body = {"name": "泰州市姜堰区锦安百货店", "district_code": JIANGYAN}
    body |= {"id_number": _id("clean_owner"), **change}
    answer = client.post(
        "/v1/names/reservations", json=body, headers={"Authorization": f"Bearer {keys['terminal']}"}
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert field in str(answer.json()["errors"])


def test_checks_appear_in_the_holders_data_access_log(
    client: TestClient, keys: dict[str, str]
) -> None:
    _ask(client, keys["mobile"], "check", "泰州市姜堰区锦程五金店")
    log = client.get("/v1/me/data-access", headers={"Authorization": f"Bearer {keys['mobile']}"})
    (entry,) = [e for e in log.json()["items"] if e["application_id"] is None]
    assert entry["registry"] == "market"
    assert "名称自主申报" in entry["purpose"]


@pytest.fixture
def market_down(settings: Settings) -> Iterator[TestClient]:
    changed = settings.model_copy(update={"unavailable_registries": frozenset({"market"})})
    upgrade_to_head(changed.database_url)
    with TestClient(create_app(changed)) as client:
        yield client


def test_a_silent_registry_never_answers_free_or_reserves(
    market_down: TestClient, keys: dict[str, str], migrated: Settings
) -> None:
    for path in ("check", "reservations"):
        answer = _ask(market_down, keys["terminal"], path, "泰州市姜堰区锦瑞百货店")
        assert answer.status_code == 503
        assert answer.json()["code"] == "name_registry_unavailable"
    db = Database(migrated.database_url)
    with db.reading() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM business_names").scalar_one() == 0
    db.dispose()


def test_the_name_reasons_name_the_existing_name_its_authority_and_when_it_was_freed(
    client: TestClient, keys: dict[str, str], migrated: Settings
) -> None:
    issued = submit(
        client, keys["terminal"], application_for("clean_owner", name="泰州市姜堰区锦星百货店")
    ).json()
    identical = _ask(client, keys["terminal"], "check", "百货锦星店", "ban_expired").json()
    (reason,) = [r for r in identical["reasons"] if r["code"] == "NAME_IDENTICAL"]
    assert "泰州市姜堰区市场监督管理局" in reason["text"]
    assert "“泰州市姜堰区锦星百货店”" in reason["text"]
    similar = _ask(client, keys["terminal"], "check", "泰州市姜堰区锦星水果店", "ban_expired")
    assert "“泰州市姜堰区锦星百货店”相近" in similar.json()["reasons"][0]["text"]

    db = Database(migrated.database_url)
    with db.transaction() as conn:  # as a revocation does (the lifecycle's LicenceRevoked)
        free_name(conn, issued["licence"]["credit_code"], FreedReason.REVOKED, NOW)
    db.dispose()
    cooling = _ask(
        client, keys["terminal"], "check", "泰州市姜堰区锦星百货店", "ban_expired"
    ).json()
    (reason,) = [r for r in cooling["reasons"] if r["code"] == "NAME_COOLING_OFF"]
    assert "于2026年11月26日" in reason["text"]
    assert "“泰州市姜堰区锦星百货店”" in reason["text"]
