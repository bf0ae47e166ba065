"""Reason texts with placeholders: read once when the rules are loaded, filled from the facts,
refused with file, line and column when they name no fact or are malformed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from approval.decisions.service import decide
from approval.engine.facts import FACTS
from approval.engine.language import RuleFileError, parse_rules_dir
from approval.engine.ruleset import Ruleset
from approval.engine.templates import Placeholder, TemplateError, parse_template
from tests.engine.conftest import write_rules

RULE = """rules:
  - id: R08-UNDER-16
    title: 未满16周岁
    when:
      - operator.age < 16
    outcome: reject
    reason:
      code: OPERATOR_UNDER_16
      text: TEXT
      basis: 民法典第十七条
"""


def _rule_with(tmp_path: Path, text: str) -> Path:
    return write_rules(tmp_path, RULE.replace("TEXT", text))


def _problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(RuleFileError) as caught:
        parse_rules_dir(_rule_with(tmp_path, text))
    return [str(p) for p in caught.value.problems]


def test_a_placeholder_is_filled_from_the_facts(tmp_path: Path) -> None:
    (rule,) = parse_rules_dir(
        _rule_with(tmp_path, "经营者{operator.age}周岁，名称含{name.prohibited_words}。")
    )
    facts = {"operator.age": 15, "name.prohibited_words": ["毛泽东", "雷锋"]}
    assert rule.reason.render(facts) == "经营者15周岁，名称含毛泽东、雷锋。"
    assert rule.reason.text == "经营者{operator.age}周岁，名称含{name.prohibited_words}。"


def test_values_are_shown_by_their_type() -> None:
    assert FACTS["identity.face_match_score"].as_text(0.41) == "0.41"
    assert FACTS["identity.face_match_score"].as_text(1.0) == "1"
    assert FACTS["identity.liveness_passed"].as_text(False) == "否"
    assert FACTS["registries.realestate.registered_use"].as_text("住宅") == "住宅"
    assert FACTS["scope.unknown_entries"].as_text([]) == ""


def test_double_braces_write_a_brace() -> None:
    template = parse_template("{{字号}}：{name.org_form}")
    assert template.segments == ("{字号}：", Placeholder("name.org_form", 7))
    assert template.render(lambda fact: "公司") == "{字号}：公司"


@given(
    before=st.text(alphabet=st.characters(blacklist_characters="{}")),
    value=st.text(),
)
def test_a_value_is_inserted_as_it_is_and_never_read_again(before: str, value: str) -> None:
    # an applicant's scope entry may hold braces: it is text, not a placeholder
    template = parse_template(before + "{scope.unknown_entries}")
    assert template.render(lambda fact: value) == before + value


@given(st.text())
def test_reading_any_text_either_succeeds_or_names_where_it_fails(text: str) -> None:
    problems: list[tuple[int, str]] = []
    try:
        template = parse_template(text)
    except TemplateError as exc:
        problems = exc.problems
    if problems:
        assert all(0 <= offset < len(text) for offset, _ in problems)
    elif not template.placeholders:
        assert template.render(lambda fact: "") == text.replace("{{", "{").replace("}}", "}")


def test_an_unknown_placeholder_is_refused_with_line_column_and_suggestion(
    tmp_path: Path,
) -> None:
    problems = _problems(tmp_path, "名称含{name.prohibited_word}，请更换。")
    assert problems == [
        f"{tmp_path.name}/rules.yaml:9:16: 原因文字：不认识的事实 'name.prohibited_word'"
        "（{name.prohibited_word}）；是不是要写 'name.prohibited_words'？"
    ]


def test_a_retired_fact_is_no_placeholder(tmp_path: Path) -> None:
    (problem,) = _problems(tmp_path, "校验{operator.id_check_ok}")
    assert "不认识的事实 'operator.id_check_ok'" in problem


@pytest.mark.parametrize(
    ("text", "column", "says"),
    [
        ("经营者{operator.age周岁", 16, "'{' 没有闭合"),
        ("经营者{operator.age{name.org_form}", 16, "'{' 没有闭合"),
        ("经营者{}周岁", 16, "占位符 '{}' 是空的"),
        ("经营者{ }周岁", 16, "占位符 '{}' 是空的"),
        ("经营者}周岁", 16, "'}' 没有对应的 '{'"),
        ("经营者{年 龄}周岁", 16, "'{年 龄}' 不是事实名"),
        # quoted: the column counts the quote
        ('"经营者{}周岁"', 17, "占位符 '{}' 是空的"),
    ],
)
def test_a_malformed_placeholder_is_refused_where_it_stands(
    tmp_path: Path, text: str, column: int, says: str
) -> None:
    (problem,) = _problems(tmp_path, text)
    assert problem.startswith(f"{tmp_path.name}/rules.yaml:9:{column}: 原因文字：")
    assert says in problem


def test_a_text_on_several_lines_is_refused_at_its_start(tmp_path: Path) -> None:
    text = ">-\n        经营者{operator.agee}\n        周岁"
    (problem,) = _problems(tmp_path, text)
    assert problem.startswith(f"{tmp_path.name}/rules.yaml:9:13: ")
    assert "是不是要写 'operator.age'" in problem


def test_every_problem_of_a_text_is_told_at_once(tmp_path: Path) -> None:
    malformed = _problems(tmp_path, "x{}y}z{")
    assert [p.split(": 原因文字：")[0][-2:] for p in malformed] == ["14", "17", "19"]
    unknown = _problems(tmp_path, "x{operator.agee}{name.org_frm}")
    assert ["operator.agee" in unknown[0], "name.org_frm" in unknown[1]] == [True, True]


def test_a_text_starting_with_a_placeholder_must_be_quoted(tmp_path: Path) -> None:
    (whole,) = _problems(tmp_path, "{operator.age}")
    assert whole.startswith(f"{tmp_path.name}/rules.yaml:9:13: ")
    assert "会被YAML当作键值对" in whole
    assert 'text: "{operator.age}' in whole
    (started,) = _problems(tmp_path, "{operator.age}周岁")
    assert started.startswith(f"{tmp_path.name}/rules.yaml:9:")
    assert "缩进不对" in started
    assert "文字要加引号" in started
    (rule,) = parse_rules_dir(_rule_with(tmp_path, '"{operator.age}周岁"'))
    assert rule.reason.render({"operator.age": 15}) == "15周岁"


def test_a_rule_cannot_compare_a_fact_made_for_reason_texts(tmp_path: Path) -> None:
    text = RULE.replace("operator.age < 16", 'name.org_form == "公司"').replace("TEXT", "x")
    with pytest.raises(RuleFileError) as caught:
        parse_rules_dir(write_rules(tmp_path, text))
    (problem,) = [str(p) for p in caught.value.problems]
    assert problem == (
        f"{tmp_path.name}/rules.yaml:5:9: 'name.org_form' 只用于原因文字"
        "（{name.org_form}），规则不能拿它作比较"
    )


def test_facts_for_reason_texts_never_reach_the_engine(
    shipped_ruleset: Ruleset, baseline_facts: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled = shipped_ruleset._compiled
    seen: list[dict[str, Any]] = []
    assert_fact = compiled._host.assert_fact

    def spy(name: str, fact: dict[str, Any]) -> Any:
        seen.append(fact)
        return assert_fact(name, fact)

    monkeypatch.setattr(compiled._host, "assert_fact", spy)
    hostile = {**baseline_facts, "scope.unknown_entries": ['"}\\u0000{', "x" * 500]}
    assert shipped_ruleset.fired(hostile) == []
    (fact,) = seen
    handed = set(_dotted(fact)) - {"t", "sid"}
    assert handed == {name for name, spec in FACTS.items() if not spec.reason_only}


def _dotted(nested: dict[str, Any], prefix: str = "") -> list[str]:
    names = []
    for key, value in nested.items():
        if isinstance(value, dict):
            names += _dotted(value, f"{prefix}{key}.")
        else:
            names.append(prefix + key)
    return names


def test_facts_stored_before_a_reason_fact_existed_still_decide_and_explain(
    shipped_ruleset: Ruleset, baseline_facts: dict[str, Any]
) -> None:
    old = {name: value for name, value in baseline_facts.items() if not FACTS[name].reason_only}
    old["operator.age"] = 15
    decision = decide(shipped_ruleset, old)
    (reason,) = [r for r in decision.reasons() if r["rule_id"] == "R08-UNDER-16"]
    assert reason["text"].startswith("经营者15周岁")
    old["scope.unknown_count"] = 1
    decision = decide(shipped_ruleset, old)
    (reason,) = [r for r in decision.reasons() if r["rule_id"] == "R26-SCOPE-NOT-IN-CATALOG"]
    # the value was never recorded: its meaning stands in
    assert f"〔{FACTS['scope.unknown_entries'].description}〕" in reason["text"]
    assert [t.rule.id for t in shipped_ruleset.explain(old) if t.fired] == [
        r.id for r in decision.fired
    ]
