"""The example cases in ``rules/tests``: run them, explain failures, measure coverage.

``baseline.yaml`` holds the facts of a clean application; each case in ``cases.yaml`` names the
rule it is about, the facts it changes, whether that rule fires, the expected decision and,
optionally, ``fired:`` the exact list of rules expected to fire and ``text:`` the rule's reason
as the applicant reads it, its placeholders filled from the case's facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from approval.engine.compiler import evaluate_condition
from approval.engine.language import Condition, Group, Rule, conditions_of
from approval.engine.ruleset import Ruleset
from approval.kernel.rule_data import Problem, RuleDataError
from approval.kernel.yaml_strict import YamlRefused, load_strict
from approval.rules.explain import explain, verdict_of


class Case(dict[str, Any]):
    """One case as written, and where: the file and line its ``- rule:`` entry starts."""

    file: str | None = None
    line: int | None = None


@dataclass
class CaseResult:
    number: int
    case: dict[str, Any]
    decision: str
    fired: list[str]
    problems: list[str]
    file: str | None = None
    line: int | None = None

    @property
    def passed(self) -> bool:
        return not self.problems

    @property
    def place(self) -> str:
        """file:line of the case when known, else its number."""
        if self.file is not None and self.line is not None:
            return f"{self.file}:{self.line}"
        return f"case {self.number}"


@dataclass
class Coverage:
    rules_never_fired: list[str] = field(default_factory=list)
    rules_never_quiet: list[str] = field(default_factory=list)
    # (rule id, condition text, line, which branch no case exercised)
    branches: list[tuple[str, str, int, str]] = field(default_factory=list)
    total_branches: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "rules_never_fired": self.rules_never_fired,
            "rules_never_quiet": self.rules_never_quiet,
            "branches_total": self.total_branches,
            "branches_missing": [
                {"rule_id": r, "condition": c, "line": line, "missing": m}
                for r, c, line, m in self.branches
            ],
        }


@dataclass
class CasesReport:
    results: list[CaseResult]
    coverage: Coverage

    @property
    def failed(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]

    def summary(self) -> dict[str, Any]:
        return {
            "cases": len(self.results),
            "failed": len(self.failed),
            "failures": [
                {
                    "case": r.number,
                    "file": r.file,
                    "line": r.line,
                    "rule": r.case.get("rule"),
                    "problems": r.problems,
                }
                for r in self.failed
            ],
            "coverage": self.coverage.as_dict(),
        }


def _read(path: Path, key: str) -> tuple[Any, yaml.Node]:
    """The ``key:`` entry of a test file and its node, read strictly (duplicate keys refused)."""
    try:
        data, root = load_strict(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleDataError(path, [Problem(None, f"无法读取文件：{exc}")]) from exc
    except YamlRefused as exc:
        raise RuleDataError(path, [Problem(p.line, p.message) for p in exc.problems]) from None
    if not isinstance(data, dict) or key not in data or root is None:
        raise RuleDataError(path, [Problem(1, f"文件要以 {key}: 开头")])
    node = next(v for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == key)
    return data[key], node


def load_cases(tests_dir: Path) -> tuple[dict[str, Any], list[Case]]:
    """The baseline facts and the cases, each case knowing its file and line."""
    baseline, _ = _read(tests_dir / "baseline.yaml", "baseline")
    cases_path = tests_dir / "cases.yaml"
    entries, node = _read(cases_path, "cases")
    if not isinstance(baseline, dict):
        raise RuleDataError(tests_dir / "baseline.yaml", [Problem(1, "baseline 下要写键值对")])
    if not isinstance(entries, list) or not isinstance(node, yaml.SequenceNode):
        raise RuleDataError(cases_path, [Problem(1, "cases 下要写案例列表（每个以 - 开头）")])
    shown = f"{tests_dir.parent.name}/{tests_dir.name}/cases.yaml"
    cases = []
    for entry, entry_node in zip(entries, node.value, strict=True):
        if not isinstance(entry, dict):
            line = entry_node.start_mark.line + 1
            raise RuleDataError(cases_path, [Problem(line, "每个案例要写成键值对（rule、facts…）")])
        case = Case(entry)
        case.file, case.line = shown, entry_node.start_mark.line + 1
        cases.append(case)
    return dict(baseline), cases


def _group_with(group: Group, facts: dict[str, Any], target: Condition, forced: bool) -> bool:
    results = []
    for item in group.items:
        if isinstance(item, Group):
            results.append(_group_with(item, facts, target, forced))
        elif item is target:
            results.append(forced)
        else:
            results.append(evaluate_condition(item, facts).passed)
    return all(results) if group.kind == "all" else any(results)


def decisive(rule: Rule, facts: dict[str, Any]) -> list[tuple[Condition, bool]]:
    """Conditions whose own truth decided whether the rule fired here, with that truth."""
    found = []
    for cond in conditions_of(rule.when):
        if _group_with(rule.when, facts, cond, True) != _group_with(rule.when, facts, cond, False):
            found.append((cond, evaluate_condition(cond, facts).passed))
    return found


def run_cases(
    ruleset: Ruleset, baseline: dict[str, Any], cases: Sequence[dict[str, Any]]
) -> CasesReport:
    results = []
    fired_seen: set[str] = set()
    quiet_seen: set[str] = set()
    branch_seen: set[tuple[str, int, int, bool]] = set()
    for number, case in enumerate(cases, start=1):
        facts = {**baseline, **case.get("facts", {})}
        problems: list[str] = []
        place = {"file": getattr(case, "file", None), "line": getattr(case, "line", None)}
        try:
            fired_rules = ruleset.fired(facts)
        except (KeyError, TypeError) as exc:
            results.append(CaseResult(number, case, "-", [], [f"事实被拒绝：{exc}"], **place))
            continue
        fired = [r.id for r in fired_rules]
        decision = verdict_of(fired_rules)
        rule_id = case.get("rule")
        if rule_id is not None and rule_id not in ruleset.by_id:
            problems.append(f"用例针对的规则 {rule_id} 不存在")
        elif rule_id is not None and "fires" in case and (rule_id in fired) != case["fires"]:
            expected = "触发" if case["fires"] else "不触发"
            actual = "触发了" if rule_id in fired else "没有触发"
            problems.append(f"{rule_id} 应当{expected}，实际{actual}")
        if "decision" in case and decision != case["decision"]:
            problems.append(f"决定应为 {case['decision']}，实际为 {decision}")
        if "fired" in case and sorted(case["fired"]) != sorted(fired):
            problems.append(f"触发的规则应为 {sorted(case['fired'])}，实际为 {sorted(fired)}")
        if "text" in case and rule_id in ruleset.by_id and rule_id in fired:
            text = ruleset.by_id[rule_id].reason.render(facts)
            if text != case["text"]:
                problems.append(f"理由文本应为 {case['text']!r}，实际为 {text!r}")
        results.append(CaseResult(number, case, decision, fired, problems, **place))
        for rule in ruleset.rules:
            (fired_seen if rule.id in fired else quiet_seen).add(rule.id)
            for cond, truth in decisive(rule, facts):
                loc = cond.location
                branch_seen.add((rule.id, loc.line, loc.column, truth))
    coverage = Coverage()
    for rule in ruleset.rules:
        if rule.id not in fired_seen:
            coverage.rules_never_fired.append(rule.id)
        if rule.id not in quiet_seen:
            coverage.rules_never_quiet.append(rule.id)
        for cond in conditions_of(rule.when):
            for truth, missing in (
                (True, "没有用例显示规则因这个条件成立而触发"),
                (False, "没有用例显示单凭这个条件不成立就让规则不触发"),
            ):
                coverage.total_branches += 1
                loc = cond.location
                if (rule.id, loc.line, loc.column, truth) not in branch_seen:
                    coverage.branches.append((rule.id, cond.source, loc.line, missing))
    return CasesReport(results, coverage)


def explain_failure(ruleset: Ruleset, baseline: dict[str, Any], result: CaseResult) -> list[str]:
    """Expected vs actual, the rules that fired, and why the case's rule did (not) fire."""
    from approval.rules.explain import render_text

    case = result.case
    facts = {**baseline, **case.get("facts", {})}
    lines = [
        f"{result.place}（用例 {result.number}，规则 {case.get('rule')}），"
        f"改动的事实：{case.get('facts')}"
    ]
    lines += [f"  - {p}" for p in result.problems]
    lines.append(f"  应得决定：{case.get('decision')}   实际：{result.decision}")
    lines.append(f"  触发的规则：{'，'.join(result.fired) or '无'}")
    try:
        report = explain(ruleset.rules, facts)
    except (KeyError, TypeError):
        return lines
    wanted = {case.get("rule"), *result.fired, *case.get("fired", [])}
    for rule in report["rules"]:
        if rule["rule_id"] in wanted:
            lines += ["  " + line for line in render_text(rule)]
    return lines
