"""A loaded ruleset: its rules, its content version, its compiled form, and explanations."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from approval.engine.compiler import ConditionTrace, evaluate_group
from approval.engine.facts import normalise_facts
from approval.engine.language import Outcome, Rule, parse_rules_dir
from approval.engine.runtime import CompiledRuleset


def _part_of_a_ruleset(relative: str) -> bool:
    """Rule files, the word lists and the scope catalogue decide; their test cases go along.

    The item catalogue, halls, calendar and supervision map live beside them but decide
    nothing, so editing them does not make a new ruleset version.
    """
    top = relative.split("/")[0]
    return "/" not in relative or top in ("words", "tests") or relative == "catalog/scope.yaml"


def ruleset_files(rules_dir: Path) -> dict[str, bytes]:
    """The YAML files of a ruleset (rules, word lists, scope catalogue, tests), by relative path."""
    return {
        relative: path.read_bytes()
        for path in sorted(rules_dir.rglob("*.yaml"))
        if _part_of_a_ruleset(relative := path.relative_to(rules_dir).as_posix())
    }


def content_version(files: Mapping[str, bytes]) -> str:
    """Content hash of every data file that shapes a decision; the test cases do not count."""
    digest = hashlib.sha256()
    for relative in sorted(files, key=lambda name: name.split("/")):
        if relative.split("/")[0] == "tests":
            continue
        digest.update(relative.encode() + b"\0" + files[relative] + b"\0")
    return digest.hexdigest()


def ruleset_version(rules_dir: Path) -> str:
    """Content hash of every data file that shapes a decision (rules, word lists, catalogue)."""
    return content_version(ruleset_files(rules_dir))


@dataclass(frozen=True, slots=True)
class RuleTrace:
    rule: Rule
    fired: bool
    conditions: list[ConditionTrace]


def explain_rules(rules: list[Rule], flat_facts: dict[str, Any]) -> list[RuleTrace]:
    """Each rule evaluated in Python on the facts, with every condition's actual value."""
    flat_facts = normalise_facts(flat_facts)
    traces = []
    for rule in rules:
        holds, conditions = evaluate_group(rule.when, flat_facts)
        traces.append(RuleTrace(rule, holds, conditions))
    return traces


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
        return explain_rules(self.rules, flat_facts)

    def close(self) -> None:
        self._compiled.close()


OUTCOME_STRENGTH = {
    Outcome.REJECT: 3,
    Outcome.MANUAL_REVIEW: 2,
    Outcome.APPROVE_WITH_CONDITIONS: 1,
    Outcome.FLAG: 0,
}
