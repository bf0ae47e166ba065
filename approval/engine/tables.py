"""Decision tables: banded rules on one numeric fact, written as rows and checked as a whole.

A rule file may hold ``tables:`` beside (or instead of) ``rules:``::

    tables:
      - id: T06-FACE-SCORE
        title: 人脸比对得分分档
        input: identity.face_match_score
        when:                          # optional: the table applies only when these hold
          - identity.liveness_passed == true
        hit: unique                    # unique: bands never overlap; first: the first row wins
        complete: true                 # the bands cover every value the fact can take
        rows:
          - band: "< 0.6"
            id: R06-FACE-MISMATCH      # optional; else T06-FACE-SCORE-1 (table id, row number)
            title: 人脸比对不一致       # optional; else the table's title and the band
            outcome: manual_review
            reason: {code: FACE_MISMATCH, text: …, basis: …}
          - band: ">= 0.6 and < 0.8"
            outcome: manual_review
            reason: {code: FACE_UNCERTAIN, text: …, basis: …}
          - band: ">= 0.8"
            outcome: approve            # written out, so "not covered" is never an accident

A band is one or two limits joined by ``and`` (or 且): ``< 0.6``, ``>= 16 and < 18``,
``== 0``; ``≥ ≤`` may stand for ``>= <=``. Every row but an approve row becomes an ordinary
:class:`~approval.engine.language.Rule` (a :class:`TableRowRule`) whose conditions are the
table's ``when``, the band, and under ``first`` the negation of every earlier row's band, so
the compiler, decisions, reasons and simulations see rules as before. ``hit`` defaults to
``unique`` and ``complete`` to ``true``: a gap in the bands, or an overlap under ``unique``, is
refused at parse time naming both rows.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from approval.engine.facts import FACTS, FactSpec, FactType
from approval.engine.language import (
    Condition,
    Group,
    Location,
    Rule,
    _Collector,
    _loc,
    _mapping,
    _parse_group,
    _parse_rule,
    _scalar,
)

TABLE_KEYS = {"id", "title", "input", "when", "hit", "complete", "rows"}
ROW_KEYS = {"band", "id", "title", "outcome", "reason"}
HIT_POLICIES = ("unique", "first")
APPROVE = "approve"
_ID = re.compile(r"[A-Z][A-Z0-9-]{1,59}")
_LIMIT = re.compile(r"^\s*(?P<op><=|>=|==|<|>|=|≤|≥)\s*(?P<value>-?\d{1,15}(?:\.\d{1,10})?)\s*$")
MAX_ROWS = 200
_JOIN = re.compile(r"\s+and\s+|\s*且\s*")
_SPELLING = {"≤": "<=", "≥": ">=", "=": "=="}
_SHOWN = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "="}
_NEGATION = {"<": ">=", "<=": ">", ">": "<=", ">=": "<"}


@dataclass(frozen=True, slots=True)
class Interval:
    """A band as a stretch of the real line. An integer band [a, b] is held as [a, b+1), so
    integer and real bands meet, overlap and leave gaps by the same arithmetic."""

    low: float
    low_closed: bool
    high: float
    high_closed: bool

    def contains(self, value: float) -> bool:
        above = value > self.low or (self.low_closed and value == self.low)
        below = value < self.high or (self.high_closed and value == self.high)
        return above and below

    def empty(self) -> bool:
        return self.low > self.high or (
            self.low == self.high and not (self.low_closed and self.high_closed)
        )

    def meet(self, other: Interval) -> Interval:
        if (self.low, not self.low_closed) >= (other.low, not other.low_closed):
            low, low_closed = self.low, self.low_closed
        else:
            low, low_closed = other.low, other.low_closed
        if (self.high, self.high_closed) <= (other.high, other.high_closed):
            high, high_closed = self.high, self.high_closed
        else:
            high, high_closed = other.high, other.high_closed
        return Interval(low, low_closed, high, high_closed)


@dataclass(frozen=True, slots=True)
class TableRow:
    number: int  # 1-based, as staff count rows
    band: str  # as shown: ≥0.6 且 <0.8
    outcome: str  # an Outcome's value, or "approve"
    rule_id: str | None  # None for an approve row
    interval: Interval
    location: Location


@dataclass(frozen=True, slots=True)
class DecisionTable:
    id: str
    title: str
    input: str
    hit: str
    complete: bool
    rows: tuple[TableRow, ...]
    location: Location

    def row_for(self, value: Any) -> TableRow | None:
        """The row a value falls in: the first under ``first``, the only one under ``unique``."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return next((row for row in self.rows if row.interval.contains(value)), None)


@dataclass(frozen=True, slots=True)
class TableRowRule(Rule):
    """The rule one row of a decision table compiles to."""

    table: DecisionTable = field(kw_only=True)
    row: int = field(kw_only=True)


@dataclass(frozen=True, slots=True)
class _Limit:
    op: str  # < <= > >= ==
    value: int | float
    raw: str
    offset: int  # where the limit starts in the band's text


def _number_text(value: float) -> str:
    if value == int(value):
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _fact_range(spec: FactSpec) -> Interval:
    low = getattr(spec, "minimum", None)
    high = getattr(spec, "maximum", None)
    if spec.type is FactType.INT:
        return Interval(
            -math.inf if low is None else float(low),
            True,
            math.inf if high is None else float(high) + 1,
            False,
        )
    return Interval(
        -math.inf if low is None else float(low),
        low is not None,
        math.inf if high is None else float(high),
        high is not None,
    )


def _interval(limits: list[_Limit], integer: bool) -> Interval:
    band = Interval(-math.inf, False, math.inf, False)
    for limit in limits:
        v = float(limit.value)
        match limit.op:
            case "<":
                part = Interval(-math.inf, False, v, False)
            case "<=":
                part = Interval(-math.inf, False, v, True)
            case ">":
                part = Interval(v, False, math.inf, False)
            case ">=":
                part = Interval(v, True, math.inf, False)
            case _:
                part = Interval(v, True, v, True)
        band = band.meet(part)
    if not integer:
        return band
    # integers only: [first, last] as [first, last + 1)
    first = -math.inf if band.low == -math.inf else math.floor(band.low) + 1
    if band.low_closed and band.low == math.floor(band.low):
        first = band.low
    last = math.inf if band.high == math.inf else math.ceil(band.high) - 1
    if band.high_closed and band.high == math.ceil(band.high):
        last = band.high
    return Interval(first, True, last + 1, False)


def interval_text(band: Interval, integer: bool) -> str:
    """A stretch of values as staff read it: ≥0.6 且 <0.65, 16 至 17, 15."""
    if integer:
        first, last = band.low, band.high - 1
        if first == last:
            return _number_text(first)
        if first == -math.inf:
            return f"≤{_number_text(last)}"
        if last == math.inf:
            return f"≥{_number_text(first)}"
        return f"{_number_text(first)} 至 {_number_text(last)}"
    if band.low == band.high:
        return _number_text(band.low)
    parts = []
    if band.low != -math.inf:
        parts.append(("≥" if band.low_closed else ">") + _number_text(band.low))
    if band.high != math.inf:
        parts.append(("≤" if band.high_closed else "<") + _number_text(band.high))
    return " 且 ".join(parts) or "任意值"


def uncovered(covering: list[Interval], whole: Interval) -> list[Interval]:
    """The stretches of ``whole`` that none of ``covering`` contains, in order."""
    pieces = sorted(
        (c.meet(whole) for c in covering if not c.meet(whole).empty()),
        key=lambda c: (c.low, not c.low_closed),
    )
    gaps: list[Interval] = []
    # everything below ``reach`` is covered; ``reach`` itself too when ``reach_closed``
    reach, reach_closed = whole.low, not whole.low_closed
    for piece in pieces:
        starts_in_time = piece.low < reach or (
            piece.low == reach and (piece.low_closed or reach_closed)
        )
        if not starts_in_time:
            gaps.append(Interval(reach, not reach_closed, piece.low, not piece.low_closed))
        if piece.high > reach or (piece.high == reach and piece.high_closed and not reach_closed):
            reach, reach_closed = piece.high, piece.high_closed
    tail = Interval(reach, not reach_closed, whole.high, whole.high_closed)
    if not tail.empty() and reach != math.inf:
        gaps.append(tail)
    return [g for g in gaps if not g.empty()]


def _parse_band(node: yaml.Node, file: str, out: _Collector) -> list[_Limit] | None:
    text = _scalar(node)
    location = _loc(file, node)
    if not text:
        out.add(location, '区间（band）须是文字，例如 "< 0.6" 或 ">= 0.6 and < 0.8"')
        return None
    limits: list[_Limit] = []
    starts = [0, *(m.end() for m in _JOIN.finditer(text))]
    for start, part in zip(starts, _JOIN.split(text), strict=True):
        match = _LIMIT.match(part)
        if not match:
            out.add(
                location,
                f"看不懂区间 {text!r} 中的 {part.strip()!r}：每个界限写成 比较符 数值"
                '（< <= > >= ==），两个界限用 and 连接，例如 ">= 0.6 and < 0.8"',
            )
            return None
        op = _SPELLING.get(match["op"], match["op"])
        offset = start + len(part) - len(part.lstrip())
        limits.append(_Limit(op, json.loads(match["value"]), match["value"], offset))
    lows = [lim for lim in limits if lim.op in (">", ">=")]
    highs = [lim for lim in limits if lim.op in ("<", "<=")]
    exact = [lim for lim in limits if lim.op == "=="]
    if len(lows) > 1 or len(highs) > 1 or (exact and len(limits) > 1) or len(limits) > 2:
        out.add(location, f"区间 {text!r} 最多有一个下限和一个上限（或单独一个 == 数值）")
        return None
    return limits


def _band_conditions(table_input: str, limits: list[_Limit], node: yaml.Node) -> yaml.SequenceNode:
    """The band as the text conditions a rule's ``when`` holds, placed at the band's line."""
    items = [
        yaml.ScalarNode(
            "tag:yaml.org,2002:str",
            f"{table_input} {lim.op} {lim.raw}",
            _mark_at(node, lim.offset),
            node.end_mark,
        )
        for lim in limits
    ]
    return yaml.SequenceNode("tag:yaml.org,2002:seq", items, node.start_mark, node.end_mark)


def _mark_at(node: yaml.Node, offset: int) -> yaml.Mark:
    """The mark of a character of a one-line scalar that escapes nothing, else its start."""
    start, end = node.start_mark, node.end_mark
    if start.buffer is None or start.line != end.line:
        return start
    quote = 1 if getattr(node, "style", None) in ("'", '"') else 0
    if start.buffer[start.pointer + quote : end.pointer - quote] != node.value:
        return start
    shift = quote + offset
    return yaml.Mark(
        start.name,
        start.index + shift,
        start.line,
        start.column + shift,
        start.buffer,
        start.pointer + shift,
    )


def _negation(table_input: str, limits: list[_Limit], location: Location) -> Condition | Group:
    """A condition that holds exactly outside an earlier row's band."""
    conds: list[Condition | Group] = []
    for lim in limits:
        if lim.op == "==":
            conds.append(
                Condition(table_input, "!=", lim.value, f"{table_input} != {lim.raw}", location)
            )
        else:
            op = _NEGATION[lim.op]
            conds.append(
                Condition(table_input, op, lim.value, f"{table_input} {op} {lim.raw}", location)
            )
    return conds[0] if len(conds) == 1 else Group("any", tuple(conds), location)


def _scalar_node(text: str, like: yaml.Node) -> yaml.ScalarNode:
    return yaml.ScalarNode("tag:yaml.org,2002:str", text, like.start_mark, like.end_mark)


def _input_spec(
    node: yaml.Node | None, location: Location, file: str, out: _Collector
) -> FactSpec | None:
    if node is None:
        out.add(location, "表缺少 input：写出按哪一个数值事实分档，例如 input: operator.age")
        return None
    name = _scalar(node) or ""
    spec = FACTS.get(name)
    numeric = [n for n, s in FACTS.items() if s.type in (FactType.INT, FactType.NUMBER)]
    if spec is None:
        close = difflib.get_close_matches(name, numeric, n=1, cutoff=0.6)
        hint = f"；是否想写 '{close[0]}'？" if close else ""
        out.add(_loc(file, node), f"未知的事实 '{name}'{hint}")
        return None
    if spec.reason_only or spec.type not in (FactType.INT, FactType.NUMBER):
        out.add(
            _loc(file, node),
            f"表只能按数值事实分档，{name}（{spec.description}）是 {spec.type.value}；"
            "其他条件写在表的 when 中",
        )
        return None
    return spec


def _parse_table(node: yaml.Node, file: str, out: _Collector) -> list[Rule]:
    location = _loc(file, node)
    fields = _mapping(node)
    if fields is None:
        out.add(location, "一张表是一个映射，含 id、title、input、rows，可选 when、hit、complete")
        return []
    before = len(out.problems)
    for key in sorted(fields.keys() - TABLE_KEYS):
        out.add(
            _loc(file, fields[key]),
            f"表中未知的键 '{key}'（可用：{'、'.join(sorted(TABLE_KEYS))}）",
        )
    table_id = _scalar(fields["id"]) if "id" in fields else None
    if not table_id or not _ID.fullmatch(table_id):
        where = _loc(file, fields["id"]) if "id" in fields else location
        out.add(where, "表的 id 由大写字母、数字和连字符组成（至多60个字符），例如 T06-FACE-SCORE")
        table_id = None
    title = _scalar(fields["title"]) if "title" in fields else None
    if not title:
        out.add(_loc(file, fields["title"]) if "title" in fields else location, "表缺少标题 title")
    spec = _input_spec(fields.get("input"), location, file, out)
    hit = (_scalar(fields["hit"]) or "") if "hit" in fields else "unique"
    if hit not in HIT_POLICIES:
        out.add(
            _loc(file, fields["hit"]),
            f"未知的命中规则 hit: {hit}（unique：各行区间不得重叠；first：按顺序第一行命中）",
        )
    complete_node = fields.get("complete")
    complete = True
    if complete_node is not None:
        raw = _scalar(complete_node)
        if raw not in ("true", "false"):
            out.add(_loc(file, complete_node), "complete 只能是 true 或 false")
        complete = raw != "false"
    guard: Group | None = None
    if "when" in fields:
        guard = _parse_group("all", fields["when"], file, out)
    rows_node = fields.get("rows")
    if not isinstance(rows_node, yaml.SequenceNode) or not rows_node.value:
        out.add(_loc(file, rows_node) if rows_node else location, "表的 rows 须是至少一行的列表")
        return []
    if len(rows_node.value) > MAX_ROWS:
        out.add(_loc(file, rows_node), f"一张表至多 {MAX_ROWS} 行；分档更多时请拆成几张表")
        return []
    if len(out.problems) > before or spec is None or table_id is None or not title:
        return []
    integer = spec.type is FactType.INT
    whole = _fact_range(spec)

    rows: list[tuple[TableRow, list[_Limit], Rule | None]] = []
    for number, row_node in enumerate(rows_node.value, start=1):
        parsed = _parse_row(row_node, number, table_id, title, spec, integer, whole, file, out)
        if parsed is not None:
            rows.append(parsed)
    if len(out.problems) > before:
        return []

    _check_bands(table_id, spec, hit, complete, whole, [r for r, _, _ in rows], integer, out)
    if len(out.problems) > before:
        return []

    table = DecisionTable(
        table_id, title, spec.name, hit, complete, tuple(r for r, _, _ in rows), location
    )
    compiled: list[Rule] = []
    for index, (row, _limits, rule) in enumerate(rows):
        if rule is None:
            continue
        items: list[Condition | Group] = [*(guard.items if guard else ()), *rule.when.items]
        if hit == "first":
            items += [_negation(spec.name, limits, r.location) for r, limits, _ in rows[:index]]
        when = Group("all", tuple(items), rule.when.location)
        compiled.append(
            TableRowRule(
                rule.id,
                rule.title,
                when,
                rule.outcome,
                rule.reason,
                rule.location,
                rule.meta,
                table=table,
                row=row.number,
            )
        )
    return compiled


def _parse_row(
    node: yaml.Node,
    number: int,
    table_id: str,
    table_title: str,
    spec: FactSpec,
    integer: bool,
    whole: Interval,
    file: str,
    out: _Collector,
) -> tuple[TableRow, list[_Limit], Rule | None] | None:
    location = _loc(file, node)
    fields = _mapping(node)
    if fields is None or "band" not in fields:
        out.add(location, f"第{number}行须是映射，至少有 band（区间）和 outcome（结论）")
        return None
    before = len(out.problems)
    for key in sorted(fields.keys() - ROW_KEYS):
        out.add(
            _loc(file, fields[key]),
            f"表的行中未知的键 '{key}'（可用：{'、'.join(sorted(ROW_KEYS))}）；"
            "对整张表都适用的条件写在表的 when 中",
        )
    limits = _parse_band(fields["band"], file, out)
    outcome = _scalar(fields["outcome"]) if "outcome" in fields else None
    if outcome is None:
        out.add(location, f"第{number}行缺少 outcome（结论）")
    if limits is None or outcome is None or len(out.problems) > before:
        return None
    band = _interval(limits, integer)
    shown = " 且 ".join(f"{_SHOWN[lim.op]}{lim.raw}" for lim in limits)
    band_at = _loc(file, fields["band"])
    if band.meet(whole).empty():
        out.add(
            band_at,
            f"第{number}行的区间 {shown} 中没有 {spec.name}（{spec.description}）"
            f"可取的值（取值范围 {interval_text(whole, integer)}），这一行永远不会命中",
        )
        return None
    if outcome == APPROVE:
        for key in ("id", "reason"):
            if key in fields:
                out.add(_loc(file, fields[key]), f"批准行不产生规则，不写 {key}")
        # the band's values must still be of the fact's type
        conds = _band_conditions(spec.name, limits, fields["band"])
        _parse_group("all", conds, file, out)
        if len(out.problems) > before:
            return None
        return TableRow(number, shown, APPROVE, None, band, location), limits, None
    rule_id = f"{table_id}-{number}"
    id_node = fields.get("id", fields["band"])
    title_node = fields.get("title") or _scalar_node(f"{table_title}（{shown}）", fields["band"])
    pairs: list[tuple[yaml.Node, yaml.Node]] = [
        (_scalar_node("id", id_node), fields.get("id") or _scalar_node(rule_id, id_node)),
        (_scalar_node("title", title_node), title_node),
        (
            _scalar_node("when", fields["band"]),
            _band_conditions(spec.name, limits, fields["band"]),
        ),
        (_scalar_node("outcome", fields["outcome"]), fields["outcome"]),
    ]
    if "reason" in fields:
        pairs.append((_scalar_node("reason", fields["reason"]), fields["reason"]))
    synthesized = yaml.MappingNode("tag:yaml.org,2002:map", pairs, node.start_mark, node.end_mark)
    rule = _parse_rule(synthesized, file, out)
    if rule is None or len(out.problems) > before:
        return None
    return TableRow(number, shown, rule.outcome.value, rule.id, band, location), limits, rule


def _check_bands(
    table_id: str,
    spec: FactSpec,
    hit: str,
    complete: bool,
    whole: Interval,
    rows: list[TableRow],
    integer: bool,
    out: _Collector,
) -> None:
    fact = f"{spec.name}（{spec.description}）"

    def where(row: TableRow) -> str:
        return f"第{row.number}行（{row.location.file}:{row.location.line}）"

    if hit == "unique":
        for i, first in enumerate(rows):
            for second in rows[i + 1 :]:
                common = first.interval.meet(second.interval).meet(whole)
                if not common.empty():
                    out.add(
                        second.location,
                        f"表 {table_id} 的{where(first)}与{where(second)}的区间在 "
                        f"{interval_text(common, integer)} 重叠；hit: unique 要求各行区间互不重叠："
                        "请改正区间，或写 hit: first 让靠前的行优先",
                    )
    else:
        for index, row in enumerate(rows):
            earlier = [r.interval for r in rows[:index]]
            if index and not uncovered(earlier, row.interval.meet(whole)):
                out.add(
                    row.location,
                    f"表 {table_id} 的{where(row)}永远不会命中：它的区间 {row.band} "
                    "已全部被前面的行占用（hit: first 按顺序取第一行）",
                )
    if not complete:
        return
    for gap in uncovered([r.interval for r in rows], whole):
        below = [r for r in rows if r.interval.high <= gap.low]
        above = [r for r in rows if r.interval.low >= gap.high]
        before_row = max(below, key=lambda r: r.interval.high, default=None)
        after_row = min(above, key=lambda r: r.interval.low, default=None)
        if before_row and after_row:
            between = f"在{where(before_row)}与{where(after_row)}之间"
        elif after_row:
            between = f"在{where(after_row)}之前"
        elif before_row:
            between = f"在{where(before_row)}之后"
        else:
            between = ""
        out.add(
            (after_row or before_row or rows[0]).location,
            f"表 {table_id} 没有覆盖 {fact} 取值 {interval_text(gap, integer)}（{between}）："
            "这些申请不会命中任何一行而直接批准。请补上这一段；若本应批准，"
            "写一行 outcome: approve；确实不需要覆盖全部取值时写 complete: false",
        )


def parse_tables(node: yaml.Node, file: str, out: _Collector) -> list[Rule]:
    """The rules a file's ``tables:`` list compiles to; problems go to ``out``."""
    if not isinstance(node, yaml.SequenceNode):
        out.add(_loc(file, node), "tables: 须是表的列表")
        return []
    rules: list[Rule] = []
    seen: dict[str, Location] = {}
    for table_node in node.value:
        table_rules = _parse_table(table_node, file, out)
        rules.extend(table_rules)
        if table_rules and isinstance(table_rules[0], TableRowRule):
            table = table_rules[0].table
            if table.id in seen:
                out.add(table.location, f"表 id {table.id} 重复（第一次出现在 {seen[table.id]}）")
            seen.setdefault(table.id, table.location)
    return rules
