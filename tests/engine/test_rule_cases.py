"""The example cases in rules/tests: every rule fires on one case and stays quiet on a near miss."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
import yaml

from approval.decisions.service import decide
from approval.engine.ruleset import Ruleset
from tests.engine.conftest import RULES_DIR

CASES: list[dict[str, Any]] = yaml.safe_load((RULES_DIR / "tests" / "cases.yaml").read_text())[
    "cases"
]


def _case_id(case: dict[str, Any]) -> str:
    return f"{case['rule']}-{'fires' if case['fires'] else 'quiet'}"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_case(
    case: dict[str, Any], shipped_ruleset: Ruleset, baseline_facts: dict[str, Any]
) -> None:
    facts = {**baseline_facts, **case["facts"]}
    decision = decide(shipped_ruleset, facts)
    fired = {rule.id for rule in decision.fired}
    assert (case["rule"] in fired) == case["fires"], sorted(fired)
    assert decision.verdict.value == case["decision"], sorted(fired)
    if "text" in case:
        (reason,) = [r for r in decision.reasons() if r["rule_id"] == case["rule"]]
        assert reason["text"] == case["text"]


def test_baseline_is_a_clean_approval(
    shipped_ruleset: Ruleset, baseline_facts: dict[str, Any]
) -> None:
    decision = decide(shipped_ruleset, baseline_facts)
    assert decision.verdict.value == "approve"
    assert decision.fired == ()


def test_every_rule_has_a_firing_case_and_a_near_miss(shipped_ruleset: Ruleset) -> None:
    seen: dict[str, set[bool]] = defaultdict(set)
    for case in CASES:
        seen[case["rule"]].add(case["fires"])
    missing = [rule.id for rule in shipped_ruleset.rules if seen[rule.id] != {True, False}]
    assert missing == []


def test_required_rules_are_shipped(shipped_ruleset: Ruleset) -> None:
    required = (
        "R04 R06 R08 R10 R12 R13 R15 R16 R17 R18 R19 R20"
        " R23 R26 R27 R29 R30 R33 R34 R35 R42 R45 R46"
    )
    prefixes = {rule.id.split("-")[0] for rule in shipped_ruleset.rules}
    assert set(required.split()) <= prefixes
