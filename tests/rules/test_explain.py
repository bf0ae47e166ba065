"""Explanations staff can read: the schema's Chinese descriptions, zh-CN words, one rule."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from approval.cli import app
from approval.engine.ruleset import Ruleset
from approval.rules.explain import RuleNotInVersion, explain, render_text
from approval.settings import Settings, get_settings
from tests.conftest import submit
from tests.fixtures import application_for

runner = CliRunner()


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("APPROVAL_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("APPROVAL_FIXED_TODAY", "2026-11-26")
    monkeypatch.setenv("APPROVAL_SIGNING_KEY_PATH", str(settings.signing_key_path))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def decided(client: TestClient, keys: dict[str, str]) -> str:
    response = submit(client, keys["staff"], application_for("clean_owner"))  # face score 0.93
    assert response.status_code == 201, response.text
    application_id: str = response.json()["id"]
    return application_id


def test_conditions_carry_the_facts_chinese_description(
    shipped_ruleset: Ruleset, baseline_facts: dict[str, Any]
) -> None:
    facts = {**baseline_facts, "operator.age": 15}
    report = explain(shipped_ruleset.rules, facts)
    under_16 = next(r for r in report["rules"] if r["rule_id"] == "R08-UNDER-16")
    assert under_16["conditions"][1]["description"] == "经营者周岁年龄（按服务时钟）"
    assert render_text(under_16) == [
        "已触发 R08-UNDER-16 [驳回] 经营者未满16周岁 (rules/identity.yaml:48)",
        "    成立  外国人证件（护照、外国人永久居留身份证） operator.is_foreign == false"
        "   实际: false",
        "    成立  经营者周岁年龄（按服务时钟） operator.age < 16   实际: 15",
        "    理由: 经营者15周岁，未满16周岁，不具备经营能力，不能登记为个体工商户。",
        "    负责: 登记注册科  依据: 《中华人民共和国民法典》第十七条、第十八条"
        "  复核日期: 2027-06-30",
    ]
    uncertain = next(r for r in report["rules"] if r["rule_id"] == "R06-FACE-UNCERTAIN")
    assert render_text(uncertain)[0].startswith("未触发 R06-FACE-UNCERTAIN [转人工]")
    assert render_text(uncertain)[-1] == (
        "    未触发原因: 人脸比对得分 0–1 identity.face_match_score < 0.8（实际 0.95）"
    )


def test_one_rule_or_a_nearest_id(shipped_ruleset: Ruleset, baseline_facts: dict[str, Any]) -> None:
    only = explain(shipped_ruleset.rules, baseline_facts, "R08-UNDER-16")
    assert [r["rule_id"] for r in only["rules"]] == ["R08-UNDER-16"]
    assert only["decision"] == "approve"  # the decision is still the whole ruleset's
    lower = explain(shipped_ruleset.rules, baseline_facts, " r08-under-16")
    assert [r["rule_id"] for r in lower["rules"]] == ["R08-UNDER-16"]
    with pytest.raises(RuleNotInVersion) as unknown:
        explain(shipped_ruleset.rules, baseline_facts, "R08-UNDR-16")
    assert unknown.value.detail.startswith(
        "该规则版本中没有规则 R08-UNDR-16；相近的规则：R08-UNDER-16"
    )
    with pytest.raises(RuleNotInVersion) as nothing_near:
        explain(shipped_ruleset.rules, baseline_facts, "ZZZ")
    assert nothing_near.value.detail == "该规则版本中没有规则 ZZZ；规则编号形如 R08-UNDER-16"


def test_cli_explains_one_rule_in_chinese(
    cli_env: None, decided: str, keys: dict[str, str]
) -> None:
    result = runner.invoke(app, ["rules", "explain", decided, "--rule", "R08-UNDER-16"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"申请 {decided}（")
    assert "当时的结论 批准" in lines[0]
    assert "按该版本重算：批准" in lines[0]
    assert [line.split()[1] for line in lines[1:] if not line.startswith(" ")] == ["R08-UNDER-16"]
    assert "    不成立  经营者周岁年龄（按服务时钟） operator.age < 16   实际: " in result.output
    assert "未触发原因: 经营者周岁年龄（按服务时钟） operator.age < 16" in result.output

    unknown = runner.invoke(app, ["rules", "explain", decided, "--rule", "R08-UNDER16"])
    assert unknown.exit_code == 2
    assert "该规则版本中没有规则 R08-UNDER16；相近的规则：R08-UNDER-16" in unknown.output


def test_api_explains_one_rule(client: TestClient, keys: dict[str, str], decided: str) -> None:
    url = f"/v1/applications/{decided}/explanation"
    headers = _auth(keys["staff"])
    whole = client.get(url, headers=headers).json()
    assert len(whole["rules"]) > 1
    one = client.get(url, params={"rule": "R08-UNDER-16"}, headers=headers)
    assert one.status_code == 200
    body = one.json()
    assert [r["rule_id"] for r in body["rules"]] == ["R08-UNDER-16"]
    assert body["rules"][0]["conditions"][1]["description"] == "经营者周岁年龄（按服务时钟）"
    assert (body["decision"], body["fired"]) == (whole["decision"], whole["fired"])

    unknown = client.get(url, params={"rule": "R08-UNDR-16"}, headers=headers)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")
    problem = unknown.json()
    assert problem["code"] == "rule_not_in_version"
    assert "相近的规则：R08-UNDER-16" in problem["detail"]

    hostile = client.get(url, params={"rule": "R08' OR 1=1"}, headers=headers)
    assert hostile.status_code == 422
