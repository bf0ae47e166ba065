"""The decision: the strongest outcome among the rules that fired, with every reason kept."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from approval.engine.compiler import evaluate_group
from approval.engine.language import Outcome as RuleOutcome
from approval.engine.language import Rule
from approval.engine.ruleset import OUTCOME_STRENGTH, Ruleset
from approval.kernel.status import Outcome

UNAVAILABLE_REASON = {
    "rule_id": "R46-DATA-UNAVAILABLE",
    "code": "REGISTRY_UNAVAILABLE",
    "outcome": "pending",
    "text": "部分登记系统暂时未能答复，申请已进入待核验，系统将自动重新核验，无需重复提交。",
    "basis": "《市场主体登记管理条例》第十九条",
}


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Outcome
    fired: tuple[Rule, ...]
    ruleset_version: str
    facts: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def approved(self) -> bool:
        return self.verdict in (Outcome.APPROVE, Outcome.APPROVE_WITH_CONDITIONS)

    def reasons(self) -> list[dict[str, str]]:
        """Every fired rule's reason, strongest first, its text filled from the facts decided on
        (the same at submission, re-verification, replay and simulation)."""
        ordered = sorted(self.fired, key=lambda r: -OUTCOME_STRENGTH[r.outcome])
        return [
            {
                "rule_id": rule.id,
                "code": rule.reason.code,
                "outcome": rule.outcome.value,
                "text": rule.reason.render(self.facts),
                "basis": rule.reason.basis,
            }
            for rule in ordered
        ]


# a rule's outcome that decides (flag only marks); the strongest of those is the decision
_DECIDES = {
    RuleOutcome.REJECT: Outcome.REJECT,
    RuleOutcome.MANUAL_REVIEW: Outcome.MANUAL_REVIEW,
    RuleOutcome.APPROVE_WITH_CONDITIONS: Outcome.APPROVE_WITH_CONDITIONS,
}


def _verdict(fired: Sequence[Rule]) -> Outcome:
    """reject > manual_review > approve_with_conditions > approve."""
    deciding = [r.outcome for r in fired if r.outcome in _DECIDES]
    if not deciding:
        return Outcome.APPROVE
    return _DECIDES[max(deciding, key=OUTCOME_STRENGTH.__getitem__)]


def decide(ruleset: Ruleset, facts: dict[str, Any]) -> Decision:
    """Evaluate the facts with the rules engine."""
    fired = ruleset.fired(facts)
    return Decision(_verdict(fired), tuple(fired), ruleset.version, facts)


def decide_on(rules: Sequence[Rule], facts: Mapping[str, Any], version: str) -> Decision:
    """Some of a ruleset's rules evaluated in Python on the facts they read (a name check runs
    the name rules on the name's facts alone)."""
    fired = tuple(rule for rule in rules if evaluate_group(rule.when, dict(facts))[0])
    return Decision(_verdict(fired), fired, version, facts)
