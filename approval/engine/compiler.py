"""Rules to durable_rules definitions, and the same rules evaluated in Python for explanations."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from approval.engine.language import Condition, Group, Rule

# durable_rules loops forever on a rule made only of negative tests: every rule gets this guard.
GUARD = {"t": "application"}

_DURABLE_OPS = {"!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}


def _compile_condition(cond: Condition) -> dict[str, Any]:
    match cond.operator:
        case "==":
            return {cond.fact: cond.value}
        case "in":
            return {"$or": [{cond.fact: v} for v in cond.value]}
        case "not in":
            return {"$and": [{"$neq": {cond.fact: v}} for v in cond.value]}
        case op:
            return {_DURABLE_OPS[op]: {cond.fact: cond.value}}


def _compile_group(group: Group) -> dict[str, Any]:
    parts = [
        _compile_group(item) if isinstance(item, Group) else _compile_condition(item)
        for item in group.items
    ]
    return {"$and" if group.kind == "all" else "$or": parts}


# A rule that matches every application. When nothing else matched, durable_rules reports the
# fact as not handled, and deleting that session crashes the process (segfault, reproduced):
# with this rule every evaluation is handled and its session deletes cleanly.
EVALUATED = "_evaluated"


def compile_rules(rules: list[Rule]) -> dict[str, dict[str, Any]]:
    """One durable_rules rule per rule (the action name is the rule id), plus the sentinel."""
    compiled = {
        rule.id: {"all": [{"m": {"$and": [GUARD, _compile_group(rule.when)]}}], "run": rule.id}
        for rule in rules
    }
    compiled[EVALUATED] = {"all": [{"m": GUARD}], "run": EVALUATED}
    return compiled


_PY_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "in": lambda actual, values: actual in values,
    "not in": lambda actual, values: actual not in values,
}


@dataclass(frozen=True, slots=True)
class ConditionTrace:
    condition: Condition
    actual: Any
    passed: bool


def evaluate_condition(cond: Condition, facts: dict[str, Any]) -> ConditionTrace:
    actual = facts[cond.fact]
    return ConditionTrace(cond, actual, bool(_PY_OPS[cond.operator](actual, cond.value)))


def evaluate_group(group: Group, facts: dict[str, Any]) -> tuple[bool, list[ConditionTrace]]:
    """Whether the group holds, and every leaf condition's trace (all of them, not short-cut)."""
    traces: list[ConditionTrace] = []
    results: list[bool] = []
    for item in group.items:
        if isinstance(item, Group):
            ok, sub = evaluate_group(item, facts)
            traces.extend(sub)
        else:
            trace = evaluate_condition(item, facts)
            ok = trace.passed
            traces.append(trace)
        results.append(ok)
    return (all(results) if group.kind == "all" else any(results)), traces
