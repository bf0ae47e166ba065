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

A rule may also say who looks after it and why it exists: ``owner:`` (the department that
answers for it), ``source:`` (its legal source, a link or the article's name) and ``review_by:``
(YYYY-MM-DD, the day by which it is to be reviewed again). When a version takes effect is said
when the version is approved, not in the rule.

A reason's text may name facts in braces, ``经营者{operator.age}周岁…``, filled from the
decision's facts when the reasons are given (:mod:`approval.engine.templates`).
"""

from __future__ import annotations

import datetime as dt
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
from approval.kernel.yaml_strict import YamlRefused, compose_strict


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
class RuleMeta:
    """Who answers for a rule, its legal source, and when it is to be reviewed; all optional."""

    owner: str | None = None
    source: str | None = None
    review_by: dt.date | None = None
    review_by_line: int | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    when: Group
    outcome: Outcome
    reason: Reason
    location: Location
    meta: RuleMeta = field(default_factory=RuleMeta)


@dataclass
class _Collector:
    problems: list[Problem] = field(default_factory=list)

    def add(self, location: Location, message: str) -> None:
        self.problems.append(Problem(location, message))


OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "in", "not in")
_CONDITION = re.compile(
    r"^\s*(?P<fact>[A-Za-z_][\w.]*)\s*(?P<op>==|!=|<=|>=|<|>|not\s+in\b|in\b)\s*(?P<value>.+?)\s*$"
)
# what an operator-like run of signs looks like, to name a wrong one instead of a wrong value
_SIGNS = re.compile(
    r"^\s*(?P<fact>[A-Za-z_][\w.]*)\s*(?P<op>[=<>!≠≤≥＝＜＞！~]+)\s*(?P<value>.*?)\s*$"
)
_OPERATOR_FIXES = {
    "<>": ("!=", "不等于"),
    "≠": ("!=", "不等于"),
    "!==": ("!=", "不等于"),
    "=!": ("!=", "不等于"),
    "=": ("==", "等于"),
    "===": ("==", "等于"),
    "＝": ("==", "等于"),
    "=>": (">=", "大于等于"),
    "≥": (">=", "大于等于"),
    "=<": ("<=", "小于等于"),
    "≤": ("<=", "小于等于"),
    "＜": ("<", "小于"),
    "＞": (">", "大于"),
    "<<": ("<", "小于"),
    ">>": (">", "大于"),
}
_ORDERING = {"<", "<=", ">", ">="}
_RULE_FACT_NAMES = [name for name, spec in FACTS.items() if not spec.reason_only]
_TEXT_WITH_BRACE = re.compile(r"\btext:[^\n]*\{")
RULE_KEYS = {"id", "title", "when", "outcome", "reason"}
META_KEYS = {"owner", "source", "review_by"}
REASON_KEYS = {"code", "text", "basis"}
_TYPE_NAMES = {
    FactType.BOOL: "是非值（true/false）",
    FactType.INT: "整数",
    FactType.NUMBER: "数值",
    FactType.TEXT: "文字",
    FactType.TEXTS: "文字列表",
    FactType.ENUM: "选项",
}
_OUTCOME_NAMES = {
    "reject": "不予登记",
    "manual_review": "转人工审核",
    "approve_with_conditions": "附条件准予",
    "flag": "仅作标记",
}
# bases that only hold a place: a rule must name the provision it applies
_PLACEHOLDER_BASES = re.compile(
    r"todo|tbd|tbc|fixme|xxx|待定|待补|待确认|待完善|待查|暂无|同上|见上|略|n/?a\b|none|null",
    re.IGNORECASE,
)
_MIN_BASIS = 4
_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::\d+)?(?:/[^\s]*)?")


def _loc(file: str, node: yaml.Node) -> Location:
    return Location(file, node.start_mark.line + 1, node.start_mark.column + 1)


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"；是不是要写 '{close[0]}'？" if close else ""


def _scalar(node: yaml.Node) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def _mapping(node: yaml.Node) -> dict[str, yaml.Node] | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return {str(k.value): v for k, v in node.value}


def _parse_value(text: str) -> Any:
    return json.loads(text)


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _check_type(spec: FactSpec, op: str, value: Any) -> str | None:
    values = value if op in ("in", "not in") else [value]
    kind = _TYPE_NAMES[spec.type]
    if op in ("in", "not in") and (not isinstance(value, list) or not value):
        return f'\'{op}\' 后面要写一个不为空的 [列表]，例如 ["甲", "乙"]'
    if op in _ORDERING and spec.type not in (FactType.INT, FactType.NUMBER):
        return f"'{op}' 用于比较数值大小，而 {spec.name} 是{kind}"
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
                        f"{spec.name} 不会是 {item!r}，它的取值只有：{'、'.join(spec.choices)}"
                        + _suggest(item, list(spec.choices))
                    )
                ok = isinstance(item, str)
        if not ok:
            hint = "（文字要加引号，数字和 true/false 不加）"
            return f"{spec.name} 是{kind}（{spec.type.value}），却与 {_shown(item)} 比较{hint}"
    return None


def _operator_problem(text: str) -> str | None:
    """A condition whose operator is not one of ours: which ones are, and the likely one."""
    match = _SIGNS.match(text)
    if not match or match["op"] in OPERATORS:
        return None
    op = match["op"]
    valid = "、".join(OPERATORS)
    fix = _OPERATOR_FIXES.get(op)
    if fix is not None:
        right, meaning = fix
        corrected = f"{match['fact']} {right} {match['value']}".strip()
        hint = f"{meaning}请写 {right}，即 {corrected}"
    else:
        close = difflib.get_close_matches(op, list(OPERATORS), n=1, cutoff=0.3)
        hint = f"是不是要写 {close[0]}？" if close else "请改用其中之一"
    return f"不认识运算符 '{op}'：可用的运算符有 {valid}；{hint}"


def _parse_condition(text: str, location: Location, out: _Collector) -> Condition | None:
    wrong_operator = _operator_problem(text)
    if wrong_operator:
        out.add(location, wrong_operator)
        return None
    match = _CONDITION.match(text)
    if not match:
        out.add(
            location,
            f"读不懂条件 {text!r}：条件写作“事实 运算符 值”，例如 operator.age < 16"
            f"（运算符：{'、'.join(OPERATORS)}）",
        )
        return None
    fact, op, raw = match["fact"], " ".join(match["op"].split()), match["value"]
    spec = FACTS.get(fact)
    if spec is None:
        out.add(location, f"不认识的事实 '{fact}'" + _suggest(fact, _RULE_FACT_NAMES))
        return None
    if spec.reason_only:
        out.add(
            location,
            f"'{fact}' 只用于原因文字（{{{fact}}}），规则不能拿它作比较",
        )
        return None
    try:
        value = _parse_value(raw)
    except json.JSONDecodeError:
        hint = f'；文字值要加引号，例如 "{raw}"' if raw.isidentifier() else ""
        out.add(location, f"读不懂值 {raw!r}{hint}")
        return None
    problem = _check_type(spec, op, value)
    if problem:
        out.add(location, problem)
        return None
    return Condition(fact, op, value, text.strip(), location)


def _parse_group(kind: str, node: yaml.Node, file: str, out: _Collector) -> Group | None:
    location = _loc(file, node)
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        out.add(location, f"'{kind}' 下面要列出至少一个条件（每行以 - 开头）")
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
            out.add(
                _loc(file, item),
                "条件写成一行文字，例如 operator.age < 16，或写 any:（任一成立）/ all:（全部成立）"
                "下接条件列表；若条件里有冒号加空格，请给整行加引号",
            )
    return Group(kind, tuple(items), location) if len(items) == len(node.value) else None


_BRACE_START_HINT = (
    "以 { 开头的文字会被YAML当作键值对，而不是文字："
    '请给整段文字加引号，例如 text: "{operator.age}周岁……"'
)
_BRACES_IN_YAML_HINT = (
    "原因文字以占位符开头，或原因写成 {code: …, text: …} 的一行形式时，"
    '文字要加引号：text: "{operator.age}周岁……"'
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
            out.add(_offset_location(file, node, offset), f"原因文字：{message}")
        return None
    ok = True
    for placeholder in template.placeholders:
        if placeholder.fact not in FACTS:
            ok = False
            out.add(
                _offset_location(file, node, placeholder.offset),
                f"原因文字：不认识的事实 '{placeholder.fact}'"
                f"（{{{placeholder.fact}}}）" + _suggest(placeholder.fact, list(FACTS)),
            )
    return template if ok else None


def placeholder_basis(basis: str) -> bool:
    """A basis that holds a place instead of naming the provision the rule applies."""
    bare = re.sub(r"[\s\W_]+", "", basis)
    return len(bare) < _MIN_BASIS or bool(_PLACEHOLDER_BASES.search(basis))


def _parse_meta(fields: dict[str, yaml.Node], file: str, out: _Collector) -> RuleMeta:
    """owner, source and review_by as written; each problem is told where it stands."""
    found: dict[str, str] = {}
    for key in sorted(META_KEYS & fields.keys()):
        text = _scalar(fields[key])
        if not text or not text.strip():
            out.add(_loc(file, fields[key]), f"{key} 要写成一段不为空的文字")
        elif len(text) > 200:
            out.add(_loc(file, fields[key]), f"{key} 最多200个字")
        else:
            found[key] = text.strip()
    source = found.get("source")
    if source is not None and source.lower().startswith(("http:", "https:", "www.")):
        if not _URL.fullmatch(source):
            out.add(
                _loc(file, fields["source"]),
                "source 若写链接，要写完整的 http:// 或 https:// 地址且不含空格；"
                "也可以写法规名称和条款，例如《促进个体工商户发展条例》第十条",
            )
    review_by: dt.date | None = None
    line: int | None = None
    if "review_by" in found:
        raw = found["review_by"]
        line = fields["review_by"].start_mark.line + 1
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
                raise ValueError(raw)
            review_by = dt.date.fromisoformat(raw)
        except ValueError:
            out.add(
                _loc(file, fields["review_by"]),
                f"review_by 是复核日期，写作 YYYY-MM-DD，例如 2027-06-30；{raw!r} 不是有效日期",
            )
    return RuleMeta(found.get("owner"), source, review_by, line)


def _parse_rule(node: yaml.Node, file: str, out: _Collector) -> Rule | None:
    location = _loc(file, node)
    fields = _mapping(node)
    if fields is None:
        out.add(location, "一条规则要写成键值对：id、title、when、outcome 和 reason")
        return None
    before = len(out.problems)
    known = RULE_KEYS | META_KEYS
    for key in sorted(fields.keys() - known):
        where = _loc(file, fields[key])
        if key == "effective_from":
            out.add(
                where,
                "effective_from 不写在规则里：生效时间在批准版本时指定，对整个版本生效",
            )
        else:
            out.add(where, f"不认识的键 '{key}'" + _suggest(key, sorted(known)))
    for key in sorted(RULE_KEYS - fields.keys()):
        out.add(location, f"规则缺少 '{key}'")
    rule_id = _scalar(fields["id"]) if "id" in fields else None
    title = _scalar(fields["title"]) if "title" in fields else None
    if "id" in fields and not (rule_id and re.fullmatch(r"[A-Z][A-Z0-9-]{1,63}", rule_id)):
        out.add(_loc(file, fields["id"]), "id 只能由大写字母、数字和连字符组成，例如 R08-UNDER-16")
    if "title" in fields and not title:
        out.add(_loc(file, fields["title"]), "title 要写成一段文字")
    outcome: Outcome | None = None
    if "outcome" in fields:
        raw = _scalar(fields["outcome"]) or ""
        try:
            outcome = Outcome(raw)
        except ValueError:
            choices = [o.value for o in Outcome]
            listed = "、".join(f"{c}（{_OUTCOME_NAMES[c]}）" for c in choices)
            out.add(
                _loc(file, fields["outcome"]),
                f"不认识的结果 '{raw}'，可选：{listed}" + _suggest(raw, choices),
            )
    reason: Reason | None = None
    if "reason" in fields:
        reason_fields = _mapping(fields["reason"])
        if reason_fields is None:
            out.add(_loc(file, fields["reason"]), "reason 下要写 code、text 和 basis")
        else:
            for key in sorted(REASON_KEYS - reason_fields.keys()):
                out.add(
                    _loc(file, fields["reason"]),
                    f"reason 缺少 '{key}'",
                )
            for key in sorted(reason_fields.keys() - REASON_KEYS):
                out.add(
                    _loc(file, reason_fields[key]),
                    f"reason 下不认识的键 '{key}'" + _suggest(key, sorted(REASON_KEYS)),
                )
            parts = {k: _scalar(v) for k, v in reason_fields.items()}
            for key in REASON_KEYS & parts.keys():
                if not parts[key]:
                    node = reason_fields[key]
                    message = (
                        _BRACE_START_HINT
                        if isinstance(node, yaml.MappingNode) and node.flow_style
                        else f"reason 的 {key} 要写成一段不为空的文字"
                    )
                    out.add(_loc(file, node), message)
            basis = parts.get("basis")
            if basis and placeholder_basis(basis):
                out.add(
                    _loc(file, reason_fields["basis"]),
                    f"basis {basis!r} 只是占位：请写明所依据的法规和条款，"
                    "例如《民法典》第十七条、第十八条",
                )
            template = (
                _parse_reason_text(reason_fields["text"], str(parts["text"]), file, out)
                if parts.get("text")
                else None
            )
            if all(parts.get(k) for k in REASON_KEYS) and template is not None:
                code = str(parts["code"])
                if not re.fullmatch(r"[A-Z][A-Z0-9_]{1,63}", code):
                    out.add(
                        _loc(file, reason_fields["code"]),
                        "reason 的 code 由大写字母、数字和下划线组成，例如 AGE_UNDER_16",
                    )
                reason = Reason(code, str(parts["text"]), str(parts["basis"]), template)
    meta = _parse_meta(fields, file, out)
    when = _parse_group("all", fields["when"], file, out) if "when" in fields else None
    if len(out.problems) > before or not (rule_id and title and when and outcome and reason):
        return None
    return Rule(rule_id, title, when, outcome, reason, location, meta)


def _compose(text: str, file: str) -> yaml.Node | None:
    """The file's node tree; RuleFileError for YAML errors and duplicated keys, in plain words."""
    try:
        return compose_strict(text)
    except YamlRefused as exc:
        problems = []
        for problem in exc.problems:
            message = problem.message
            if _TEXT_WITH_BRACE.search(_line_of(text, problem.line)):
                message += f"；{_BRACES_IN_YAML_HINT}"
            problems.append(Problem(Location(file, problem.line, problem.column), message))
        raise RuleFileError(problems) from None


def _line_of(text: str, line: int) -> str:
    lines = text.split("\n")
    return lines[line - 1] if 0 < line <= len(lines) else ""


_NO_RULES = yaml.SequenceNode("tag:yaml.org,2002:seq", [])


def parse_rule_file(path: Path, display_name: str | None = None) -> list[Rule]:
    """Parse one rule file; raise RuleFileError with every problem found."""
    file = display_name or path.name
    out = _Collector()
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise RuleFileError([Problem(Location(file, 1, 1), "文件不是UTF-8编码的文字")]) from None
    root = _compose(text, file)
    top = _mapping(root) if root is not None else None
    if top is None or not (
        isinstance(top.get("rules"), yaml.SequenceNode) or ("tables" in top and "rules" not in top)
    ):
        raise RuleFileError(
            [
                Problem(
                    Location(file, 1, 1),
                    "规则文件以 rules:（或 tables:）开头，下接列表（每条以 - 开头）",
                )
            ]
        )
    for key in sorted(top.keys() - {"rules", "tables"}):
        out.add(_loc(file, top[key]), f"文件顶层不认识的键 '{key}'：顶层只写 rules: 或 tables:")
    rules = [r for node in top.get("rules", _NO_RULES).value if (r := _parse_rule(node, file, out))]
    if "tables" in top:
        from approval.engine.tables import parse_tables  # tables build on this module

        rules += parse_tables(top["tables"], file, out)
    if out.problems:
        raise RuleFileError(out.problems)
    return rules


# every YAML file a loader reads, by relative path; "*" is one file name
READ_FILES = (
    "*.yaml",
    "words/prohibited.yaml",
    "words/restricted.yaml",
    "words/org_forms.yaml",
    "words/divisions.yaml",
    "words/industries.yaml",
    "words/traditional.yaml",
    "tests/baseline.yaml",
    "tests/cases.yaml",
    "catalog/scope.yaml",
    "catalog/departments.yaml",
    "catalog/halls.yaml",
    "catalog/bundles.yaml",
    "catalog/items/*.yaml",
    "calendar/holidays.yaml",
    "supervision/departments.yaml",
)


def _is_read(relative: str) -> bool:
    parts = relative.split("/")
    for pattern in READ_FILES:
        wanted = pattern.split("/")
        if len(wanted) == len(parts) and all(
            w == p or (w == "*.yaml" and p.endswith(".yaml"))
            for w, p in zip(wanted, parts, strict=True)
        ):
            return True
    return False


def unread_files(rules_dir: Path) -> list[Problem]:
    """YAML files in the rules folder that no loader reads: a rule put there would be ignored."""
    problems = []
    for path in sorted(rules_dir.rglob("*")):
        relative = path.relative_to(rules_dir).as_posix()
        if path.suffix not in (".yaml", ".yml") or not path.is_file() or _is_read(relative):
            continue
        if "/" not in relative:
            why = "规则文件要以 .yaml 结尾"
        else:
            why = "规则只从规则目录顶层的 *.yaml 读取，子目录里只读固定的几个文件"
        problems.append(
            Problem(
                Location(f"{rules_dir.name}/{relative}", 1, 1),
                f"这个文件不会被读取（{why}），里面的内容不会生效：请把规则移到顶层的 .yaml 文件，"
                "或删除这个文件",
            )
        )
    return problems


def parse_rules_dir(rules_dir: Path) -> list[Rule]:
    """Every ``*.yaml`` directly in the folder, all or nothing, ids and reason codes unique
    across files; a YAML file that no loader reads is refused too."""
    problems: list[Problem] = unread_files(rules_dir)
    rules: list[Rule] = []
    files = sorted(rules_dir.glob("*.yaml"))
    if not files:
        problems.append(
            Problem(Location(str(rules_dir.name), 1, 1), "规则目录顶层没有规则文件（*.yaml）")
        )
        raise RuleFileError(problems)
    for path in files:
        try:
            rules.extend(parse_rule_file(path, f"{rules_dir.name}/{path.name}"))
        except RuleFileError as exc:
            problems.extend(exc.problems)
    seen: dict[str, Rule] = {}
    codes: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in seen:
            problems.append(
                Problem(
                    rule.location,
                    f"规则 id {rule.id} 重复，第一次出现在 {seen[rule.id].location}",
                )
            )
        seen.setdefault(rule.id, rule)
        first = codes.setdefault(rule.reason.code, rule)
        if first is not rule and first.id != rule.id:
            problems.append(
                Problem(
                    rule.location,
                    f"原因代码 {rule.reason.code} 重复：规则 {first.id}（{first.location}）和 "
                    f"{rule.id}（{rule.location}）都用它；每条规则的原因代码要各不相同",
                )
            )
    if problems:
        raise RuleFileError(problems)
    return rules


def conditions_of(group: Group) -> list[Condition]:
    found: list[Condition] = []
    for item in group.items:
        found.extend(conditions_of(item) if isinstance(item, Group) else [item])
    return found
