"""A loaded ruleset: its rules, its content version, its compiled form, and explanations."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from approval.engine.compiler import ConditionTrace, evaluate_group
from approval.engine.facts import normalise_facts
from approval.engine.language import Outcome, Rule, parse_rules_dir
from approval.engine.runtime import CompiledRuleset


def ruleset_version(rules_dir: Path) -> str:
    """Content hash of every data file that shapes a decision (rules, word lists, catalogue)."""
    digest = hashlib.sha256()
    for path in sorted(rules_dir.rglob("*.yaml")):
        relative = path.relative_to(rules_dir)
        if relative.parts[0] == "tests":
            continue
        digest.update(relative.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class RuleTrace:
    rule: Rule
    fired: bool
    conditions: list[ConditionTrace]


class Ruleset:
    def __init__(self, rules: list[Rule], version: str) -> None:
        self.rules = rules
        self.version = version
        self.by_id = {rule.id: rule for rule in rules}
        self._compiled = CompiledRuleset(rules, version)

    @classmethod
    def load(cls, rules_dir: Path) -> Ruleset:
        """Parse and compile every rule file; raises RuleFileError and loads nothing on error."""
        return cls(parse_rules_dir(rules_dir), ruleset_version(rules_dir))

    def fired(self, flat_facts: dict[str, Any]) -> list[Rule]:
        return [self.by_id[rule_id] for rule_id in self._compiled.fired_rule_ids(flat_facts)]

    def explain(self, flat_facts: dict[str, Any]) -> list[RuleTrace]:
        """For every rule, whether it holds on these facts and each condition's actual value."""
        flat_facts = normalise_facts(flat_facts)
        traces = []
        for rule in self.rules:
            holds, conditions = evaluate_group(rule.when, flat_facts)
            traces.append(RuleTrace(rule, holds, conditions))
        return traces

    def close(self) -> None:
        self._compiled.close()


OUTCOME_STRENGTH = {
    Outcome.REJECT: 3,
    Outcome.MANUAL_REVIEW: 2,
    Outcome.APPROVE_WITH_CONDITIONS: 1,
    Outcome.FLAG: 0,
}
