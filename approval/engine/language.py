"""The rule language registry staff write: parsed and checked before anything runs.

A rule file is YAML::

    rules:
      - id: R08-UNDER-16
        title: 经营者未满16周岁
        when:
          - operator.age < 16
        outcome: reject
        reason:
          code: OPERATOR_UNDER_16
          text: 经营者未满16周岁，不能登记为个体工商户。
          basis: 《民法典》第十七条、第十八条

``when`` lists conditions that must all hold; an item may also be ``any: [...]`` or
``all: [...]``. A condition is ``FACT OPERATOR VALUE`` with the operators
``== != < <= > >= in not in``; values are numbers, ``true``/``false``, "quoted text" or a
``[list]`` of those for ``in``.

A reason's text may name facts in braces, ``经营者{operator.age}周岁…``, filled from the
decision's facts when the reasons are given (:mod:`approval.engine.templates`).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from approval.engine.facts import FACTS, FactSpec, FactType
from approval.engine.templates import Template, TemplateError, parse_template


class Outcome(StrEnum):
    REJECT = "reject"
    MANUAL_REVIEW = "manual_review"
    APPROVE_WITH_CONDITIONS = "approve_with_conditions"
    FLAG = "flag"


@dataclass(frozen=True, slots=True)
class Location:
    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Problem:
    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class RuleFileError(Exception):
    """One or more rule files are refused; nothing of them is loaded."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True, slots=True)
class Condition:
    fact: str
    operator: str
    value: Any
    source: str
    location: Location


@dataclass(frozen=True, slots=True)
class Group:
    kind: str  # "all" | "any"
    items: tuple[Condition | Group, ...]
    location: Location


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    text: str  # as written, placeholders and all
    basis: str
    template: Template

    def render(self, facts: Mapping[str, Any]) -> str:
        """The text with each placeholder filled from the facts. Facts stored before a
        reason-only fact was declared lack it: its meaning stands in, in 〔〕."""

        def value_of(name: str) -> str:
            spec = FACTS[name]
            return spec.as_text(facts[name]) if name in facts else f"〔{spec.description}〕"

        return self.template.render(value_of)


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    when: Group
    outcome: Outcome
    reason: Reason
    location: Location


@dataclass
class _Collector:
    problems: list[Problem] = field(default_factory=list)

    def add(self, location: Location, message: str) -> None:
        self.problems.append(Problem(location, message))


_CONDITION = re.compile(
    r"^\s*(?P<fact>[A-Za-z_][\w.]*)\s*(?P<op>==|!=|<=|>=|<|>|not\s+in\b|in\b)\s*(?P<value>.+?)\s*$"
)
_ORDERING = {"<", "<=", ">", ">="}
_RULE_FACT_NAMES = [name for name, spec in FACTS.items() if not spec.reason_only]
_TEXT_WITH_BRACE = re.compile(r"\btext:[^\n]*\{")
RULE_KEYS = {"id", "title", "when", "outcome", "reason"}
REASON_KEYS = {"code", "text", "basis"}


def _loc(file: str, node: yaml.Node) -> Location:
    return Location(file, node.start_mark.line + 1, node.start_mark.column + 1)


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _scalar(node: yaml.Node) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def _mapping(node: yaml.Node) -> dict[str, yaml.Node] | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return {str(k.value): v for k, v in node.value}


def _parse_value(text: str) -> Any:
    return json.loads(text)


def _check_type(spec: FactSpec, op: str, value: Any) -> str | None:
    values = value if op in ("in", "not in") else [value]
    if op in ("in", "not in") and (not isinstance(value, list) or not value):
        return f"'{op}' needs a non-empty [list] of values"
    if op in _ORDERING and spec.type not in (FactType.INT, FactType.NUMBER):
        return f"'{op}' compares numbers, but {spec.name} is {spec.type.value}"
    for item in values:
        match spec.type:
            case FactType.BOOL:
                ok = isinstance(item, bool)
            case FactType.INT:
                ok = isinstance(item, int) and not isinstance(item, bool)
            case FactType.NUMBER:
                ok = isinstance(item, int | float) and not isinstance(item, bool)
            case FactType.TEXT:
                ok = isinstance(item, str)
            case FactType.ENUM:
                if isinstance(item, str) and item not in spec.choices:
                    return (
                        f"{spec.name} is never {item!r}; it is one of {', '.join(spec.choices)}"
                        + _suggest(item, list(spec.choices))
                    )
                ok = isinstance(item, str)
        if not ok:
            shown = json.dumps(item, ensure_ascii=False)
            return f"{spec.name} is {spec.type.value}, but is compared with {shown}"
    return None


def _parse_condition(text: str, location: Location, out: _Collector) -> Condition | None:
    match = _CONDITION.match(text)
    if not match:
        out.add(location, f"cannot read condition {text!r}; write it as: fact operator value")
        return None
    fact, op, raw = match["fact"], " ".join(match["op"].split()), match["value"]
    spec = FACTS.get(fact)
    if spec is None:
        out.add(location, f"unknown fact '{fact}'" + _suggest(fact, _RULE_FACT_NAMES))
        return None
    if spec.reason_only:
        out.add(
            location,
            f"'{fact}' is shown in reason texts only ({{{fact}}}); a rule cannot compare it",
        )
        return None
    try:
        value = _parse_value(raw)
    except json.JSONDecodeError:
        hint = f'; text values are quoted, e.g. "{raw}"' if raw.isidentifier() else ""
        out.add(location, f"cannot read value {raw!r}{hint}")
        return None
    problem = _check_type(spec, op, value)
    if problem:
        out.add(location, problem)
        return None
    return Condition(fact, op, value, text.strip(), location)


def _parse_group(kind: str, node: yaml.Node, file: str, out: _Collector) -> Group | None:
    location = _loc(file, node)
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        out.add(location, f"'{kind}' needs a non-empty list of conditions")
        return None
    items: list[Condition | Group] = []
    for item in node.value:
        text = _scalar(item)
        mapping = _mapping(item)
        if text is not None:
            cond = _parse_condition(text, _loc(file, item), out)
            if cond:
                items.append(cond)
        elif mapping is not None and len(mapping) == 1 and next(iter(mapping)) in ("all", "any"):
            sub_kind, sub_node = next(iter(mapping.items()))
            group = _parse_group(sub_kind, sub_node, file, out)
            if group:
                items.append(group)
        else:
            out.add(_loc(file, item), "a condition is text like 'operator.age < 16', or any:/all:")
    return Group(kind, tuple(items), location) if len(items) == len(node.value) else None


_BRACE_START_HINT = (
    "a text that starts with '{' is read by YAML as a mapping, not as text: "
    'put the whole text in quotes, e.g. text: "{operator.age}周岁……"'
)
_BRACES_IN_YAML_HINT = (
    "a reason text with a placeholder at its start, or inside a reason written as "
    '{code: …, text: …}, goes in quotes: text: "{operator.age}周岁……"'
)


def _offset_location(file: str, node: yaml.Node, offset: int) -> Location:
    """Where a character of a scalar's value stands in the file: exact for a text on one line
    that escapes nothing, else the scalar's start."""
    start, end = node.start_mark, node.end_mark
    if start.buffer is not None and start.line == end.line:
        quote = 1 if getattr(node, "style", None) in ("'", '"') else 0
        written = start.buffer[start.pointer + quote : end.pointer - quote]
        if written == node.value:
            return Location(file, start.line + 1, start.column + 1 + quote + offset)
    return _loc(file, node)


def _parse_reason_text(node: yaml.Node, text: str, file: str, out: _Collector) -> Template | None:
    """The reason text as a template whose every placeholder names a declared fact."""
    try:
        template = parse_template(text)
    except TemplateError as exc:
        for offset, message in exc.problems:
            out.add(_offset_location(file, node, offset), f"reason text: {message}")
        return None
    ok = True
    for placeholder in template.placeholders:
        if placeholder.fact not in FACTS:
            ok = False
            out.add(
                _offset_location(file, node, placeholder.offset),
                f"reason text: unknown fact '{placeholder.fact}' in {{{placeholder.fact}}}"
                + _suggest(placeholder.fact, list(FACTS)),
            )
    return template if ok else None


def _parse_rule(node: yaml.Node, file: str, out: _Collector) -> Rule | None:
    location = _loc(file, node)
    fields = _mapping(node)
    if fields is None:
        out.add(location, "a rule is a mapping with id, title, when, outcome and reason")
        return None
    before = len(out.problems)
    for key in fields.keys() - RULE_KEYS:
        out.add(_loc(file, fields[key]), f"unknown key '{key}'" + _suggest(key, sorted(RULE_KEYS)))
    for key in sorted(RULE_KEYS - fields.keys()):
        out.add(location, f"rule is missing '{key}'")
    rule_id = _scalar(fields["id"]) if "id" in fields else None
    title = _scalar(fields["title"]) if "title" in fields else None
    if "id" in fields and not (rule_id and re.fullmatch(r"[A-Z][A-Z0-9-]{1,63}", rule_id)):
        out.add(_loc(file, fields["id"]), "id is capitals, digits and dashes, e.g. R08-UNDER-16")
    if "title" in fields and not title:
        out.add(_loc(file, fields["title"]), "title must be text")
    outcome: Outcome | None = None
    if "outcome" in fields:
        raw = _scalar(fields["outcome"]) or ""
        try:
            outcome = Outcome(raw)
        except ValueError:
            choices = [o.value for o in Outcome]
            out.add(
                _loc(file, fields["outcome"]),
                f"unknown outcome '{raw}' (one of {', '.join(choices)})" + _suggest(raw, choices),
            )
    reason: Reason | None = None
    if "reason" in fields:
        reason_fields = _mapping(fields["reason"])
        if reason_fields is None:
            out.add(_loc(file, fields["reason"]), "reason needs code, text and basis")
        else:
            for key in sorted(REASON_KEYS - reason_fields.keys()):
                out.add(_loc(file, fields["reason"]), f"reason is missing '{key}'")
            for key in reason_fields.keys() - REASON_KEYS:
                out.add(_loc(file, reason_fields[key]), f"unknown reason key '{key}'")
            parts = {k: _scalar(v) for k, v in reason_fields.items()}
            for key in REASON_KEYS & parts.keys():
                if not parts[key]:
                    node = reason_fields[key]
                    message = (
                        _BRACE_START_HINT
                        if isinstance(node, yaml.MappingNode) and node.flow_style
                        else f"reason {key} must be non-empty text"
                    )
                    out.add(_loc(file, node), message)
            template = (
                _parse_reason_text(reason_fields["text"], str(parts["text"]), file, out)
                if parts.get("text")
                else None
            )
            if all(parts.get(k) for k in REASON_KEYS) and template is not None:
                code = str(parts["code"])
                if not re.fullmatch(r"[A-Z][A-Z0-9_]{1,63}", code):
                    out.add(_loc(file, reason_fields["code"]), "reason code is like AGE_UNDER_16")
                reason = Reason(code, str(parts["text"]), str(parts["basis"]), template)
    when = _parse_group("all", fields["when"], file, out) if "when" in fields else None
    if len(out.problems) > before or not (rule_id and title and when and outcome and reason):
        return None
    return Rule(rule_id, title, when, outcome, reason, location)


_NO_RULES = yaml.SequenceNode("tag:yaml.org,2002:seq", [])


def parse_rule_file(path: Path, display_name: str | None = None) -> list[Rule]:
    """Parse one rule file; raise RuleFileError with every problem found."""
    file = display_name or path.name
    out = _Collector()
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = f"YAML syntax: {exc.problem or exc}"
        if mark is not None and mark.buffer is not None:
            written = mark.buffer.split("\n")[mark.line] if mark.buffer else ""
            if _TEXT_WITH_BRACE.search(written):
                message += f"; {_BRACES_IN_YAML_HINT}"
        raise RuleFileError([Problem(Location(file, line, col), message)]) from None
    except UnicodeDecodeError:
        raise RuleFileError([Problem(Location(file, 1, 1), "not UTF-8 text")]) from None
    top = _mapping(root) if root is not None else None
    if top is None or not (
        isinstance(top.get("rules"), yaml.SequenceNode) or ("tables" in top and "rules" not in top)
    ):
        raise RuleFileError(
            [Problem(Location(file, 1, 1), "a rule file holds 'rules:' and a list")]
        )
    for key in top.keys() - {"rules", "tables"}:
        out.add(_loc(file, top[key]), f"unknown top-level key '{key}'")
    rules = [r for node in top.get("rules", _NO_RULES).value if (r := _parse_rule(node, file, out))]
    if "tables" in top:
        from approval.engine.tables import parse_tables  # tables build on this module

        rules += parse_tables(top["tables"], file, out)
    if out.problems:
        raise RuleFileError(out.problems)
    return rules


def parse_rules_dir(rules_dir: Path) -> list[Rule]:
    """Every ``*.yaml`` directly in the folder, all or nothing, ids unique across files."""
    problems: list[Problem] = []
    rules: list[Rule] = []
    files = sorted(rules_dir.glob("*.yaml"))
    if not files:
        raise RuleFileError([Problem(Location(str(rules_dir), 1, 1), "no rule files (*.yaml)")])
    for path in files:
        try:
            rules.extend(parse_rule_file(path, f"{rules_dir.name}/{path.name}"))
        except RuleFileError as exc:
            problems.extend(exc.problems)
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in seen:
            problems.append(
                Problem(
                    rule.location,
                    f"duplicate rule id {rule.id} (first at {seen[rule.id].location})",
                )
            )
        seen.setdefault(rule.id, rule)
    if problems:
        raise RuleFileError(problems)
    return rules


def conditions_of(group: Group) -> list[Condition]:
    found: list[Condition] = []
    for item in group.items:
        found.extend(conditions_of(item) if isinstance(item, Group) else [item])
    return found
