"""``miaopi rules``: check with lint, test with coverage, explain, diff, publish, roll back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from approval.cli import app
from approval.settings import Settings
from tests.conftest import submit
from tests.fixtures import application_for
from tests.supervision.support import rule_admin_key

runner = CliRunner()


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
    assert "有 1 条检查结果要看" in result.output
    assert "R08-UNDER-16 (rules/identity.yaml:48)" in result.output
    assert "R08-AGE-16-17 (rules/identity.yaml:62)" in result.output
    assert "在 operator.age 为 15 时都会触发" in result.output


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        (
            "请更换名称。",
            "请更换{name.prohibited_wrds}。",
            "不认识的事实 'name.prohibited_wrds'（{name.prohibited_wrds}）；"
            "是不是要写 'name.prohibited_words'？",
        ),
        ('名称中的"{name.prohibited_words}"', '名称中的"{name.prohibited_words"', "'{' 没有闭合"),
        ("（{name.prohibited_reason}）", "（{}）", "占位符 '{}' 是空的"),
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
    assert "已拒绝" in result.output
    assert f"rules/name.yaml:{line}:" in result.output
    assert says in result.output


def test_test_command_checks_a_reason_text_as_the_applicant_reads_it(rules_copy: Path) -> None:
    _edit(rules_copy / "identity.yaml", "经营者{operator.age}周岁，未满16周岁", "经营者未满16周岁")
    failing = runner.invoke(app, ["rules", "test", "--path", str(rules_copy)])
    assert failing.exit_code == 1
    assert "理由文本应为 '经营者15周岁，未满16周岁" in failing.output
    assert "实际为 '经营者未满16周岁" in failing.output


def test_test_command_explains_a_failure_and_reports_coverage(rules_copy: Path) -> None:
    passing = runner.invoke(app, ["rules", "test", "--path", str(rules_copy)])
    assert passing.exit_code == 0, passing.output
    cases = len(yaml.safe_load((rules_copy / "tests" / "cases.yaml").read_text())["cases"])
    assert f"{cases} 个用例中 {cases} 个通过" in passing.output
    assert "条件分支已覆盖" in passing.output
    _edit(rules_copy / "identity.yaml", "operator.age < 16", "operator.age < 15")
    failing = runner.invoke(app, ["rules", "test", "--path", str(rules_copy)])
    assert failing.exit_code == 1
    assert "R08-UNDER-16 应当触发，实际没有触发" in failing.output
    assert "应得决定：reject   实际：approve" in failing.output
    assert "不成立  经营者周岁年龄（按服务时钟） operator.age < 15   实际: 15" in failing.output
    assert "未触发原因: 经营者周岁年龄（按服务时钟） operator.age < 15（实际 15）" in failing.output


def _digest(output: str) -> str:
    found = re.search(r"证据编号 ([0-9a-f]{16})", output)
    assert found, output
    return found.group(1)


def test_propose_waive_approve_with_keys_explain_replay_and_rollback(
    rules_copy: Path, client: TestClient, keys: dict[str, str], settings: Settings
) -> None:
    wang, li = rule_admin_key(settings, "王芳"), rule_admin_key(settings, "李强")
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
    path = ["--path", str(rules_copy)]
    by_name = runner.invoke(app, ["rules", "propose", *path, "--by", "王芳"])
    assert by_name.exit_code == 2  # a name is not an identity
    staff = runner.invoke(app, ["rules", "propose", *path, "--key", keys["staff"]])
    assert staff.exit_code == 2
    assert "rule_admin" in staff.output

    proposed = runner.invoke(app, ["rules", "propose", *path, "--key", wang])
    assert proposed.exit_code == 0, proposed.output
    change = re.search(r"变更申请 (RC-[0-9A-F]+)", proposed.output)
    assert change, proposed.output
    change_id = change.group(1)
    assert "作者：王芳" in proposed.output
    assert "修改规则 R06-FACE-UNCERTAIN" in proposed.output
    assert "关卡 regression" in proposed.output
    assert "尚有关卡未通过" in proposed.output
    assert "miaopi rules approve" not in proposed.output
    dropped = re.findall(r"^\s+([0-9a-f]{12}) R06-\S+ .* 被删除，未豁免$", proposed.output, re.M)
    assert len(dropped) == 2, proposed.output

    waive = [arg for key in dropped for arg in ("--waive", f"{key}=阈值改为0.94，用例改为0.95")]
    edited = runner.invoke(
        app, ["rules", "edit", change_id, "--keep-files", *waive], env={"MIAOPI_KEY": wang}
    )
    assert edited.exit_code == 0, edited.output
    assert edited.output.count("已豁免：阈值改为0.94") == 2
    digest = _digest(edited.output)

    own = runner.invoke(app, ["rules", "approve", change_id, "--key", wang, "--evidence", digest])
    assert own.exit_code == 2
    assert "不能批准" in own.output
    unacknowledged = runner.invoke(
        app, ["rules", "approve", change_id, "--key", li, "--evidence", digest]
    )
    assert unacknowledged.exit_code == 2
    assert "确认理由" in unacknowledged.output
    approved = runner.invoke(
        app,
        ["rules", "approve", change_id, "--evidence", digest, "--acknowledge", "0.93分转人工审核"],
        env={"MIAOPI_KEY": li},
    )
    assert approved.exit_code == 0, approved.output
    assert "现已生效" in approved.output

    live = client.app.state.rules_live  # type: ignore[attr-defined]
    live.poll_once()  # the running server follows, without a restart (its own poll may be first)
    assert submit(client, keys["staff"], application_for("clean_owner")).json()["decision"] == (
        "manual_review"
    )

    explained = runner.invoke(app, ["rules", "explain", created["id"]])
    assert explained.exit_code == 0, explained.output
    assert "当时的结论 批准" in explained.output
    assert "未触发 R06-FACE-UNCERTAIN" in explained.output
    why_not = "未触发原因: 人脸比对得分 0–1 identity.face_match_score < 0.8（实际 0.93）"
    assert why_not in explained.output

    version = approved.output.split("版本 ")[1].split()[0]
    replayed = runner.invoke(app, ["rules", "replay", created["id"], "--version", version])
    assert replayed.exit_code == 0, replayed.output
    assert "的决定：转人工" in replayed.output

    versions = runner.invoke(app, ["rules", "versions"])
    assert f"{version}  active" in versions.output
    assert "提出 王芳" in versions.output
    assert "批准 李强" in versions.output
    old = next(line.split()[0] for line in versions.output.splitlines() if "retired" in line)
    diff = runner.invoke(app, ["rules", "diff", old, version])
    assert "修改规则 R06-FACE-UNCERTAIN" in diff.output
    assert "+when identity.face_match_score < 0.94" in diff.output

    rolled = runner.invoke(app, ["rules", "rollback", "--key", li, "--to", old])
    assert rolled.exit_code == 0, rolled.output
    assert rolled.output.startswith(f"已从 {version} 回退到 {old}")
    live.poll_once()  # or its own background poll, whichever comes first
    assert submit(client, keys["staff"], application_for("clean_owner")).json()["decision"] == (
        "approve"
    )
    history = runner.invoke(app, ["rules", "history"])
    kinds = [line.split()[2] for line in history.output.splitlines()]
    assert kinds[-7:] == [
        "proposed",
        "edited",
        "approved",
        "retired",  # the version it replaced
        "activated",
        "retired",  # rolled back from
        "rolled_back",
    ]
    assert "李强" in history.output


def test_shadow_and_simulate_from_the_command_line(
    rules_copy: Path, client: TestClient, keys: dict[str, str], settings: Settings
) -> None:
    wang = rule_admin_key(settings, "王芳")
    _edit(
        rules_copy / "identity.yaml",
        "identity.face_match_score < 0.8",
        "identity.face_match_score < 0.94",
    )
    submit(client, keys["staff"], application_for("clean_owner"))
    simulated = runner.invoke(app, ["rules", "simulate", "--path", str(rules_copy)])
    assert simulated.exit_code == 0, simulated.output
    assert "1 件会改变决定" in simulated.output
    assert "approve -> manual_review" in simulated.output
    proposed = runner.invoke(app, ["rules", "propose", "--path", str(rules_copy), "--key", wang])
    version = proposed.output.split("版本 ")[1].split("，")[0]
    assert runner.invoke(app, ["rules", "shadow", version, "--key", wang]).exit_code == 0
    client.app.state.rules_live.poll_once()  # type: ignore[attr-defined]
    created = submit(client, keys["staff"], application_for("clean_owner")).json()
    assert created["decision"] == "approve"
    client.app.state.rules_live.poll_once()  # type: ignore[attr-defined]
    listed = runner.invoke(app, ["rules", "disagreements"])
    assert f"{created['id']}：现行版本" in listed.output
    assert "approve" in listed.output
    assert "manual_review" in listed.output
