"""一次性告知: each templated reason, submitted over HTTP, says what to correct: the word and why,
the entry and its nearest catalogue entries, the 区划 the premises need, the age and what to
submit, the commitments still missing. Older applications' reasons read as they were stored."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from approval.database import Database, applications
from approval.engine.facts import FACTS, RULE_FACTS
from approval.settings import PROJECT_ROOT, Settings
from connectors.seed_world import load_world
from tests.conftest import submit
from tests.fixtures import application_for

WORDS = PROJECT_ROOT / "rules" / "words"


def _words(name: str) -> Any:
    return yaml.safe_load((WORDS / name).read_text(encoding="utf-8"))


def _category_reason(word: str) -> str:
    (reason,) = [c["reason"] for c in _words("prohibited.yaml")["categories"] if word in c["words"]]
    return str(reason)


def _decided(client: TestClient, key: str, body: dict[str, Any]) -> dict[str, Any]:
    response = submit(client, key, body)
    assert response.status_code == 201, response.text
    decided: dict[str, Any] = response.json()
    return decided


def _text(body: dict[str, Any], rule_id: str) -> str:
    (reason,) = [r for r in body["reasons"] if r["rule_id"] == rule_id]
    assert "{" not in reason["text"]  # every placeholder was filled
    return str(reason["text"])


def test_a_prohibited_word_is_named_with_its_categorys_reason(
    client: TestClient, keys: dict[str, str]
) -> None:
    body = _decided(
        client, keys["terminal"], application_for("clean_owner", name="泰州市姜堰区雷锋百货店")
    )
    assert body["decision"] == "reject"
    (reason,) = [r for r in body["reasons"] if r["rule_id"] == "R19-NAME-PROHIBITED"]
    assert reason["code"] == "NAME_PROHIBITED_WORD"  # the stable code is unchanged
    assert reason["text"] == (
        f'名称中的"雷锋"属于法规禁止使用的内容（{_category_reason("雷锋")}），请更换名称。'
    )


def test_an_obfuscated_prohibited_word_is_named_as_it_reads(
    client: TestClient, keys: dict[str, str]
) -> None:
    name = "泰州市姜堰区赌 场百货店"
    body = _decided(client, keys["terminal"], application_for("clean_owner", name=name))
    assert body["decision"] == "reject"  # the space is also a character a name may not hold
    text = _text(body, "R19-NAME-PROHIBITED-OBFUSCATED")
    assert '"赌场"' in text
    assert _category_reason("赌场") in text
    assert "不符合要求的字符：空格" in _text(body, "R17-NAME-CHARSET")


def test_a_restricted_word_is_named_with_its_groups_reason(
    client: TestClient, keys: dict[str, str]
) -> None:
    body = _decided(
        client, keys["terminal"], application_for("clean_owner", name="泰州市姜堰区中华最佳百货店")
    )
    text = _text(body, "R20-NAME-RESTRICTED")
    restricted = _words("restricted.yaml")
    assert "名称含有：中华、最佳（" in text
    assert restricted["leading"]["reason"] in text
    assert restricted["superlatives"]["reason"] in text


def test_the_expected_division_and_the_one_used_are_named(
    client: TestClient, keys: dict[str, str]
) -> None:
    # clean_owner's premises are in 姜堰区; the name begins with another district
    body = _decided(
        client, keys["terminal"], application_for("clean_owner", name="泰州市海陵区周记百货店")
    )
    assert body["decision"] == "reject"
    assert _text(body, "R16-NAME-DIVISION") == (
        "名称中的行政区划应为经营场所所在的县（市、区）泰州市姜堰区，申请的名称中为：泰州市海陵区。"
    )
    nothing = _decided(client, keys["terminal"], application_for("clean_owner", name="周记百货店"))
    assert "申请的名称中为：未写行政区划。" in _text(nothing, "R16-NAME-DIVISION")


def test_an_unknown_scope_entry_is_named_with_its_nearest_entries(
    client: TestClient, keys: dict[str, str]
) -> None:
    body = _decided(
        client, keys["terminal"], application_for("clean_owner", scope=["F1OO1", "开饭店", "F1001"])
    )
    text = _text(body, "R26-SCOPE-NOT-IN-CATALOG")
    assert "以下条目不在目录中：F1OO1（您是否要找：F1001 日用百货销售，" in text
    assert "、开饭店（您是否要找：H2001 餐饮服务" in text
    (reason,) = [r for r in body["reasons"] if r["rule_id"] == "R26-SCOPE-NOT-IN-CATALOG"]
    # the structured suggestions stay, and say the same as the text
    for suggestion in reason["suggestions"]:
        nearest = "，".join(f"{n['code']} {n['title']}" for n in suggestion["nearest"])
        assert f"{suggestion['entry']}（您是否要找：{nearest}）" in text


def test_a_scope_entry_with_braces_is_shown_as_typed(
    client: TestClient, keys: dict[str, str]
) -> None:
    body = _decided(
        client, keys["terminal"], application_for("clean_owner", scope=["{operator.age}"])
    )
    (reason,) = [r for r in body["reasons"] if r["rule_id"] == "R26-SCOPE-NOT-IN-CATALOG"]
    assert "{operator.age}（" in reason["text"]


def test_a_16_year_old_is_told_their_age_and_what_to_submit(
    client: TestClient, keys: dict[str, str]
) -> None:
    body = _decided(client, keys["terminal"], application_for("minor_16"))
    assert body["decision"] == "manual_review"
    text = _text(body, "R08-AGE-16-17")
    assert text.startswith("经营者16周岁，未满18周岁。")
    # 民法典第十八条: evidence that their own labour income is their main source of living
    assert "劳动收入是主要生活来源的材料" in text


def test_a_child_is_told_their_age(client: TestClient, keys: dict[str, str]) -> None:
    body = _decided(client, keys["terminal"], application_for("child_15"))
    assert body["decision"] == "reject"
    assert _text(body, "R08-UNDER-16").startswith("经营者15周岁，未满16周岁")


def test_every_commitment_still_missing_is_named(client: TestClient, keys: dict[str, str]) -> None:
    body = _decided(
        client,
        keys["terminal"],
        application_for("clean_tenant", scope=["H2001"], commitments={"truthfulness": False}),
    )
    assert body["decision"] == "reject"
    missing = "对所填信息真实性负责的承诺、取得许可（完成备案）前不从事相关经营活动的承诺"
    for rule_id in ("R45-TRUTHFULNESS", "R45-PERMIT-COMMITMENT"):
        assert f"本申请尚未签署的承诺：{missing}，请一并签署后重新提交。" in _text(body, rule_id)
    assert "H2001 餐饮服务（食品经营许可证，" in _text(body, "R29-SCOPE-POST-PERMIT")


def test_family_members_not_verified_are_named_by_place_and_masked_name(
    client: TestClient, keys: dict[str, str]
) -> None:
    member = next(
        p
        for p in load_world().people.values()
        if p.status is not None and p.status.value == "normal" and not p.document_reported_lost
    )
    family = application_for(
        "clean_owner",
        organisation_form="family",
        family_members=[
            {"name": member.name, "id_number": member.id_number},
            {"name": "王五", "id_number": member.id_number},
        ],
    )
    body = _decided(client, keys["terminal"], family)
    text = _text(body, "R39-FAMILY-NAME-MISMATCH")
    assert "家庭成员中，第2位（王*）的姓名与身份证号码未能" in text
    assert member.id_number not in text


def test_a_reviewer_sees_each_fired_rules_reason_as_the_applicant_reads_it(
    client: TestClient, keys: dict[str, str]
) -> None:
    created = _decided(client, keys["terminal"], application_for("minor_16"))
    staff = {"Authorization": f"Bearer {keys['staff']}"}
    case = client.post(f"/v1/review/cases/{created['id']}/claim", headers=staff).json()
    (fired,) = [r for r in case["explanation"] if r["rule_id"] == "R08-AGE-16-17"]
    assert fired["reason"] == _text(created, "R08-AGE-16-17")
    explained = client.get(f"/v1/applications/{created['id']}/explanation", headers=staff).json()
    (rule,) = [r for r in explained["rules"] if r["rule_id"] == "R08-AGE-16-17"]
    assert rule["reason"] == fired["reason"]
    assert all(r["reason"] is None for r in explained["rules"] if not r["fired"])


def test_applications_stored_before_the_templates_still_read_and_replay(
    client: TestClient, keys: dict[str, str], migrated: Settings
) -> None:
    created = _decided(
        client, keys["terminal"], application_for("clean_owner", scope=["F1OO1", "F1001"])
    )
    stored_before = [
        {
            "rule_id": "R26-SCOPE-NOT-IN-CATALOG",
            "code": "SCOPE_NOT_IN_CATALOG",
            "outcome": "reject",
            "text": "经营范围须从《经营范围规范表述目录》中选择，有条目不在目录中，请重新选择。",
            "basis": "《市场主体登记管理条例实施细则》第十二条",
        },
    ]
    db = Database(migrated.database_url)
    try:
        with db.transaction() as conn:
            row = conn.execute(
                select(applications.c.facts).where(applications.c.id == created["id"])
            ).one()
            old_facts = {k: v for k, v in row.facts.items() if k in RULE_FACTS}
            conn.execute(
                update(applications)
                .where(applications.c.id == created["id"])
                .values(facts=old_facts, reasons=stored_before)
            )
    finally:
        db.dispose()
    auth = {"Authorization": f"Bearer {keys['terminal']}"}
    read = client.get(f"/v1/applications/{created['id']}", headers=auth)
    assert read.status_code == 200
    assert read.json()["reasons"] == stored_before

    staff = {"Authorization": f"Bearer {keys['staff']}"}
    explained = client.get(f"/v1/applications/{created['id']}/explanation", headers=staff)
    assert explained.status_code == 200
    assert explained.json()["decision"] == "reject"
    version = created["ruleset_version"]
    replayed = client.get(
        f"/v1/applications/{created['id']}/replay", params={"version": version[:12]}, headers=staff
    )
    assert replayed.status_code == 200
    # replay derives the facts again from the stored submission: the entry is named
    (reason,) = [r for r in replayed.json()["reasons"] if r["code"] == "SCOPE_NOT_IN_CATALOG"]
    assert "以下条目不在目录中：F1OO1（您是否要找：F1001 日用百货销售" in reason["text"]
    # a submission that cannot be parsed again replays on the stored facts, and what was never
    # recorded is said to be missing, by its meaning
    db = Database(migrated.database_url)
    try:
        with db.transaction() as conn:
            conn.execute(
                update(applications)
                .where(applications.c.id == created["id"])
                .values(payload={"scope": 7})
            )
    finally:
        db.dispose()
    replayed = client.get(
        f"/v1/applications/{created['id']}/replay", params={"version": version[:12]}, headers=staff
    )
    assert replayed.json()["not_recomputed"] == "payload_invalid"
    (reason,) = [r for r in replayed.json()["reasons"] if r["code"] == "SCOPE_NOT_IN_CATALOG"]
    assert f"〔{FACTS['scope.unknown_entries'].description}〕" in reason["text"]


@pytest.mark.parametrize("persona", ["clean_owner", "clean_tenant"])
def test_a_clean_application_stores_every_reason_fact_empty(
    client: TestClient, keys: dict[str, str], migrated: Settings, persona: str
) -> None:
    created = _decided(client, keys["terminal"], application_for(persona))
    db = Database(migrated.database_url)
    try:
        with db.reading() as conn:
            facts = conn.execute(
                select(applications.c.facts).where(applications.c.id == created["id"])
            ).scalar_one()
    finally:
        db.dispose()
    assert set(facts) == set(FACTS)
    assert facts["name.expected_division"] == "泰州市姜堰区" or persona != "clean_owner"
    empty = {name: facts[name] for name, spec in FACTS.items() if spec.reason_only}
    # the premises' district and its registration authority, whatever the name
    del empty["name.expected_division"], empty["name.authority"]
    assert all(value in ("", []) for value in empty.values()), empty
