"""Explanations in staff's terms: for every rule, fired or not, and each condition's values."""

from __future__ import annotations

from typing import Any

from approval.engine.compiler import evaluate_condition
from approval.engine.language import Condition, Group, Rule
from approval.engine.ruleset import OUTCOME_STRENGTH, RuleTrace, explain_rules


def stoppers(group: Group, facts: dict[str, Any]) -> list[Condition]:
    """The failing conditions that keep a group from holding ("why not")."""
    if _holds(group, facts):
        return []
    found: list[Condition] = []
    for item in group.items:
        if isinstance(item, Group):
            found.extend(stoppers(item, facts))
        elif not evaluate_condition(item, facts).passed:
            found.append(item)
    return found


def _holds(group: Group, facts: dict[str, Any]) -> bool:
    results = (
        _holds(item, facts) if isinstance(item, Group) else evaluate_condition(item, facts).passed
        for item in group.items
    )
    return all(results) if group.kind == "all" else any(results)


def condition_view(cond: Condition, actual: Any, passed: bool) -> dict[str, Any]:
    return {
        "fact": cond.fact,
        "operator": cond.operator,
        "threshold": cond.value,
        "actual": actual,
        "passed": passed,
        "text": cond.source,
        "line": cond.location.line,
    }


def rule_view(trace: RuleTrace, facts: dict[str, Any]) -> dict[str, Any]:
    rule = trace.rule
    return {
        "rule_id": rule.id,
        "title": rule.title,
        "outcome": rule.outcome.value,
        "location": f"{rule.location.file}:{rule.location.line}",
        "fired": trace.fired,
        # as the applicant reads it, filled from these facts (only a fired rule's is given)
        "reason": rule.reason.render(facts) if trace.fired else None,
        "conditions": [condition_view(c.condition, c.actual, c.passed) for c in trace.conditions],
        "why_not": []
        if trace.fired
        else [condition_view(c, facts[c.fact], False) for c in stoppers(rule.when, facts)],
    }


def verdict_of(fired: list[Rule]) -> str:
    deciding = [r.outcome for r in fired if r.outcome.value != "flag"]
    if not deciding:
        return "approve"
    return max(deciding, key=OUTCOME_STRENGTH.__getitem__).value


def explain(rules: list[Rule], facts: dict[str, Any]) -> dict[str, Any]:
    """The decision these rules make on these facts, and every rule's trace."""
    traces = explain_rules(rules, facts)
    fired = [t.rule for t in traces if t.fired]
    return {
        "decision": verdict_of(fired),
        "fired": [r.id for r in fired],
        "rules": [rule_view(t, facts) for t in traces],
    }


def render_text(rule: dict[str, Any]) -> list[str]:
    """One rule's explanation as lines of text for the command line."""
    mark = "FIRED " if rule["fired"] else "quiet "
    lines = [f"{mark}{rule['rule_id']} [{rule['outcome']}] {rule['title']} ({rule['location']})"]
    for cond in rule["conditions"]:
        ok = "pass" if cond["passed"] else "FAIL"
        lines.append(
            f"    {ok}  {cond['fact']} {cond['operator']} {_show(cond['threshold'])}"
            f"   actual: {_show(cond['actual'])}"
        )
    if rule["why_not"]:
        why = "; ".join(f"{c['text']} (actual {_show(c['actual'])})" for c in rule["why_not"])
        lines.append(f"    why not: {why}")
    if rule.get("reason"):
        lines.append(f"    reason: {rule['reason']}")
    return lines


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)
