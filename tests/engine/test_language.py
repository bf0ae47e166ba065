"""Rule files that are wrong are refused with file, line and what is wrong; nothing half-loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from approval.engine.language import RuleFileError, parse_rules_dir
from approval.engine.ruleset import Ruleset, ruleset_version
from tests.engine.conftest import write_rules

GOOD = """rules:
  - id: R08-UNDER-16
    title: 未满16周岁
    when:
      - operator.age < 16
    outcome: reject
    reason: {code: AGE, text: 太小, basis: 民法典第十七条}
"""


def _problems(tmp_path: Path, text: str) -> list[str]:
    write_rules(tmp_path, text)
    with pytest.raises(RuleFileError) as caught:
        parse_rules_dir(tmp_path)
    return [str(p) for p in caught.value.problems]


def test_good_file_parses(tmp_path: Path) -> None:
    rules = parse_rules_dir(write_rules(tmp_path, GOOD))
    assert [r.id for r in rules] == ["R08-UNDER-16"]
    assert rules[0].when.items[0].value == 16  # type: ignore[union-attr]


def test_unknown_fact_names_line_and_suggestion(tmp_path: Path) -> None:
    problems = _problems(tmp_path, GOOD.replace("operator.age", "operator.agee"))
    assert problems == [
        f"{tmp_path.name}/rules.yaml:5:9: 不认识的事实 'operator.agee'；是不是要写 'operator.age'？"
    ]


def test_type_mismatch_is_refused(tmp_path: Path) -> None:
    (problem,) = _problems(tmp_path, GOOD.replace("operator.age < 16", 'operator.age == "16"'))
    assert ":5:9:" in problem
    assert "operator.age 是整数" in problem


def test_ordering_on_text_is_refused(tmp_path: Path) -> None:
    (problem,) = _problems(tmp_path, GOOD.replace("operator.age < 16", "name.present < 1"))
    assert "用于比较数值大小" in problem


def test_unknown_enum_value_suggests(tmp_path: Path) -> None:
    text = GOOD.replace("operator.age < 16", 'premises.kind == "physcal"')
    (problem,) = _problems(tmp_path, text)
    assert "是不是要写 'physical'" in problem


def test_unknown_outcome_and_missing_reason(tmp_path: Path) -> None:
    text = GOOD.replace("outcome: reject", "outcome: rejct").replace(
        "    reason: {code: AGE, text: 太小, basis: 民法典第十七条}\n", ""
    )
    problems = _problems(tmp_path, text)
    assert any("不认识的结果 'rejct'" in p and "是不是要写 'reject'" in p for p in problems)
    assert any("规则缺少 'reason'" in p for p in problems)


def test_missing_legal_basis(tmp_path: Path) -> None:
    (problem,) = _problems(tmp_path, GOOD.replace(", basis: 民法典第十七条", ""))
    assert "reason 缺少 'basis'" in problem


def test_yaml_syntax_error_has_location(tmp_path: Path) -> None:
    (problem,) = _problems(tmp_path, GOOD.replace("title: 未满16周岁", "title: [未满16周岁"))
    assert problem.startswith(f"{tmp_path.name}/rules.yaml:")
    assert "方括号 [ 没有闭合" in problem
    assert "（第3行：title: [未满16周岁）" in problem


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    write_rules(tmp_path, GOOD, "a.yaml")
    write_rules(tmp_path, GOOD, "b.yaml")
    with pytest.raises(RuleFileError) as caught:
        parse_rules_dir(tmp_path)
    (problem,) = caught.value.problems
    assert "规则 id R08-UNDER-16 重复" in problem.message
    assert problem.location.file.endswith("b.yaml")


def test_one_bad_file_loads_nothing(tmp_path: Path) -> None:
    write_rules(tmp_path, GOOD, "a.yaml")
    write_rules(
        tmp_path, GOOD.replace("R08-UNDER-16", "R09-X").replace("operator.age", "nope"), "b.yaml"
    )
    with pytest.raises(RuleFileError):
        Ruleset.load(tmp_path)


def test_version_is_a_content_hash(tmp_path: Path) -> None:
    write_rules(tmp_path, GOOD)
    first = ruleset_version(tmp_path)
    assert ruleset_version(tmp_path) == first
    write_rules(tmp_path, GOOD.replace("< 16", "< 17"))
    assert ruleset_version(tmp_path) != first
