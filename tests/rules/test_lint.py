"""The semantic lint: planted mistakes are found, sound rule sets stay quiet."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from approval.engine.language import parse_rules_dir
from approval.names.analysis import load_name_lexicon
from approval.rules import lint as lint_module
from approval.rules.lint import Finding, lint, lint_words
from tests.engine.conftest import RULES_DIR, write_rules


def _rule(rule_id: str, outcome: str, *conditions: str) -> str:
    when = "".join(f"      - {c}\n" for c in conditions)
    return (
        f"  - id: {rule_id}\n    title: t\n    when:\n{when}    outcome: {outcome}\n"
        f"    reason: {{code: C_{rule_id.replace('-', '_')}, text: t, basis: 《某条例》第一条}}\n"
    )


def _lint(tmp_path: Path, *rules: str) -> list[Finding]:
    write_rules(tmp_path, "rules:\n" + "".join(rules))
    return lint(parse_rules_dir(tmp_path))


def test_the_shipped_ruleset_has_no_findings() -> None:
    assert lint(parse_rules_dir(RULES_DIR)) == []


def test_contradictory_conditions_are_unreachable(tmp_path: Path) -> None:
    (found,) = _lint(
        tmp_path, _rule("R-NEVER", "reject", "operator.age < 16", "operator.age >= 18")
    )
    assert found.kind == "unreachable"
    assert found.message.startswith(f"R-NEVER ({tmp_path.name}/rules.yaml:2) 永远不会触发")
    assert (
        "'operator.age < 16'（第5行）和'operator.age >= 18'（第6行）不可能同时成立" in found.message
    )


def test_contradictions_in_every_alternative(tmp_path: Path) -> None:
    text = _rule("R-NEVER", "reject", 'premises.kind == "online"').replace(
        '      - premises.kind == "online"\n',
        '      - premises.kind == "online"\n      - any:\n'
        '          - premises.kind == "physical"\n          - premises.kind != "online"\n',
    )
    (found,) = _lint(tmp_path, text)
    assert found.kind == "unreachable"


def test_narrower_rule_with_the_same_outcome_is_shadowed(tmp_path: Path) -> None:
    found = _lint(
        tmp_path,
        _rule("R-WIDE", "manual_review", "scope.item_count > 5"),
        _rule("R-NARROW", "manual_review", "scope.item_count > 10"),
    )
    assert [(f.kind, f.rule_ids) for f in found] == [("shadowed", ("R-NARROW", "R-WIDE"))]
    assert "R-NARROW (" in found[0].message
    assert "R-WIDE (" in found[0].message
    assert f"{tmp_path.name}/rules.yaml:2" in found[0].message  # both rules' places
    assert f"{tmp_path.name}/rules.yaml:8" in found[0].message


def test_always_true_conditions(tmp_path: Path) -> None:
    found = _lint(
        tmp_path,
        _rule("R-KIND", "flag", 'premises.kind in ["physical", "online"]', "name.present == true"),
        _rule("R-AGE", "reject", "operator.age < 16", "operator.age < 18"),
    )
    assert [(f.kind, f.rule_ids) for f in found] == [
        ("always_true", ("R-KIND",)),
        ("always_true", ("R-AGE",)),
    ]
    assert "无论申请内容如何都成立" in found[0].message
    assert "'operator.age < 18'（第13行） 不起作用" in found[1].message
    assert "它已由 'operator.age < 16'（第12行） 蕴含" in found[1].message


def test_a_rule_firing_on_everything(tmp_path: Path) -> None:
    (found,) = _lint(tmp_path, _rule("R-ALL", "reject", "operator.age >= 16", "operator.age < 16"))
    assert found.kind == "unreachable"
    text = _rule("R-ALL", "reject", "operator.age >= 16").replace(
        "      - operator.age >= 16\n",
        "      - any:\n          - operator.age >= 16\n          - operator.age < 16\n",
    )
    (found,) = _lint(tmp_path, text)
    assert found.kind == "always_true"
    assert "对每一份申请都会触发" in found.message


def test_overlapping_bands_with_conflicting_outcomes(tmp_path: Path) -> None:
    (found,) = _lint(
        tmp_path,
        _rule("R-MISMATCH", "reject", "identity.face_match_score < 0.6"),
        _rule(
            "R-UNCERTAIN",
            "manual_review",
            "identity.face_match_score >= 0.5",
            "identity.face_match_score < 0.8",
        ),
    )
    assert found.kind == "conflict"
    assert found.rule_ids == ("R-MISMATCH", "R-UNCERTAIN")
    assert "为 不小于 0.5 且小于 0.6 时都会触发" in found.message
    assert "'reject' 优先于 'manual_review'" in found.message


def test_overlapping_value_lists_with_conflicting_outcomes(tmp_path: Path) -> None:
    (found,) = _lint(
        tmp_path,
        _rule("R-A", "reject", 'registries.realestate.registered_use in ["住宅", "商住"]'),
        _rule("R-B", "manual_review", 'registries.realestate.registered_use in ["商住", "商业"]'),
    )
    assert found.kind == "conflict"
    assert "为 商住 时" in found.message


def test_a_weaker_rule_inside_a_stronger_one_is_overridden(tmp_path: Path) -> None:
    (found,) = _lint(
        tmp_path,
        _rule("R-MINOR", "reject", "operator.age < 18"),
        _rule("R-EXCEPTION", "manual_review", "operator.age >= 16", "operator.age < 18"),
    )
    assert found.kind == "overridden"
    assert found.rule_ids == ("R-EXCEPTION", "R-MINOR")
    assert "永远不能决定一份申请" in found.message


def test_sound_rule_sets_stay_quiet(tmp_path: Path) -> None:
    found = _lint(
        tmp_path,
        # neighbouring bands that meet without overlapping
        _rule("R-MISMATCH", "reject", "identity.face_match_score < 0.6"),
        _rule(
            "R-UNCERTAIN",
            "manual_review",
            "identity.face_match_score >= 0.6",
            "identity.face_match_score < 0.8",
        ),
        # a reject and a manual review on different facts overlap: reject wins, as designed
        _rule("R-BANNED", "reject", "registries.market.false_registration_ban_active == true"),
        _rule("R-LISTED", "manual_review", "registries.market.serious_dishonesty == true"),
        # a narrow reject inside a wide manual review is an escalation, not a mistake
        _rule("R-MINOR", "manual_review", "operator.age < 18"),
        _rule("R-CHILD", "reject", "operator.age < 16", "operator.is_foreign == false"),
        # the same fact with the same test in two rules of different outcomes
        _rule(
            "R-ONLINE-A", "reject", 'premises.kind == "online"', "commitments.e_commerce == false"
        ),
        _rule("R-ONLINE-B", "approve_with_conditions", 'premises.kind == "online"'),
        # flags never decide, and partial overlaps between a flag and a decision are fine
        _rule("R-FLAG", "flag", "registries.market.revoked_entity_count > 2"),
        _rule("R-MANY", "manual_review", "registries.market.revoked_entity_count > 0"),
    )
    assert found == []


def test_the_readme_lists_every_fact() -> None:
    from approval.rules.cli import facts_table

    readme = (RULES_DIR / "README.md").read_text(encoding="utf-8")
    assert readme.rstrip().endswith(facts_table())


def test_a_gap_between_two_bands_is_an_error_naming_the_interval_and_both_rules(
    tmp_path: Path,
) -> None:
    (found,) = _lint(
        tmp_path,
        _rule("R-MISMATCH", "reject", "identity.face_match_score < 0.6"),
        _rule(
            "R-UNCERTAIN",
            "manual_review",
            "identity.face_match_score >= 0.65",
            "identity.face_match_score < 0.8",
        ),
    )
    assert (found.kind, found.level, found.rule_ids) == (
        "gap",
        "error",
        ("R-MISMATCH", "R-UNCERTAIN"),
    )
    assert (
        "identity.face_match_score）为 0.6（含）至 0.65（不含） 的申请没有规则拦截" in found.message
    )
    assert f"R-MISMATCH ({tmp_path.name}/rules.yaml:2)" in found.message
    assert f"R-UNCERTAIN ({tmp_path.name}/rules.yaml:8)" in found.message


def test_bands_under_the_same_other_conditions_are_compared_too(tmp_path: Path) -> None:
    (found,) = _lint(
        tmp_path,
        _rule("R-A", "manual_review", "identity.liveness_passed == true", "operator.age < 16"),
        _rule(
            "R-B",
            "reject",
            "identity.liveness_passed == true",
            "operator.age >= 18",
            "operator.age < 30",
        ),  # fmt: skip
    )
    assert found.kind == "gap"
    assert "16（含）至 18（不含）" in found.message
    assert "在 identity.liveness_passed == true 时" in found.message


def test_bands_that_meet_or_only_have_the_pass_band_outside_leave_no_gap(tmp_path: Path) -> None:
    assert (
        _lint(
            tmp_path,
            _rule("R-LOW", "reject", "identity.face_match_score < 0.6"),
            _rule(
                "R-MID",
                "manual_review",
                "identity.face_match_score >= 0.6",
                "identity.face_match_score < 0.8",
            ),  # fmt: skip
        )
        == []
    )


def test_a_condition_outside_the_declared_range_is_an_error(tmp_path: Path) -> None:
    never, always = _lint(
        tmp_path,
        _rule("R-NEVER", "reject", "identity.face_match_score > 1.5"),
        _rule("R-ALWAYS", "reject", "operator.age >= 0", "name.present == true"),
    )
    assert (never.kind, never.level, never.rule_ids) == ("out_of_range", "error", ("R-NEVER",))
    assert "条件永远不成立" in never.message
    assert "取值范围为 0–1，1.5 在范围以外" in never.message
    assert (always.kind, always.rule_ids) == ("out_of_range", ("R-ALWAYS",))
    assert "条件总成立" in always.message
    assert "取值范围为 0–150" in always.message


def test_a_pair_too_large_to_compare_is_reported_as_undecided(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lint_module, "MAX_COMBINATIONS", 3)
    found = _lint(
        tmp_path,
        _rule("R-A", "manual_review", "operator.age < 16", "scope.item_count > 5"),
        _rule("R-B", "manual_review", "operator.age < 18", "scope.item_count > 3"),
    )
    undecided = [f for f in found if f.kind == "undecided"]
    assert undecided
    assert all(f.level == "warning" for f in undecided)
    assert any(f.rule_ids == ("R-A", "R-B") for f in undecided)
    assert "未能判定" in undecided[0].message
    assert "组合过多" in undecided[0].message


def test_an_overdue_review_is_a_warning(tmp_path: Path) -> None:
    rule = _rule("R-AGE", "reject", "operator.age < 16").replace(
        "    outcome: reject\n", "    outcome: reject\n    review_by: 2026-01-31\n"
    )
    write_rules(tmp_path, "rules:\n" + rule)
    rules = parse_rules_dir(tmp_path)
    assert lint(rules) == []
    assert lint(rules, dt.date(2026, 1, 31)) == []
    (found,) = lint(rules, dt.date(2026, 2, 1))
    assert (found.kind, found.level) == ("review_overdue", "warning")
    assert "复核日期已过" in found.message
    assert "2026-01-31" in found.message


def test_one_character_and_duplicate_words_are_warnings(tmp_path: Path) -> None:
    words = tmp_path / "words"
    shutil.copytree(RULES_DIR / "words", words)
    prohibited = words / "prohibited.yaml"
    text = prohibited.read_text(encoding="utf-8")
    prohibited.write_text(
        text.replace("words: [支那, 黑太阳, 大地主]", "words: [支那, 黑太阳, 大地主, 店, 支那]"),
        encoding="utf-8",
    )
    found = lint_words(load_name_lexicon(words))
    assert [(f.kind, f.level) for f in found] == [
        ("one_character_word", "warning"),
        ("duplicate_word", "warning"),
    ]
    assert "单字词 '店'" in found[0].message
    assert "词 '支那' 重复列出（同一列表中）" in found[1].message
    assert lint_words(load_name_lexicon(RULES_DIR / "words")) == []


def test_findings_say_their_severity() -> None:
    error = Finding("conflict", ("R-A", "R-B"), "m")
    warning = Finding("shadowed", ("R-A",), "m")
    assert (error.is_error, warning.is_error) == (True, False)
    assert str(error).startswith("[错误] conflict")
    assert warning.as_dict()["severity"] == "warning"
