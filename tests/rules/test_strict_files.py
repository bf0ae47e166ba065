"""Silent file mistakes are refused: duplicated keys, unread files, placeholder bases, reused
reason codes; and what is refused is said in zh-CN at the right line."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from approval.catalog.items import load_catalog
from approval.engine.language import RuleFileError, parse_rules_dir
from approval.kernel.rule_data import RuleDataError
from approval.kernel.yaml_strict import YamlRefused, compose_strict, load_strict
from approval.names.analysis import load_name_lexicon
from approval.rules.cases import load_cases
from approval.settings import PROJECT_ROOT
from tests.engine.conftest import write_rules

runner = CliRunner()

GOOD = """rules:
  - id: R08-UNDER-16
    title: 未满16周岁
    when:
      - operator.age < 16
    outcome: reject
    reason: {code: AGE, text: 太小, basis: 《民法典》第十七条}
"""


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def _check(rules_dir: Path) -> tuple[int, str]:
    from approval.cli import app

    result = runner.invoke(app, ["rules", "check", "--path", str(rules_dir)])
    return result.exit_code, result.output


def _problems(tmp_path: Path, text: str) -> list[str]:
    write_rules(tmp_path, text)
    with pytest.raises(RuleFileError) as caught:
        parse_rules_dir(tmp_path)
    return [str(p) for p in caught.value.problems]


# ---------------------------------------------------------------- duplicated keys


def test_a_duplicated_outcome_refuses_the_rule_file_instead_of_reviewing_a_15_year_old(
    rules_copy: Path,
) -> None:
    identity = rules_copy / "identity.yaml"
    written = "    outcome: reject\n    reason:\n      code: OPERATOR_UNDER_16"
    first = _line_of(identity, "- operator.age < 16") + 1
    _edit(identity, written, written.replace("reject\n", "reject\n    outcome: manual_review\n"))
    code, output = _check(rules_copy)
    assert code == 2
    second = first + 1
    assert f"rules/identity.yaml:{second}:5: 键 outcome 重复：第{first}行和第{second}行" in output


def test_every_duplicated_key_is_told_with_both_lines() -> None:
    with pytest.raises(YamlRefused) as caught:
        compose_strict("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n")
    assert [(p.line, p.message.split("（")[0]) for p in caught.value.problems] == [
        (4, "键 c 重复：第3行和第4行"),
        (5, "键 a 重复：第1行和第5行"),
    ]


def test_duplicated_keys_in_cases_word_lists_and_catalogue_are_refused(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(PROJECT_ROOT / "rules", rules)
    cases = rules / "tests" / "cases.yaml"
    liveness = "{rule: R06-LIVENESS-FAILED, fires: true,"
    _edit(cases, liveness, liveness + " fires: false,")
    with pytest.raises(RuleDataError, match="键 fires 重复"):
        load_cases(rules / "tests")

    words = rules / "words" / "prohibited.yaml"
    listed = "    words: [支那, 黑太阳, 大地主]\n"
    _edit(words, listed, listed + "    words: [支那]\n")
    line = _line_of(words, "words: [支那, 黑太阳")
    with pytest.raises(RuleDataError) as refused:
        load_name_lexicon(rules / "words")
    assert refused.value.problems[0].line == line + 1
    assert f"键 words 重复：第{line}行和第{line + 1}行" in str(refused.value)

    items = rules / "catalog" / "items" / "market.yaml"
    _edit(items, "    kind: registration\n", "    kind: registration\n    kind: registration\n")
    with pytest.raises(RuleDataError, match="键 kind 重复"):
        load_catalog(rules / "catalog")


# ---------------------------------------------------------------- files no loader reads


@pytest.mark.parametrize("name", ["extra/age.yaml", "identity.yml", "words/extra.yaml"])
def test_a_yaml_file_no_loader_reads_is_refused_by_name(tmp_path: Path, name: str) -> None:
    write_rules(tmp_path, GOOD)
    stray = tmp_path / name
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_text(GOOD.replace("R08-UNDER-16", "R99-EXTRA"), encoding="utf-8")
    problems = _problems(tmp_path, GOOD)
    assert len(problems) == 1
    assert problems[0].startswith(f"{tmp_path.name}/{name}:1:1: 这个文件不会被读取")


def test_check_refuses_a_rule_file_in_a_subfolder(rules_copy: Path) -> None:
    (rules_copy / "extra").mkdir()
    shutil.copy(rules_copy / "identity.yaml", rules_copy / "extra" / "age.yaml")
    code, output = _check(rules_copy)
    assert code == 2
    assert "rules/extra/age.yaml:1:1: 这个文件不会被读取" in output


# ---------------------------------------------------------------- bases and reason codes


@pytest.mark.parametrize("basis", ["TODO", "待定", "待补充", "xxx", "-", "?", "TBD 第三条", "民法"])
def test_a_placeholder_basis_is_refused(tmp_path: Path, basis: str) -> None:
    (problem,) = _problems(tmp_path, GOOD.replace("《民法典》第十七条", f'"{basis}"'))
    assert ":7:" in problem
    assert "只是占位：请写明所依据的法规和条款" in problem


def test_a_reason_code_used_by_two_rules_is_refused_naming_both(tmp_path: Path) -> None:
    second = GOOD.replace("rules:\n", "").replace("R08-UNDER-16", "R09-OTHER")
    (problem,) = _problems(tmp_path, GOOD + second)
    assert problem.startswith(f"{tmp_path.name}/rules.yaml:8:5: 原因代码 AGE 重复")
    assert f"R08-UNDER-16（{tmp_path.name}/rules.yaml:2:5）" in problem
    assert f"R09-OTHER（{tmp_path.name}/rules.yaml:8:5）" in problem


# ---------------------------------------------------------------- messages staff can act on


@pytest.mark.parametrize(
    ("condition", "says"),
    [
        ("operator.age <> 16", "不等于请写 !=，即 operator.age != 16"),
        ("operator.age => 16", "大于等于请写 >=，即 operator.age >= 16"),
        ("operator.age =< 16", "小于等于请写 <=，即 operator.age <= 16"),
        ("operator.age = 16", "等于请写 ==，即 operator.age == 16"),
    ],
)
def test_an_unknown_operator_lists_the_valid_ones_and_suggests_one(
    tmp_path: Path, condition: str, says: str
) -> None:
    (problem,) = _problems(tmp_path, GOOD.replace("operator.age < 16", condition))
    assert problem.startswith(f"{tmp_path.name}/rules.yaml:5:9: 不认识运算符")
    assert "可用的运算符有 ==、!=、<、<=、>、>=、in、not in" in problem
    assert says in problem


def test_an_unclosed_quote_is_told_where_it_opens(tmp_path: Path) -> None:
    at_end = GOOD.replace("title: 未满16周岁", 'title: "未满16周岁')
    (problem,) = _problems(
        tmp_path, at_end.replace("{code: AGE, text: 太小", "{code: AGE, text: 太小")
    )
    assert problem.startswith(f"{tmp_path.name}/rules.yaml:3:12: 引号")
    assert '（第3行：title: "未满16周岁）' in problem
    closed_later = GOOD.replace("title: 未满16周岁", 'title: "未满16周岁').replace(
        "text: 太小", 'text: "太小"'
    )
    (problem,) = _problems(tmp_path, closed_later)
    assert problem.startswith(f"{tmp_path.name}/rules.yaml:3:12: 引号可能没有闭合")


@pytest.mark.parametrize(
    ("old", "new", "line", "says"),
    [
        ("    title: 未满16周岁", "\ttitle: 未满16周岁", 3, "制表符（Tab）"),
        ("title: 未满16周岁", "title: 未满16周岁: 经营者", 3, "冒号加空格"),
        ("    outcome: reject", "   outcome: reject", 6, "缩进不对"),
        ("title: 未满16周岁", "title: [未满16周岁", 3, "方括号 [ 没有闭合"),
    ],
)
def test_yaml_errors_are_said_in_plain_words_at_their_line(
    tmp_path: Path, old: str, new: str, line: int, says: str
) -> None:
    (problem,) = _problems(tmp_path, GOOD.replace(old, new))
    assert problem.startswith(f"{tmp_path.name}/rules.yaml:{line}:")
    assert says in problem
    assert f"（第{line}行：" in problem


# ---------------------------------------------------------------- rule metadata


def test_owner_source_and_review_date_are_carried_on_the_rule(tmp_path: Path) -> None:
    text = GOOD.replace(
        "    outcome: reject\n",
        "    outcome: reject\n    owner: 登记注册科\n"
        "    source: 《促进个体工商户发展条例》第十条\n    review_by: 2027-06-30\n",
    )
    (rule,) = parse_rules_dir(write_rules(tmp_path, text))
    assert rule.meta.owner == "登记注册科"
    assert rule.meta.source == "《促进个体工商户发展条例》第十条"
    assert rule.meta.review_by == dt.date(2027, 6, 30)
    assert rule.meta.review_by_line == 9
    (plain,) = parse_rules_dir(write_rules(tmp_path, GOOD))
    assert plain.meta.owner is None


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("review_by: 2027-02-30", "review_by 是复核日期，写作 YYYY-MM-DD"),
        ("review_by: 明年", "review_by 是复核日期"),
        ("source: https://exa mple.org/law", "source 若写链接"),
        ("owner: ''", "owner 要写成一段不为空的文字"),
        ("effective_from: 2027-01-01", "effective_from 不写在规则里"),
    ],
)
def test_bad_metadata_is_refused(tmp_path: Path, line: str, says: str) -> None:
    text = GOOD.replace("    outcome: reject\n", f"    outcome: reject\n    {line}\n")
    (problem,) = _problems(tmp_path, text)
    assert problem.startswith(f"{tmp_path.name}/rules.yaml:7:")
    assert says in problem


def test_rules_list_shows_owner_and_review_date(rules_copy: Path) -> None:
    from approval.cli import app

    result = runner.invoke(app, ["rules", "list", "--path", str(rules_copy)])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("R08-UNDER-16 "))
    assert "reject" in line
    assert "负责：登记注册科" in line
    assert "复核日期：20" in line


def test_rules_test_names_a_failing_case_by_file_and_line(rules_copy: Path) -> None:
    from approval.cli import app

    cases = rules_copy / "tests" / "cases.yaml"
    line = _line_of(cases, "{rule: R08-UNDER-16, fires: true")
    _edit(rules_copy / "identity.yaml", "operator.age < 16", "operator.age < 15")
    result = runner.invoke(app, ["rules", "test", "--path", str(rules_copy)])
    assert result.exit_code == 1
    assert f"失败 rules/tests/cases.yaml:{line}（用例 " in result.output
    baseline, loaded = load_cases(rules_copy / "tests")
    assert (loaded[0].file, loaded[0].line) == ("rules/tests/cases.yaml", 3)


# ---------------------------------------------------------------- the strict reader, for any text


@given(st.lists(st.tuples(st.sampled_from("abcde"), st.integers(0, 9)), min_size=1, max_size=8))
def test_a_mapping_is_refused_exactly_when_a_key_repeats(pairs: list[tuple[str, int]]) -> None:
    text = "".join(f"{key}: {value}\n" for key, value in pairs)
    keys = [key for key, _ in pairs]
    if len(set(keys)) == len(keys):
        data, _ = load_strict(text)
        assert data == yaml.safe_load(text)
    else:
        with pytest.raises(YamlRefused) as caught:
            load_strict(text)
        assert len(caught.value.problems) == len(keys) - len(set(keys))


@given(st.text(alphabet=st.sampled_from(list("ab:- \n\t\"'[]{}#|>&*!%@`,?")), max_size=60))
def test_any_text_is_read_or_refused_in_words_never_crashes(text: str) -> None:
    try:
        load_strict(text)
    except YamlRefused as refused:
        lines = text.split("\n")
        for problem in refused.problems:
            assert 1 <= problem.line <= len(lines) + 1
            assert problem.message


def test_aliases_that_repeat_a_list_are_refused_before_anything_expands_them() -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"] + [
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(9)
    ]
    with pytest.raises(YamlRefused) as caught:
        compose_strict("\n".join(levels) + "\n")
    assert caught.value.problems[0].line == 1
    assert "不支持锚点和引用" in caught.value.problems[0].message
