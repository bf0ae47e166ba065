"""Explanations in staff's terms: for every rule, fired or not, and each condition's values."""

from __future__ import annotations

import difflib
import unicodedata
from typing import Any

from approval.engine.compiler import evaluate_condition
from approval.engine.facts import FACTS
from approval.engine.language import Condition, Group, Rule
from approval.engine.ruleset import OUTCOME_STRENGTH, RuleTrace, explain_rules
from approval.engine.tables import TableRowRule
from approval.errors import NotFound

OUTCOME_LABELS = {
    "reject": "驳回",
    "manual_review": "转人工",
    "approve_with_conditions": "附条件批准",
    "flag": "标记",
    "approve": "批准",
}


class RuleNotInVersion(NotFound):
    code = "rule_not_in_version"
    title = "该规则版本中没有这条规则"


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
        "description": FACTS[cond.fact].description,
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
        **(table_view(rule, facts) if isinstance(rule, TableRowRule) else {}),
        **meta_view(rule),
    }


def meta_view(rule: Rule) -> dict[str, Any]:
    """Who answers for the rule, its legal source and review date, when the file says."""
    meta = rule.meta
    shown = {
        "owner": meta.owner,
        "source": meta.source,
        "review_by": meta.review_by.isoformat() if meta.review_by else None,
    }
    return {"meta": shown} if any(shown.values()) else {}


def table_view(rule: TableRowRule, facts: dict[str, Any]) -> dict[str, Any]:
    """A table row's rule shows its whole table, with the row the application fell in."""
    table = rule.table
    actual = facts.get(table.input)
    hit = table.row_for(actual)
    return {
        "row": rule.row,
        "table": {
            "id": table.id,
            "title": table.title,
            "input": table.input,
            "description": FACTS[table.input].description,
            "hit": table.hit,
            "actual": actual,
            "matched_row": hit.number if hit else None,
            "location": f"{table.location.file}:{table.location.line}",
            "rows": [
                {
                    "row": row.number,
                    "band": row.band,
                    "outcome": row.outcome,
                    "rule_id": row.rule_id,
                    "line": row.location.line,
                }
                for row in table.rows
            ],
        },
    }


def verdict_of(fired: list[Rule]) -> str:
    deciding = [r.outcome for r in fired if r.outcome.value != "flag"]
    if not deciding:
        return "approve"
    return max(deciding, key=OUTCOME_STRENGTH.__getitem__).value


def explain(rules: list[Rule], facts: dict[str, Any], only: str | None = None) -> dict[str, Any]:
    """The decision these rules make on these facts, and every rule's trace; with ``only`` (a
    rule id, or a decision table's id for all its rows) just that rule's trace."""
    traces = explain_rules(rules, facts)
    fired = [t.rule for t in traces if t.fired]
    if only is not None:
        wanted = only.strip().upper()  # ids are capitals: r08-under-16 means R08-UNDER-16
        traces = [t for t in traces if wanted in (t.rule.id, _table_id(t.rule))]
        if not traces:
            raise RuleNotInVersion(_unknown_rule(only, rules))
    return {
        "decision": verdict_of(fired),
        "fired": [r.id for r in fired],
        "rules": [rule_view(t, facts) for t in traces],
    }


def _table_id(rule: Rule) -> str | None:
    return rule.table.id if isinstance(rule, TableRowRule) else None


def _unknown_rule(wanted: str, rules: list[Rule]) -> str:
    known = sorted({r.id for r in rules} | {t for r in rules if (t := _table_id(r))})
    near = difflib.get_close_matches(wanted.upper(), known, n=3, cutoff=0.5)
    prefix = wanted.upper().split("-")[0]
    near += [k for k in known if k.split("-")[0] == prefix and k not in near][: 5 - len(near)]
    shown = "".join(ch for ch in wanted[:64] if ch.isprintable())
    if near:
        return f"该规则版本中没有规则 {shown}；相近的规则：{'、'.join(near)}"
    return f"该规则版本中没有规则 {shown}；规则编号形如 R08-UNDER-16"


def render_text(rule: dict[str, Any]) -> list[str]:
    """One rule's explanation as lines of text for the command line, in staff's words."""
    mark = "已触发 " if rule["fired"] else "未触发 "
    outcome = OUTCOME_LABELS.get(rule["outcome"], rule["outcome"])
    lines = [f"{mark}{rule['rule_id']} [{outcome}] {rule['title']} ({rule['location']})"]
    for cond in rule["conditions"]:
        ok = "成立" if cond["passed"] else "不成立"
        lines.append(f"    {ok}  {_condition_text(cond)}   实际: {_show(cond['actual'])}")
    if rule.get("table"):
        lines.extend(_table_text(rule["table"], rule["row"]))
    if rule["why_not"]:
        why = "；".join(
            f"{_condition_text(c)}（实际 {_show(c['actual'])}）" for c in rule["why_not"]
        )
        lines.append(f"    未触发原因: {why}")
    if rule.get("reason"):
        lines.append(f"    理由: {rule['reason']}")
    if meta := rule.get("meta"):
        labels = (("owner", "负责"), ("source", "依据"), ("review_by", "复核日期"))
        lines.append("    " + "  ".join(f"{label}: {meta[k]}" for k, label in labels if meta[k]))
    return lines


def _condition_text(cond: dict[str, Any]) -> str:
    described = f"{cond['description']} " if cond.get("description") else ""
    return f"{described}{cond['fact']} {cond['operator']} {_show(cond['threshold'])}"


def _table_text(table: dict[str, Any], own: int) -> list[str]:
    """The table as rows: ▶ marks this rule's row, ← the row the application's value fell in."""
    rows = {r["row"]: r for r in table["rows"]}
    actual = _show(table["actual"]) if table["actual"] is not None else "无"
    matched = table["matched_row"]
    summary = f"    表 {table['id']} 第{own}行 {rows[own]['band']}"
    if matched == own:
        summary += f" ← {actual}"
    elif matched is not None:
        summary += f"；申请落在第{matched}行 {rows[matched]['band']} ← {actual}"
    else:
        summary += f"；申请的值 {actual} 不在任何一行"
    lines = [
        summary,
        f"      {table['title']}：按 {table['description']} {table['input']} 分档，"
        f"命中规则 {table['hit']}（{table['location']}）",
    ]
    width = max(_width(r["band"]) for r in table["rows"])
    for row in table["rows"]:
        pointer = "▶" if row["row"] == own else " "
        outcome = OUTCOME_LABELS.get(row["outcome"], row["outcome"])
        rule_id = f" {row['rule_id']}" if row["rule_id"] else ""
        fell = f"  ← {actual}" if row["row"] == matched else ""
        lines.append(
            f"      {pointer} 第{row['row']}行 {row['band']}{' ' * (width - _width(row['band']))}"
            f" → {outcome}{rule_id}{fell}"
        )
    return lines


def _width(text: str) -> int:
    """Columns a text takes in a terminal: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def render_diff(report: dict[str, Any], indent: str = "", file_lines: int = 40) -> list[str]:
    """A diff between versions (``service.diff``) as lines of text: rule by rule, then files."""
    lines = [f"{indent}新增规则 {rule_id}" for rule_id in report["added"]]
    lines += [f"{indent}删除规则 {rule_id}" for rule_id in report["removed"]]
    for change in report["changed"]:
        lines.append(f"{indent}修改规则 {change['rule_id']}")
        lines += [f"{indent}    {line}" for line in change["changes"]]
    for change in report["other_files"]:
        lines.append(f"{indent}修改文件 {change['file']}")
        lines += [f"{indent}    {line}" for line in change["changes"][:file_lines]]
    return lines
