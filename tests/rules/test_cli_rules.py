"""``miaopi rules``: check with lint, test with coverage, explain, diff, publish, roll back."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from approval.cli import app
from approval.settings import PROJECT_ROOT, Settings, get_settings
from tests.conftest import submit
from tests.fixtures import application_for

runner = CliRunner()


@pytest.fixture
def rules_copy(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    rules = tmp_path / "rules"
    shutil.copytree(PROJECT_ROOT / "rules", rules)
    monkeypatch.setenv("APPROVAL_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("APPROVAL_FIXED_TODAY", "2026-11-26")
    monkeypatch.setenv("APPROVAL_SIGNING_KEY_PATH", str(settings.signing_key_path))
    get_settings.cache_clear()
    yield rules
    get_settings.cache_clear()


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_check_reports_lint_findings_with_both_rules(rules_copy: Path) -> None:
    _edit(
        rules_copy / "identity.yaml",
        "      - operator.age >= 16\n",
        "      - operator.age >= 15\n",
    )
    result = runner.invoke(app, ["rules", "check", "--path", str(rules_copy)])
    assert result.exit_code == 1
    assert "1 finding(s) to look at" in result.output
    assert "R08-UNDER-16 (rules/identity.yaml:48)" in result.output
    assert "R08-AGE-16-17 (rules/identity.yaml:59)" in result.output
    assert "both fire when operator.age is 15" in result.output


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        (
            "请更换名称。",
            "请更换{name.prohibited_wrds}。",
            "unknown fact 'name.prohibited_wrds' in {name.prohibited_wrds}; "
            "did you mean 'name.prohibited_words'?",
        ),
        ('名称中的"{name.prohibited_words}"', '名称中的"{name.prohibited_words"', "unclosed '{'"),
        ("（{name.prohibited_reason}）", "（{}）", "empty placeholder '{}'"),
    ],
)
def test_check_refuses_a_placeholder_naming_no_fact_or_malformed(
    rules_copy: Path, old: str, new: str, says: str
) -> None:
    name_rules = rules_copy / "name.yaml"
    _edit(name_rules, old, new)
    line = next(
        number
        for number, text in enumerate(name_rules.read_text(encoding="utf-8").splitlines(), 1)
        if new in text
    )
    result = runner.invoke(app, ["rules", "check", "--path", str(rules_copy)])
    assert result.exit_code == 2
    assert "refused" in result.output
    assert f"rules/name.yaml:{line}:" in result.output
    assert says in result.output


def test_test_command_checks_a_reason_text_as_the_applicant_reads_it(rules_copy: Path) -> None:
    _edit(rules_copy / "identity.yaml", "经营者{operator.age}周岁，未满16周岁", "经营者未满16周岁")
    failing = runner.invoke(app, ["rules", "test", "--path", str(rules_copy)])
    assert failing.exit_code == 1
    assert "reason text expected '经营者15周岁，未满16周岁" in failing.output
    assert "actual '经营者未满16周岁" in failing.output


def test_test_command_explains_a_failure_and_reports_coverage(rules_copy: Path) -> None:
    passing = runner.invoke(app, ["rules", "test", "--path", str(rules_copy)])
    assert passing.exit_code == 0, passing.output
    cases = len(yaml.safe_load((rules_copy / "tests" / "cases.yaml").read_text())["cases"])
    assert f"{cases} of {cases} cases passed" in passing.output
    assert "condition branches exercised" in passing.output
    _edit(rules_copy / "identity.yaml", "operator.age < 16", "operator.age < 15")
    failing = runner.invoke(app, ["rules", "test", "--path", str(rules_copy)])
    assert failing.exit_code == 1
    assert "R08-UNDER-16 was expected to fire but stayed quiet" in failing.output
    assert "expected decision: reject   actual: approve" in failing.output
    assert "不成立  经营者周岁年龄（按服务时钟） operator.age < 15   实际: 15" in failing.output
    assert "未触发原因: 经营者周岁年龄（按服务时钟） operator.age < 15（实际 15）" in failing.output


def test_publish_four_eyes_explain_replay_and_rollback(
    rules_copy: Path, client: TestClient, keys: dict[str, str]
) -> None:
    created = submit(client, keys["staff"], application_for("clean_owner")).json()
    _edit(
        rules_copy / "identity.yaml",
        "identity.face_match_score < 0.8",
        "identity.face_match_score < 0.94",
    )
    _edit(
        rules_copy / "tests" / "cases.yaml",
        "identity.face_match_score: 0.8}",
        "identity.face_match_score: 0.95}",
    )

    proposed = runner.invoke(app, ["rules", "propose", "--path", str(rules_copy), "--by", "wang"])
    assert proposed.exit_code == 0, proposed.output
    version = proposed.output.split()[1]
    refused = runner.invoke(app, ["rules", "approve", version, "--by", "wang"])
    assert refused.exit_code == 2
    assert "不能自己批准" in refused.output

    approved = runner.invoke(app, ["rules", "approve", version, "--by", "li"])
    assert approved.exit_code == 0, approved.output
    cases = len(yaml.safe_load((rules_copy / "tests" / "cases.yaml").read_text())["cases"])
    assert f"tests: {cases}/{cases} passed; simulation: 1 of 1 applications would flip" in (
        approved.output
    )

    live = client.app.state.rules_live  # type: ignore[attr-defined]
    assert live.poll_once() is True  # the running server follows, without a restart
    assert submit(client, keys["staff"], application_for("clean_owner")).json()["decision"] == (
        "manual_review"
    )

    explained = runner.invoke(app, ["rules", "explain", created["id"]])
    assert explained.exit_code == 0, explained.output
    assert "当时的结论 批准" in explained.output
    assert "未触发 R06-FACE-UNCERTAIN" in explained.output
    why_not = "未触发原因: 人脸比对得分 0–1 identity.face_match_score < 0.8（实际 0.93）"
    assert why_not in explained.output

    replayed = runner.invoke(app, ["rules", "replay", created["id"], "--version", version])
    assert replayed.exit_code == 0, replayed.output
    assert "decides manual_review" in replayed.output

    versions = runner.invoke(app, ["rules", "versions"])
    old = next(line.split()[0] for line in versions.output.splitlines() if "retired" in line)
    diff = runner.invoke(app, ["rules", "diff", old, version])
    assert "changed R06-FACE-UNCERTAIN" in diff.output
    assert "+when identity.face_match_score < 0.94" in diff.output

    rolled = runner.invoke(app, ["rules", "rollback", "--by", "li"])
    assert rolled.exit_code == 0, rolled.output
    assert rolled.output.startswith(f"rolled back from {version} to {old}")
    assert live.poll_once() is True
    assert submit(client, keys["staff"], application_for("clean_owner")).json()["decision"] == (
        "approve"
    )


def test_shadow_and_simulate_from_the_command_line(
    rules_copy: Path, client: TestClient, keys: dict[str, str]
) -> None:
    _edit(
        rules_copy / "identity.yaml",
        "identity.face_match_score < 0.8",
        "identity.face_match_score < 0.94",
    )
    submit(client, keys["staff"], application_for("clean_owner"))
    simulated = runner.invoke(app, ["rules", "simulate", "--path", str(rules_copy)])
    assert simulated.exit_code == 0, simulated.output
    assert "1 would flip" in simulated.output
    assert "approve -> manual_review" in simulated.output
    proposed = runner.invoke(app, ["rules", "propose", "--path", str(rules_copy), "--by", "wang"])
    version = proposed.output.split()[1]
    assert runner.invoke(app, ["rules", "shadow", version, "--by", "wang"]).exit_code == 0
    client.app.state.rules_live.poll_once()  # type: ignore[attr-defined]
    created = submit(client, keys["staff"], application_for("clean_owner")).json()
    assert created["decision"] == "approve"
    client.app.state.rules_live.poll_once()  # type: ignore[attr-defined]
    listed = runner.invoke(app, ["rules", "disagreements"])
    assert f"{created['id']}: active" in listed.output
    assert "approve" in listed.output
    assert "manual_review" in listed.output
