"""The semantic lint: planted mistakes are found, sound rule sets stay quiet."""

from __future__ import annotations

from pathlib import Path

from approval.engine.language import parse_rules_dir
from approval.rules.lint import Finding, lint
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
    assert found.message.startswith(f"R-NEVER ({tmp_path.name}/rules.yaml:2) can never fire")
    assert "'operator.age < 16' (line 5) and 'operator.age >= 18' (line 6)" in found.message


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
    assert "is always true" in found[0].message
    assert "'operator.age < 18' (line 13) changes nothing" in found[1].message
    assert "it follows from 'operator.age < 16' (line 12)" in found[1].message


def test_a_rule_firing_on_everything(tmp_path: Path) -> None:
    (found,) = _lint(tmp_path, _rule("R-ALL", "reject", "operator.age >= 16", "operator.age < 16"))
    assert found.kind == "unreachable"
    text = _rule("R-ALL", "reject", "operator.age >= 16").replace(
        "      - operator.age >= 16\n",
        "      - any:\n          - operator.age >= 16\n          - operator.age < 16\n",
    )
    (found,) = _lint(tmp_path, text)
    assert found.kind == "always_true"
    assert "fires on every application" in found.message


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
    assert "at least 0.5 and below 0.6" in found.message
    assert "'reject' wins over 'manual_review'" in found.message


def test_overlapping_value_lists_with_conflicting_outcomes(tmp_path: Path) -> None:
    (found,) = _lint(
        tmp_path,
        _rule("R-A", "reject", 'registries.realestate.registered_use in ["住宅", "商住"]'),
        _rule("R-B", "manual_review", 'registries.realestate.registered_use in ["商住", "商业"]'),
    )
    assert found.kind == "conflict"
    assert "is 商住" in found.message


def test_a_weaker_rule_inside_a_stronger_one_is_overridden(tmp_path: Path) -> None:
    (found,) = _lint(
        tmp_path,
        _rule("R-MINOR", "reject", "operator.age < 18"),
        _rule("R-EXCEPTION", "manual_review", "operator.age >= 16", "operator.age < 18"),
    )
    assert found.kind == "overridden"
    assert found.rule_ids == ("R-EXCEPTION", "R-MINOR")
    assert "can never decide an application" in found.message


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
