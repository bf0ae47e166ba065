"""Decision tables: rows on one numeric fact, checked for gaps and overlaps, run as rules."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from approval.engine import facts as fact_schema
from approval.engine.language import RuleFileError, conditions_of, parse_rule_file
from approval.engine.ruleset import Ruleset
from approval.engine.tables import TableRowRule
from approval.rules.cases import load_cases, run_cases
from approval.rules.explain import explain, render_text
from approval.settings import PROJECT_ROOT
from tests.engine.conftest import write_rules

FACE_TABLE = """\
tables:
  - id: T06-FACE-SCORE
    title: 人脸比对得分分档
    input: identity.face_match_score
    when:
      - identity.liveness_passed == true
    hit: {hit}
    rows:
      - band: "< 0.6"
        id: R06-FACE-MISMATCH
        title: 人脸比对不一致
        outcome: manual_review
        reason: {{code: FACE_MISMATCH, text: 人脸比对不一致。, basis: 细则第十六条}}
      - band: "{second}"
        outcome: manual_review
        reason: {{code: FACE_UNCERTAIN, text: 人脸比对不够明确。, basis: 细则第十六条}}
      - band: "{third}"
        outcome: approve
"""

AGE_TABLE = """\
tables:
  - id: T08-AGE
    title: 经营者年龄分档
    input: operator.age
    hit: {hit}
    rows:
      - {{band: "< 16", outcome: reject, reason: {{code: U16, text: 未满16周岁, basis: BASIS}}}}
      - {{band: "< 18", outcome: manual_review, reason: {{code: U18, text: 未满18, basis: BASIS}}}}
      - {{band: ">= 18", outcome: approve}}
""".replace("BASIS", "《民法典》第十八条")


def _face(hit: str = "unique", second: str = ">= 0.6 and < 0.8", third: str = ">= 0.8") -> str:
    return FACE_TABLE.format(hit=hit, second=second, third=third)


def _parse(tmp_path: Path, text: str) -> list[Any]:
    path = tmp_path / "table.yaml"
    path.write_text(text, encoding="utf-8")
    return parse_rule_file(path)


def _refused(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(RuleFileError) as refused:
        _parse(tmp_path, text)
    return [str(p) for p in refused.value.problems]


@pytest.fixture
def face_ruleset(tmp_path: Path) -> Iterator[Ruleset]:
    ruleset = Ruleset.load(write_rules(tmp_path / "rules", _face()))
    yield ruleset
    ruleset.close()


def test_each_row_but_approve_becomes_a_rule_with_the_tables_conditions(tmp_path: Path) -> None:
    rules = _parse(tmp_path, _face())
    assert [r.id for r in rules] == ["R06-FACE-MISMATCH", "T06-FACE-SCORE-2"]
    mismatch, uncertain = rules
    assert isinstance(uncertain, TableRowRule)
    assert (uncertain.row, uncertain.table.id, uncertain.outcome.value) == (
        2,
        "T06-FACE-SCORE",
        "manual_review",
    )
    assert mismatch.title == "人脸比对不一致"
    assert uncertain.title == "人脸比对得分分档（≥0.6 且 <0.8）"
    assert [c.source for c in conditions_of(uncertain.when)] == [
        "identity.liveness_passed == true",
        "identity.face_match_score >= 0.6",
        "identity.face_match_score < 0.8",
    ]
    # the rule stands at its row; the band's conditions at the band's line
    assert (uncertain.location.line, conditions_of(uncertain.when)[1].location.line) == (14, 14)
    assert [(r.number, r.band, r.outcome, r.rule_id) for r in uncertain.table.rows] == [
        (1, "<0.6", "manual_review", "R06-FACE-MISMATCH"),
        (2, "≥0.6 且 <0.8", "manual_review", "T06-FACE-SCORE-2"),
        (3, "≥0.8", "approve", None),
    ]


def test_a_file_may_hold_rules_and_tables(tmp_path: Path) -> None:
    rule = """\
rules:
  - id: R04-FOREIGN
    title: 外国人
    when: [operator.is_foreign == true]
    outcome: reject
    reason: {code: FOREIGN, text: 外国人不能登记。, basis: 条例第二条}
"""
    rules = _parse(tmp_path, rule + _face())
    assert [r.id for r in rules] == ["R04-FOREIGN", "R06-FACE-MISMATCH", "T06-FACE-SCORE-2"]


@pytest.mark.parametrize(
    ("score", "liveness", "fired", "decision"),
    [
        (0.41, True, ["R06-FACE-MISMATCH"], "manual_review"),
        (0.6, True, ["T06-FACE-SCORE-2"], "manual_review"),
        (0.7999, True, ["T06-FACE-SCORE-2"], "manual_review"),
        (0.8, True, [], "approve"),
        (0.41, False, [], "approve"),  # the table applies only when its when holds
    ],
)
def test_the_compiled_table_decides_by_its_rows(
    face_ruleset: Ruleset,
    baseline_facts: dict[str, Any],
    score: float,
    liveness: bool,
    fired: list[str],
    decision: str,
) -> None:
    facts = {
        **baseline_facts,
        "identity.face_match_score": score,
        "identity.liveness_passed": liveness,
    }
    assert [r.id for r in face_ruleset.fired(facts)] == fired
    assert explain(face_ruleset.rules, facts)["decision"] == decision


@given(age=st.integers(min_value=0, max_value=150))
@settings(max_examples=60, deadline=None)
def test_under_first_only_the_first_matching_row_fires(
    age_first: Ruleset, baseline_facts: dict[str, Any], age: int
) -> None:
    facts = {**baseline_facts, "operator.age": age}
    expected = ["T08-AGE-1"] if age < 16 else ["T08-AGE-2"] if age < 18 else []
    assert [r.id for r in age_first.fired(facts)] == expected
    table = age_first.rules[0].table  # type: ignore[attr-defined]
    row = table.row_for(age)
    assert row is not None
    assert ([row.rule_id] if row.rule_id else []) == expected


@pytest.fixture(scope="module")
def age_first(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ruleset]:
    ruleset = Ruleset.load(
        write_rules(tmp_path_factory.mktemp("age"), AGE_TABLE.format(hit="first"))
    )
    yield ruleset
    ruleset.close()


def test_under_first_a_row_carries_the_negation_of_the_rows_before(tmp_path: Path) -> None:
    rules = _parse(tmp_path, AGE_TABLE.format(hit="first"))
    assert [c.source for c in conditions_of(rules[1].when)] == [
        "operator.age < 18",
        "operator.age >= 16",
    ]
    two_sided = _parse(tmp_path, _face(hit="first", second="< 0.8", third=">= 0.5"))
    # row 3 approves: only row 2 has a rule, and it is not row 1
    assert [c.source for c in conditions_of(two_sided[1].when)] == [
        "identity.liveness_passed == true",
        "identity.face_match_score < 0.8",
        "identity.face_match_score >= 0.6",
    ]


def test_overlapping_rows_under_unique_are_refused_naming_both(tmp_path: Path) -> None:
    problems = _refused(tmp_path, AGE_TABLE.format(hit="unique"))
    assert problems == [
        "table.yaml:8:9: 表 T08-AGE 的第1行（table.yaml:7）与第2行（table.yaml:8）"
        "的区间在 0 至 15 重叠；"
        "hit: unique 要求各行区间互不重叠：请改正区间，或写 hit: first 让靠前的行优先"
    ]


def test_a_gap_between_bands_is_refused_naming_the_rows_around_it(tmp_path: Path) -> None:
    problems = _refused(tmp_path, _face(second=">= 0.65 and < 0.8"))
    assert len(problems) == 1
    assert problems[0].startswith(
        "table.yaml:14:9: 表 T06-FACE-SCORE 没有覆盖 identity.face_match_score"
    )
    assert (
        "取值 ≥0.6 且 <0.65（在第1行（table.yaml:9）与第2行（table.yaml:14）之间）" in problems[0]
    )
    assert "直接批准" in problems[0]


def test_a_gap_at_a_single_value_and_at_the_ends(tmp_path: Path) -> None:
    # "< 0.6" and "> 0.6" leave 0.6 itself; an integer band leaves whole ages
    point = _refused(tmp_path, _face(second="> 0.6 and < 0.8"))
    assert "取值 0.6（在第1行（table.yaml:9）与第2行（table.yaml:14）之间）" in point[0]
    top = _refused(tmp_path, _face(third=">= 0.9"))
    assert "取值 ≥0.8 且 <0.9（在第2行（table.yaml:14）与第3行（table.yaml:17）之间）" in top[0]
    ages = (
        AGE_TABLE.format(hit="unique")
        .replace('"< 16"', '">= 3 and < 16"')
        .replace('"< 18"', '">= 16 and < 18"')
        .replace('">= 18"', '">= 19"')
    )
    problems = _refused(tmp_path, ages)
    assert "取值 0 至 2（在第1行（table.yaml:7）之前）" in problems[0]
    assert "取值 18（在第2行（table.yaml:8）与第3行（table.yaml:9）之间）" in problems[1]


def test_complete_false_allows_a_gap(tmp_path: Path) -> None:
    text = _face(second=">= 0.65 and < 0.8").replace("    rows:", "    complete: false\n    rows:")
    assert [r.id for r in _parse(tmp_path, text)] == ["R06-FACE-MISMATCH", "T06-FACE-SCORE-2"]


class _Ranged:
    """A fact spec with a value range, as the schema declares them once ranges land."""

    def __init__(self, spec: Any, minimum: float, maximum: float) -> None:
        self._spec, self.minimum, self.maximum = spec, minimum, maximum

    def __getattr__(self, name: str) -> Any:
        return getattr(self._spec, name)


def test_bands_are_checked_against_the_facts_range(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = "identity.face_match_score"
    monkeypatch.setitem(fact_schema.FACTS, name, _Ranged(fact_schema.FACTS[name], 0, 1))
    ok = _face(third=">= 0.8 and <= 1")
    assert len(_parse(tmp_path, ok)) == 2
    short = _refused(tmp_path, _face(third=">= 0.8 and < 1"))
    assert "取值 1（在第3行（table.yaml:17）之后）" in short[0]
    outside = _face().replace('      - band: ">= 0.8"', '      - band: "> 1.5"')
    problems = _refused(tmp_path, outside)
    assert any("第3行的区间 >1.5 中没有 identity.face_match_score" in p for p in problems)


def test_a_row_under_first_that_can_never_hit_is_refused(tmp_path: Path) -> None:
    problems = _refused(tmp_path, _face(hit="first", second="< 0.5", third=">= 0"))
    assert any("第2行（table.yaml:14）永远不会命中" in p for p in problems)


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ('"< 0.6"', '"under 0.6"', "看不懂区间 'under 0.6'"),
        ('"< 0.6"', '"> 0.1 and > 0.2"', "最多有一个下限和一个上限"),
        (
            "input: identity.face_match_score",
            "input: identity.face_match_scor",
            "是否想写 'identity.face_match_score'",
        ),
        (
            "input: identity.face_match_score",
            "input: identity.liveness_passed",
            "表只能按数值事实分档",
        ),
        ("hit: unique", "hit: any", "未知的命中规则 hit: any"),
        (
            "        id: R06-FACE-MISMATCH\n",
            "        id: R06-FACE-MISMATCH\n        owner: 王芳\n",
            "表的行中未知的键 'owner'",
        ),
        (
            "outcome: approve",
            "outcome: approve\n        reason: {code: X1, text: x, basis: y}",
            "批准行不产生规则，不写 reason",
        ),
        ("outcome: manual_review", "outcome: reviewing", "table.yaml:12:18: "),
        ("code: FACE_MISMATCH, ", "", "table.yaml:13:17: "),
    ],
)
def test_table_mistakes_are_refused_at_their_line(
    tmp_path: Path, old: str, new: str, says: str
) -> None:
    text = _face()
    assert old in text
    problems = _refused(tmp_path, text.replace(old, new, 1))
    assert any(says in p for p in problems), problems


def test_an_integer_band_must_use_whole_numbers_pointing_at_the_limit(tmp_path: Path) -> None:
    text = AGE_TABLE.format(hit="first").replace('"< 18"', '">= 16 and < 17.5"')
    assert _refused(tmp_path, text) == [
        "table.yaml:8:27: operator.age 是整数（int），却与 17.5 比较"
        "（文字要加引号，数字和 true/false 不加）"
    ]


def test_row_ids_are_unique_across_the_folder(tmp_path: Path) -> None:
    folder = write_rules(tmp_path / "rules", _face())
    (folder / "other.yaml").write_text(
        _face().replace("T06-FACE-SCORE", "T07-FACE"), encoding="utf-8"
    )
    with pytest.raises(RuleFileError) as refused:
        Ruleset.load(folder)
    assert "规则 id R06-FACE-MISMATCH 重复" in str(refused.value)


def test_the_shipped_face_bands_as_a_table_pass_every_shipped_case(tmp_path: Path) -> None:
    """R06's two face-score rules written as one table decide every case as before."""
    rules = tmp_path / "rules"
    shutil.copytree(PROJECT_ROOT / "rules", rules)
    identity = (rules / "identity.yaml").read_text(encoding="utf-8")
    start = identity.index("  - id: R06-FACE-MISMATCH")
    end = identity.index("  - id: R08-UNDER-16")
    mismatch_text = identity[
        identity.index("text:", start) + 6 : identity.index("\n", identity.index("text:", start))
    ]
    table = f"""\
tables:
  - id: T06-FACE-SCORE
    title: 人脸比对得分分档
    input: identity.face_match_score
    when:
      - identity.liveness_passed == true
    hit: unique
    complete: true
    rows:
      - band: "< 0.6"
        id: R06-FACE-MISMATCH
        title: 人脸比对不一致
        outcome: manual_review
        reason:
          code: FACE_MISMATCH
          text: {mismatch_text}
          basis: 《市场主体登记管理条例实施细则》第十六条
      - band: ">= 0.6 and < 0.8"
        id: R06-FACE-UNCERTAIN
        title: 人脸比对得分偏低
        outcome: manual_review
        reason:
          code: FACE_UNCERTAIN
          text: 人脸比对结果不够明确，转由工作人员核验身份。
          basis: 《市场主体登记管理条例实施细则》第十六条
      - band: ">= 0.8"
        outcome: approve
"""
    (rules / "identity.yaml").write_text(
        identity[:start] + identity[end:] + table, encoding="utf-8"
    )
    shipped, converted = Ruleset.load(PROJECT_ROOT / "rules"), Ruleset.load(rules)
    try:
        assert sorted(converted.by_id) == sorted(shipped.by_id)
        for rule_id in ("R06-FACE-MISMATCH", "R06-FACE-UNCERTAIN"):
            assert converted.by_id[rule_id].reason == shipped.by_id[rule_id].reason
        baseline, cases = load_cases(rules / "tests")
        report = run_cases(converted, baseline, cases)
        assert report.failed == []
        assert len(report.results) == len(cases)
    finally:
        shipped.close()
        converted.close()


def test_a_table_rule_explains_itself_as_the_tables_rows(
    face_ruleset: Ruleset, baseline_facts: dict[str, Any]
) -> None:
    facts = {**baseline_facts, "identity.face_match_score": 0.72}
    report = explain(face_ruleset.rules, facts)
    uncertain = next(r for r in report["rules"] if r["rule_id"] == "T06-FACE-SCORE-2")
    assert uncertain["row"] == 2
    assert uncertain["table"]["matched_row"] == 2
    assert uncertain["table"]["description"] == "人脸比对得分 0–1"
    assert [r["band"] for r in uncertain["table"]["rows"]] == ["<0.6", "≥0.6 且 <0.8", "≥0.8"]
    lines = render_text(uncertain)
    assert (
        lines[0]
        == "已触发 T06-FACE-SCORE-2 [转人工] 人脸比对得分分档（≥0.6 且 <0.8） (rules/rules.yaml:14)"
    )
    assert "    表 T06-FACE-SCORE 第2行 ≥0.6 且 <0.8 ← 0.72" in lines
    assert "      ▶ 第2行 ≥0.6 且 <0.8 → 转人工 T06-FACE-SCORE-2  ← 0.72" in lines
    assert "        第3行 ≥0.8         → 批准" in lines
    mismatch = next(r for r in report["rules"] if r["rule_id"] == "R06-FACE-MISMATCH")
    shown = render_text(mismatch)
    assert "    表 T06-FACE-SCORE 第1行 <0.6；申请落在第2行 ≥0.6 且 <0.8 ← 0.72" in shown
    assert any(
        line.startswith("    未触发原因: 人脸比对得分 0–1 identity.face_match_score < 0.6")
        for line in shown
    )


def test_explaining_a_table_by_its_id_shows_each_rule_of_its_rows(
    face_ruleset: Ruleset, baseline_facts: dict[str, Any]
) -> None:
    only = explain(face_ruleset.rules, baseline_facts, "T06-FACE-SCORE")
    assert [r["rule_id"] for r in only["rules"]] == ["R06-FACE-MISMATCH", "T06-FACE-SCORE-2"]
    assert {r["table"]["matched_row"] for r in only["rules"]} == {3}


def test_hostile_tables_are_refused_quickly(tmp_path: Path) -> None:
    rows = "".join(f'      - {{band: "== {n}", outcome: approve}}\n' for n in range(201))
    huge = AGE_TABLE.format(hit="first").split("    rows:\n")[0] + "    rows:\n" + rows
    assert any("一张表至多 200 行" in p for p in _refused(tmp_path, huge))
    overflow = _face().replace('"< 0.6"', '"< 1' + "0" * 400 + '"')
    assert any("看不懂区间" in p for p in _refused(tmp_path, overflow))
    twice = _face() + _face().split("tables:\n")[1].replace("R06-FACE-MISMATCH", "R06-OTHER")
    assert any("表 id T06-FACE-SCORE 重复" in p for p in _refused(tmp_path, twice))
