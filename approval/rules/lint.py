"""Semantic lint: rules that can never fire, never matter, always hold, or fight each other.

Every condition compares one fact with constants, and facts are independent of each other in
the declared schema. So for each fact, the constants the rules mention cut its values into a
few regions on which every condition is constant (``age < 16`` and ``age >= 18`` cut ages into
below 16, 16, 17, 18, above 18). Checking one representative value per region decides
exactly whether conditions can hold together, or whether one rule's conditions imply another's.

Deciding outcomes are ranked (reject > manual_review > approve_with_conditions), and the
strongest rule that fires decides. So a reject rule overlapping a manual-review rule is normal
and is not reported; what is reported:

- unreachable: the rule's conditions contradict each other, it can never fire;
- always_true: a condition holds for every application (or whenever the rule's other conditions
  hold, so it changes nothing), or a whole rule fires on every application;
- shadowed: whenever the rule fires, another rule with the same outcome fires too;
- overridden: whenever the rule fires, a rule with a stronger outcome fires too, so this rule
  can never decide anything;
- conflict: two rules with different deciding outcomes constrain the same fact with ranges (or
  value lists) that partly overlap, the typical off-by-one between two neighbouring bands;
- out_of_range: a condition compares a fact with a value outside the range the fact schema
  declares (a score above 1), so it always or never holds;
- gap: between two bands of a numeric fact (rules that only bound that fact) lies an interval
  that no band as strong covers, so those applications fall through to a weaker outcome;
- undecided: a pair or rule spanning too many value combinations to compare; said, never hidden;
- review_overdue: a rule's ``review_by`` date has passed;
- one_character_word, duplicate_word: word-list entries that match far too much or twice.

Every finding has a severity: an error stops a change from being approved, a warning is for
the author and the approver to read.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from approval.engine.compiler import evaluate_condition
from approval.engine.facts import FACTS, FactType
from approval.engine.language import Condition, Group, Outcome, Rule, conditions_of
from approval.engine.ruleset import OUTCOME_STRENGTH
from approval.names.analysis import NameLexicon

DECIDING = {Outcome.REJECT, Outcome.MANUAL_REVIEW, Outcome.APPROVE_WITH_CONDITIONS}
# A pair of rules spanning more combinations than this is not compared (reported as undecided).
MAX_COMBINATIONS = 50_000

Assignment = dict[str, Any]
Conjunction = tuple[Condition, ...]


Severity = Literal["error", "warning"]
_WARNING_KINDS = frozenset(
    {"shadowed", "undecided", "review_overdue", "one_character_word", "duplicate_word"}
)


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str  # see the module docstring
    rule_ids: tuple[str, ...]
    message: str
    severity: Severity | None = None  # None: the kind's usual severity

    @property
    def level(self) -> Severity:
        if self.severity is not None:
            return self.severity
        return "warning" if self.kind in _WARNING_KINDS else "error"

    @property
    def is_error(self) -> bool:
        return self.level == "error"

    def __str__(self) -> str:
        return f"[{'错误' if self.is_error else '提醒'}] {self.kind}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.level,
            "rules": list(self.rule_ids),
            "message": self.message,
        }


def _where(rule: Rule) -> str:
    return f"{rule.id} ({rule.location.file}:{rule.location.line})"


def _cond(cond: Condition) -> str:
    return f"'{cond.source}'（第{cond.location.line}行）"


# ---------------------------------------------------------------- representative values


def representatives(rules: Iterable[Rule]) -> dict[str, list[Any]]:
    """For every fact the rules name, one value per region the rules' constants cut it into."""
    constants: dict[str, set[Any]] = {}
    for rule in rules:
        for cond in conditions_of(rule.when):
            values = cond.value if isinstance(cond.value, list) else [cond.value]
            constants.setdefault(cond.fact, set()).update(values)
    return {fact: _regions(fact, values) for fact, values in constants.items()}


def _in_range(fact: str, value: float) -> bool:
    spec = FACTS[fact]
    return (spec.minimum is None or value >= spec.minimum) and (
        spec.maximum is None or value <= spec.maximum
    )


def _regions(fact: str, constants: set[Any]) -> list[Any]:
    """Within the fact's declared range: its bounds are cut points too, nothing lies beyond."""
    spec = FACTS[fact]
    bounds = {b for b in (spec.minimum, spec.maximum) if b is not None}
    match spec.type:
        case FactType.BOOL:
            return [False, True]
        case FactType.ENUM:
            return list(spec.choices)
        case FactType.TEXT:
            return sorted(constants) + ["\0any other text"]
        case FactType.INT:
            points = sorted({int(c) for c in constants} | {int(b) for b in bounds})
            reps = {points[0] - 1, points[-1] + 1, *points}
            for low, high in itertools.pairwise(points):
                if high - low > 1:
                    reps.add(low + 1)
            return sorted(r for r in reps if _in_range(fact, r))
        case FactType.NUMBER:
            numbers = sorted({float(c) for c in constants} | {float(b) for b in bounds})
            reps_f = {numbers[0] - 1.0, numbers[-1] + 1.0, *numbers}
            reps_f.update((low + high) / 2 for low, high in itertools.pairwise(numbers))
            return sorted(r for r in reps_f if _in_range(fact, r))
    raise AssertionError(spec.type)


# ---------------------------------------------------------------- conditions as alternatives


def alternatives(group: Group) -> list[Conjunction]:
    """The group as alternatives (an OR of ANDs of conditions)."""
    parts: list[list[Conjunction]] = [
        alternatives(item) if isinstance(item, Group) else [(item,)] for item in group.items
    ]
    if group.kind == "any":
        return [conj for part in parts for conj in part]
    return [tuple(itertools.chain.from_iterable(combo)) for combo in itertools.product(*parts)]


def _holds(cond: Condition, value: Any) -> bool:
    return evaluate_condition(cond, {cond.fact: value}).passed


def _values(conj: Conjunction, fact: str, reps: dict[str, list[Any]]) -> frozenset[Any]:
    """The representative values of ``fact`` for which every condition of ``conj`` on it holds."""
    on_fact = [c for c in conj if c.fact == fact]
    return frozenset(v for v in reps[fact] if all(_holds(c, v) for c in on_fact))


def _facts(conj: Conjunction) -> set[str]:
    return {c.fact for c in conj}


def _satisfiable(conj: Conjunction, reps: dict[str, list[Any]]) -> bool:
    return all(_values(conj, fact, reps) for fact in _facts(conj))


def _predicate(group: Group) -> Callable[[Assignment], bool]:
    checks = [
        _predicate(item) if isinstance(item, Group) else _condition_predicate(item)
        for item in group.items
    ]
    if group.kind == "all":
        return lambda facts: all(check(facts) for check in checks)
    return lambda facts: any(check(facts) for check in checks)


def _condition_predicate(cond: Condition) -> Callable[[Assignment], bool]:
    return lambda facts: _holds(cond, facts[cond.fact])


def _group_facts(group: Group) -> list[str]:
    return sorted({c.fact for c in conditions_of(group)})


def _assignments(facts: Sequence[str], reps: dict[str, list[Any]]) -> Iterable[Assignment] | None:
    size = 1
    for fact in facts:
        size *= len(reps[fact])
    if size > MAX_COMBINATIONS:
        return None
    return (
        dict(zip(facts, combo, strict=True))
        for combo in itertools.product(*(reps[f] for f in facts))
    )


def implies(narrow: Group, wide: Group, reps: dict[str, list[Any]]) -> bool | None:
    """Whether ``wide`` holds whenever ``narrow`` holds (None: too many combinations to tell)."""
    facts = sorted(set(_group_facts(narrow)) | set(_group_facts(wide)))
    combos = _assignments(facts, reps)
    if combos is None:
        return None
    holds_narrow, holds_wide = _predicate(narrow), _predicate(wide)
    return all(holds_wide(a) for a in combos if holds_narrow(a))


def _always(group: Group, reps: dict[str, list[Any]]) -> bool | None:
    """Whether the group holds on every application (None: too many combinations to tell)."""
    combos = _assignments(_group_facts(group), reps)
    if combos is None:
        return None
    return all(_predicate(group)(a) for a in combos)


def _combinations(facts: Iterable[str], reps: dict[str, list[Any]]) -> int:
    size = 1
    for fact in set(facts):
        size *= len(reps[fact])
    return size


def _undecided(rules: Sequence[Rule], what: str, reps: dict[str, list[Any]]) -> Finding:
    facts = [f for rule in rules for f in _group_facts(rule.when)]
    names = "与".join(_where(rule) for rule in rules)
    return Finding(
        "undecided",
        tuple(rule.id for rule in rules),
        f"未能判定：{names}的取值组合过多（{_combinations(facts, reps):,} 种，超过 "
        f"{MAX_COMBINATIONS:,} 种），没有检查{what}；请人工核对，或把规则拆小",
    )


# ---------------------------------------------------------------- the checks


def _unreachable(rule: Rule, reps: dict[str, list[Any]]) -> Finding | None:
    alts = alternatives(rule.when)
    if any(_satisfiable(conj, reps) for conj in alts):
        return None
    reasons = []
    for conj in alts:
        for fact in sorted(_facts(conj)):
            if not _values(conj, fact, reps):
                clash = "和".join(_cond(c) for c in conj if c.fact == fact)
                reasons.append(f"{clash}不可能同时成立")
                break
    why = "；".join(dict.fromkeys(reasons)) or "它的条件互相矛盾"
    return Finding(
        "unreachable",
        (rule.id,),
        f"{_where(rule)} 永远不会触发：{why}。请改正阈值，或删除这条规则。",
    )


def _always_true(rule: Rule, reps: dict[str, list[Any]]) -> list[Finding]:
    found = []
    whole = _always(rule.when, reps)
    if whole is None:
        found.append(_undecided([rule], "这条规则是否对所有申请都成立", reps))
    if whole:
        return [
            Finding(
                "always_true",
                (rule.id,),
                f"{_where(rule)} 对每一份申请都会触发：它的条件总成立，"
                f"所有申请都会得到 '{rule.outcome.value}'。",
            )
        ]
    for cond in conditions_of(rule.when):
        if all(_holds(cond, v) for v in reps[cond.fact]):
            found.append(
                Finding(
                    "always_true",
                    (rule.id,),
                    f"{_where(rule)}：条件 {_cond(cond)} 无论申请内容如何都成立；"
                    "请删除它或改正数值。",
                )
            )
    for item in rule.when.items:
        if isinstance(item, Group) and _always(item, reps):  # None is told above, for the rule
            found.append(
                Finding(
                    "always_true",
                    (rule.id,),
                    f"{_where(rule)}：第{item.location.line}行的 '{item.kind}:' 组总成立，"
                    "没有缩小规则的范围；请改正其中的数值。",
                )
            )
    # a top-level condition implied by the rule's other conditions changes nothing
    top = rule.when.items
    for index, item in enumerate(top):
        if not isinstance(item, Condition) or len(top) < 2:
            continue
        if all(_holds(item, v) for v in reps[item.fact]):
            continue  # already reported as always true
        others = Group("all", top[:index] + top[index + 1 :], rule.when.location)
        implied = implies(others, Group("all", (item,), item.location), reps)
        if implied is None:
            if whole is not None:  # else already told for the whole rule
                found.append(_undecided([rule], f"条件 {_cond(item)} 是否多余", reps))
            continue
        if implied:
            by = [
                o
                for o in others.items
                if isinstance(o, Condition)
                and o.fact == item.fact
                and implies(Group("all", (o,), o.location), Group("all", (item,), o.location), reps)
            ]
            source = f"它已由 {_cond(by[0])} 蕴含" if by else "其他条件已蕴含它"
            found.append(
                Finding(
                    "always_true",
                    (rule.id,),
                    f"{_where(rule)}：条件 {_cond(item)} 不起作用：{source}。"
                    "请删除它；若本意是另一个范围，请改正数值。",
                    "warning",
                )
            )
    return found


def _contained(narrow: Rule, wide: Rule, reps: dict[str, list[Any]]) -> Finding | None:
    holds = implies(narrow.when, wide.when, reps)
    if holds is None:
        return _undecided([narrow, wide], "一条规则是否被另一条覆盖", reps)
    if not holds:
        return None
    same = implies(wide.when, narrow.when, reps) is True
    if narrow.outcome == wide.outcome:
        if same and narrow.id > wide.id:
            return None  # equal conditions: reported once, on the pair's first rule
        relation = (
            f"与 {_where(wide)} 的条件相同" if same else f"只在 {_where(wide)} 也触发时才触发"
        )
        return Finding(
            "shadowed",
            (narrow.id, wide.id),
            f"{_where(narrow)} {relation}，两者都给出 '{narrow.outcome.value}'："
            f"{narrow.id} 从不改变任何决定。请合并这两条规则；若本意是只有 {narrow.id} 适用，"
            f"请缩小 {wide.id} 的范围。",
        )
    if narrow.outcome in DECIDING and wide.outcome in DECIDING:
        if OUTCOME_STRENGTH[wide.outcome] > OUTCOME_STRENGTH[narrow.outcome]:
            return Finding(
                "overridden",
                (narrow.id, wide.id),
                f"{_where(narrow)}（'{narrow.outcome.value}'）只在 {_where(wide)}"
                f"（'{wide.outcome.value}'）也触发时才触发，而 '{wide.outcome.value}' 优先："
                f"{narrow.id} 永远不能决定一份申请。若它是例外，请在 {wide.id} 中排除这种情形。",
            )
    return None


def _show(values: frozenset[Any]) -> str:
    shown = sorted(values, key=lambda v: (str(type(v)), v))
    return "、".join(str(v) for v in shown if v != "\0any other text")


def _conflict(a: Rule, b: Rule, reps: dict[str, list[Any]]) -> Finding | None:
    if a.outcome == b.outcome or a.outcome not in DECIDING or b.outcome not in DECIDING:
        return None
    for conj_a, conj_b in itertools.product(alternatives(a.when), alternatives(b.when)):
        if not _satisfiable(conj_a + conj_b, reps):
            continue
        for fact in sorted(_facts(conj_a) & _facts(conj_b)):
            va, vb = _values(conj_a, fact, reps), _values(conj_b, fact, reps)
            both = va & vb
            if both and not va <= vb and not vb <= va:
                strong, weak = (
                    (a, b) if OUTCOME_STRENGTH[a.outcome] > OUTCOME_STRENGTH[b.outcome] else (b, a)
                )
                conds_a = "和".join(_cond(c) for c in conj_a if c.fact == fact)
                conds_b = "和".join(_cond(c) for c in conj_b if c.fact == fact)
                overlap = _overlap_text(fact, both, [*conj_a, *conj_b])
                return Finding(
                    "conflict",
                    (a.id, b.id),
                    f"{_where(a)}（'{a.outcome.value}'，{conds_a}）和 {_where(b)}"
                    f"（'{b.outcome.value}'，{conds_b}）在 {fact} 为 {overlap} 时都会触发；"
                    f"此时 '{strong.outcome.value}' 优先于 '{weak.outcome.value}'。"
                    "若两个区间本应相接而不重叠，请移动其中一个阈值。",
                )
    return None


def _overlap_text(fact: str, values: frozenset[Any], conds: Sequence[Condition]) -> str:
    """The overlap in words: '不小于 0.5 且小于 0.6', or the values in common."""
    if FACTS[fact].type not in (FactType.INT, FactType.NUMBER) or len(values) == 1:
        return _show(values)
    lows = [(c.value, c.operator == ">") for c in conds if c.operator in (">", ">=")]
    highs = [(c.value, c.operator == "<") for c in conds if c.operator in ("<", "<=")]
    parts = []
    if lows:
        value, strict = max(lows, key=lambda b: (b[0], b[1]))
        parts.append(f"{'大于' if strict else '不小于'} {value}")
    if highs:
        value, strict = min(highs, key=lambda b: (b[0], not b[1]))
        parts.append(f"{'小于' if strict else '不大于'} {value}")
    return " 且".join(parts) if parts else _show(values)


def _out_of_range(rule: Rule) -> list[Finding]:
    """Conditions that compare a fact with values outside its declared range."""
    found = []
    for cond in conditions_of(rule.when):
        spec = FACTS[cond.fact]
        if spec.minimum is None and spec.maximum is None:
            continue
        values = cond.value if isinstance(cond.value, list) else [cond.value]
        outside = [v for v in values if not _in_range(cond.fact, v)]
        reps = _regions(cond.fact, set(values))
        truths = {_holds(cond, v) for v in reps}
        if not outside and len(truths) > 1:
            continue
        if truths == {True}:
            verdict = "总成立"
        elif truths == {False}:
            verdict = "永远不成立"
        else:
            verdict = "含有取值范围以外的值"
        shown = "、".join(str(v) for v in outside)
        found.append(
            Finding(
                "out_of_range",
                (rule.id,),
                f"{_where(rule)}: 条件{verdict}：{_cond(cond)} — {spec.description}"
                f"（{cond.fact}）的取值范围为 {spec.range_text}"
                + (f"，{shown} 在范围以外" if outside else "")
                + "；请改正数值",
            )
        )
    return found


# ---------------------------------------------------------------- gaps between bands


@dataclass(frozen=True, slots=True)
class _Band:
    rule: Rule
    conds: Conjunction


def _bands(rules: Sequence[Rule]) -> dict[tuple[str, tuple[str, ...]], list[_Band]]:
    """Deciding rules that bound one numeric fact to one interval, grouped by that fact and by
    the rest of their conditions (bands only compare under the same other conditions)."""
    found: dict[tuple[str, tuple[str, ...]], list[_Band]] = {}
    for rule in rules:
        alts = alternatives(rule.when)
        if rule.outcome not in DECIDING or len(alts) != 1:
            continue
        for fact in sorted(_facts(alts[0])):
            if FACTS[fact].type not in (FactType.INT, FactType.NUMBER):
                continue
            on_fact = tuple(c for c in alts[0] if c.fact == fact)
            if not all(c.operator in (*_BAND_OPERATORS, "==") for c in on_fact):
                continue
            context = tuple(sorted({" ".join(c.source.split()) for c in alts[0] if c.fact != fact}))
            found.setdefault((fact, context), []).append(_Band(rule, on_fact))
    return {key: bands for key, bands in found.items() if len(bands) >= 2}


_BAND_OPERATORS = ("<", "<=", ">", ">=")


@dataclass(frozen=True, slots=True)
class _Piece:
    """A point (low == high) or the open interval between two cut points."""

    low: float | None
    high: float | None
    sample: float
    point: bool


def _pieces(fact: str, cuts: list[float]) -> list[_Piece]:
    spec = FACTS[fact]
    is_int = spec.type is FactType.INT
    pieces: list[_Piece] = []
    if spec.minimum is None:
        sample = cuts[0] - 1
        pieces.append(_Piece(None, cuts[0], sample, False))
    for index, cut in enumerate(cuts):
        pieces.append(_Piece(cut, cut, cut, True))
        following = cuts[index + 1] if index + 1 < len(cuts) else None
        if following is None:
            if spec.maximum is None:
                pieces.append(_Piece(cut, None, cut + 1, False))
        elif not is_int or following - cut > 1:
            sample = cut + 1 if is_int else (cut + following) / 2
            pieces.append(_Piece(cut, following, sample, False))
    return pieces


def _number(value: float) -> str:
    return f"{value:g}"


def _span_text(run: list[_Piece]) -> str:
    first, last = run[0], run[-1]
    if first.low is None:
        start = "最低"
    else:
        start = f"{_number(first.low)}（{'含' if first.point else '不含'}）"
    if last.high is None:
        end = "最高"
    else:
        end = f"{_number(last.high)}（{'含' if last.point else '不含'}）"
    return f"{start}至 {end}"


def _gaps(rules: Sequence[Rule]) -> list[Finding]:
    """For each banded numeric fact: the stretches weaker than the bands on both sides."""
    found = []
    for (fact, context), bands in _bands(rules).items():
        spec = FACTS[fact]
        when = f"（在 {'、'.join(context)} 时）" if context else ""
        cuts = sorted(
            {float(c.value) for band in bands for c in band.conds}
            | {float(b) for b in (spec.minimum, spec.maximum) if b is not None}
        )
        cuts = [c for c in cuts if _in_range(fact, c)]
        if not cuts:
            continue
        pieces = _pieces(fact, cuts)

        def strongest(piece: _Piece, bands: list[_Band] = bands) -> _Band | None:
            holding = [b for b in bands if all(_holds(c, piece.sample) for c in b.conds)]
            return max(holding, key=lambda b: OUTCOME_STRENGTH[b.rule.outcome], default=None)

        decided = [strongest(piece) for piece in pieces]
        strength = [OUTCOME_STRENGTH[b.rule.outcome] if b else -1 for b in decided]
        index = 0
        while index < len(pieces):
            end = index
            while end + 1 < len(pieces) and strength[end + 1] == strength[index]:
                end += 1
            left, right = index - 1, end + 1
            if (
                left >= 0
                and right < len(pieces)
                and strength[left] > strength[index]
                and strength[right] > strength[index]
            ):
                before, after, here = decided[left], decided[right], decided[index]
                assert before is not None
                assert after is not None
                falls = (
                    f"只由 {_where(here.rule)} 决定为 '{here.rule.outcome.value}'"
                    if here
                    else "没有规则拦截，会被直接准予"
                )
                span = _span_text(pieces[index : end + 1])
                found.append(
                    Finding(
                        "gap",
                        (before.rule.id, after.rule.id),
                        f"区间空缺：{spec.description}（{fact}）为 {span} 的申请{when}{falls}；"
                        f"它两侧分别由 {_where(before.rule)}（'{before.rule.outcome.value}'）和 "
                        f"{_where(after.rule)}（'{after.rule.outcome.value}'）处理。"
                        "若两个区间本应相接，请调整阈值",
                    )
                )
            index = end + 1
    return found


def _review_overdue(rule: Rule, today: dt.date) -> Finding | None:
    review_by = rule.meta.review_by
    if review_by is None or review_by >= today:
        return None
    line = f"第{rule.meta.review_by_line}行" if rule.meta.review_by_line else ""
    return Finding(
        "review_overdue",
        (rule.id,),
        f"复核日期已过：{_where(rule)} 应在 {review_by.isoformat()} 前复核（{line}review_by）；"
        "请复核规则后更新复核日期",
    )


def lint(rules: Sequence[Rule], today: dt.date | None = None) -> list[Finding]:
    """Every finding on the ruleset, in rule order; with ``today``, overdue reviews too."""
    reps = representatives(rules)
    findings: list[Finding] = []
    live: list[Rule] = []
    for rule in rules:
        if today is not None and (overdue := _review_overdue(rule, today)):
            findings.append(overdue)
        outside = _out_of_range(rule)
        if outside:
            findings.extend(outside)
            continue
        unreachable = _unreachable(rule, reps)
        if unreachable:
            findings.append(unreachable)
            continue
        findings.extend(_always_true(rule, reps))
        live.append(rule)
    contained: set[str] = set()
    facts_of = {rule.id: set(_group_facts(rule.when)) for rule in live}
    for a, b in itertools.combinations(live, 2):
        if not facts_of[a.id] & facts_of[b.id]:
            continue  # independent facts: neither can imply the other, nor overlap on a fact
        undecided = False
        for narrow, wide in ((a, b), (b, a)):
            found = _contained(narrow, wide, reps)
            if found and found.kind == "undecided":
                if not undecided:
                    findings.append(found)
                undecided = True
            elif found and narrow.id not in contained:  # one wider rule is enough to name
                contained.add(narrow.id)
                findings.append(found)
        conflict = _conflict(a, b, reps)
        if conflict:
            findings.append(conflict)
    findings.extend(_gaps(live))
    return findings


def lint_words(lexicon: NameLexicon) -> list[Finding]:
    """Word-list entries that match far too much (one character) or are listed twice."""
    lists: list[tuple[str, str, tuple[str, ...]]] = [
        ("words/prohibited.yaml", f"类别 {c.id}（{c.name}）", c.words) for c in lexicon.prohibited
    ] + [
        ("words/restricted.yaml", "leading", lexicon.restricted_leading),
        ("words/restricted.yaml", "superlatives", lexicon.superlatives),
    ]
    findings = []
    seen: dict[str, str] = {}
    for file, group, words in lists:
        where = f"{file} {group}"
        for word in words:
            if len(word) == 1:
                findings.append(
                    Finding(
                        "one_character_word",
                        (),
                        f"{where}：单字词 {word!r} 会命中所有含这个字的名称（如“{word}”字出现在"
                        "字号或行业中），误拦的可能很大；请写成完整的词",
                    )
                )
            if word in seen:
                same = "同一列表中" if seen[word] == where else f"已在 {seen[word]} 中"
                findings.append(
                    Finding(
                        "duplicate_word",
                        (),
                        f"{where}：词 {word!r} 重复列出（{same}）；请只保留一处",
                    )
                )
            else:
                seen[word] = where
    return findings
