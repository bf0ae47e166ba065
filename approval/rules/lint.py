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
  value lists) that partly overlap, the typical off-by-one between two neighbouring bands.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from approval.engine.compiler import evaluate_condition
from approval.engine.facts import FACTS, FactType
from approval.engine.language import Condition, Group, Outcome, Rule, conditions_of
from approval.engine.ruleset import OUTCOME_STRENGTH

DECIDING = {Outcome.REJECT, Outcome.MANUAL_REVIEW, Outcome.APPROVE_WITH_CONDITIONS}
# A pair of rules spanning more combinations than this is not compared (reported as nothing).
MAX_COMBINATIONS = 50_000

Assignment = dict[str, Any]
Conjunction = tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str  # unreachable | always_true | shadowed | overridden | conflict
    rule_ids: tuple[str, ...]
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "rules": list(self.rule_ids), "message": self.message}


def _where(rule: Rule) -> str:
    return f"{rule.id} ({rule.location.file}:{rule.location.line})"


def _cond(cond: Condition) -> str:
    return f"'{cond.source}' (line {cond.location.line})"


# ---------------------------------------------------------------- representative values


def representatives(rules: Iterable[Rule]) -> dict[str, list[Any]]:
    """For every fact the rules name, one value per region the rules' constants cut it into."""
    constants: dict[str, set[Any]] = {}
    for rule in rules:
        for cond in conditions_of(rule.when):
            values = cond.value if isinstance(cond.value, list) else [cond.value]
            constants.setdefault(cond.fact, set()).update(values)
    return {fact: _regions(fact, values) for fact, values in constants.items()}


def _regions(fact: str, constants: set[Any]) -> list[Any]:
    spec = FACTS[fact]
    match spec.type:
        case FactType.BOOL:
            return [False, True]
        case FactType.ENUM:
            return list(spec.choices)
        case FactType.TEXT:
            return sorted(constants) + ["\0any other text"]
        case FactType.INT:
            points = sorted(int(c) for c in constants)
            reps = {points[0] - 1, points[-1] + 1, *points}
            for low, high in itertools.pairwise(points):
                if high - low > 1:
                    reps.add(low + 1)
            return sorted(reps)
        case FactType.NUMBER:
            numbers = sorted(float(c) for c in constants)
            reps_f = {numbers[0] - 1.0, numbers[-1] + 1.0, *numbers}
            reps_f.update((low + high) / 2 for low, high in itertools.pairwise(numbers))
            return sorted(reps_f)
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


def _always(group: Group, reps: dict[str, list[Any]]) -> bool:
    combos = _assignments(_group_facts(group), reps)
    return combos is not None and all(_predicate(group)(a) for a in combos)


# ---------------------------------------------------------------- the checks


def _unreachable(rule: Rule, reps: dict[str, list[Any]]) -> Finding | None:
    alts = alternatives(rule.when)
    if any(_satisfiable(conj, reps) for conj in alts):
        return None
    reasons = []
    for conj in alts:
        for fact in sorted(_facts(conj)):
            if not _values(conj, fact, reps):
                clash = " and ".join(_cond(c) for c in conj if c.fact == fact)
                reasons.append(f"{clash} cannot both hold")
                break
    why = "; ".join(dict.fromkeys(reasons)) or "its conditions contradict each other"
    return Finding(
        "unreachable",
        (rule.id,),
        f"{_where(rule)} can never fire: {why}. Fix the thresholds or remove the rule.",
    )


def _always_true(rule: Rule, reps: dict[str, list[Any]]) -> list[Finding]:
    found = []
    if _always(rule.when, reps):
        return [
            Finding(
                "always_true",
                (rule.id,),
                f"{_where(rule)} fires on every application: its conditions always hold. "
                f"Every application would get '{rule.outcome.value}'.",
            )
        ]
    for cond in conditions_of(rule.when):
        if all(_holds(cond, v) for v in reps[cond.fact]):
            found.append(
                Finding(
                    "always_true",
                    (rule.id,),
                    f"{_where(rule)}: condition {_cond(cond)} is always true, whatever the "
                    f"application says; remove it or correct the value.",
                )
            )
    for item in rule.when.items:
        if isinstance(item, Group) and _always(item, reps):
            found.append(
                Finding(
                    "always_true",
                    (rule.id,),
                    f"{_where(rule)}: the '{item.kind}:' group at line {item.location.line} "
                    f"always holds, so it does not narrow the rule; correct its values.",
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
        if implies(others, Group("all", (item,), item.location), reps):
            by = [
                o
                for o in others.items
                if isinstance(o, Condition)
                and o.fact == item.fact
                and implies(Group("all", (o,), o.location), Group("all", (item,), o.location), reps)
            ]
            source = f"it follows from {_cond(by[0])}" if by else "the other conditions imply it"
            found.append(
                Finding(
                    "always_true",
                    (rule.id,),
                    f"{_where(rule)}: condition {_cond(item)} changes nothing: {source}. "
                    f"Remove it, or correct the value if another range was meant.",
                )
            )
    return found


def _contained(narrow: Rule, wide: Rule, reps: dict[str, list[Any]]) -> Finding | None:
    if implies(narrow.when, wide.when, reps) is not True:
        return None
    same = implies(wide.when, narrow.when, reps) is True
    if narrow.outcome == wide.outcome:
        if same and narrow.id > wide.id:
            return None  # equal conditions: reported once, on the pair's first rule
        relation = "has the same conditions as" if same else "only fires when"
        return Finding(
            "shadowed",
            (narrow.id, wide.id),
            f"{_where(narrow)} {relation} {_where(wide)} fires, and both give "
            f"'{narrow.outcome.value}': {narrow.id} never changes a decision. Merge the two "
            f"rules, or narrow {wide.id} if {narrow.id} was meant to be the only one to apply.",
        )
    if narrow.outcome in DECIDING and wide.outcome in DECIDING:
        if OUTCOME_STRENGTH[wide.outcome] > OUTCOME_STRENGTH[narrow.outcome]:
            return Finding(
                "overridden",
                (narrow.id, wide.id),
                f"{_where(narrow)} ('{narrow.outcome.value}') only fires when {_where(wide)} "
                f"('{wide.outcome.value}') fires too, and '{wide.outcome.value}' wins: "
                f"{narrow.id} can never decide an application. If it is meant as an exception, "
                f"exclude its case from {wide.id}.",
            )
    return None


def _show(values: frozenset[Any]) -> str:
    shown = sorted(values, key=lambda v: (str(type(v)), v))
    return ", ".join(str(v) for v in shown if v != "\0any other text")


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
                conds_a = " and ".join(_cond(c) for c in conj_a if c.fact == fact)
                conds_b = " and ".join(_cond(c) for c in conj_b if c.fact == fact)
                overlap = _overlap_text(fact, both, [*conj_a, *conj_b])
                return Finding(
                    "conflict",
                    (a.id, b.id),
                    f"{_where(a)} ('{a.outcome.value}', {conds_a}) and {_where(b)} "
                    f"('{b.outcome.value}', {conds_b}) both fire when {fact} is "
                    f"{overlap}; there '{strong.outcome.value}' wins over "
                    f"'{weak.outcome.value}'. If the two ranges were meant to meet without "
                    f"overlapping, move one threshold.",
                )
    return None


def _overlap_text(fact: str, values: frozenset[Any], conds: Sequence[Condition]) -> str:
    """The overlap in words: 'at least 0.5 and below 0.6', or the values in common."""
    if FACTS[fact].type not in (FactType.INT, FactType.NUMBER) or len(values) == 1:
        return _show(values)
    lows = [(c.value, c.operator == ">") for c in conds if c.operator in (">", ">=")]
    highs = [(c.value, c.operator == "<") for c in conds if c.operator in ("<", "<=")]
    parts = []
    if lows:
        value, strict = max(lows, key=lambda b: (b[0], b[1]))
        parts.append(f"{'above' if strict else 'at least'} {value}")
    if highs:
        value, strict = min(highs, key=lambda b: (b[0], not b[1]))
        parts.append(f"{'below' if strict else 'at most'} {value}")
    return " and ".join(parts) if parts else _show(values)


def lint(rules: Sequence[Rule]) -> list[Finding]:
    """Every finding on the ruleset, in rule order."""
    reps = representatives(rules)
    findings: list[Finding] = []
    live: list[Rule] = []
    for rule in rules:
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
        for narrow, wide in ((a, b), (b, a)):
            found = _contained(narrow, wide, reps)
            if found and narrow.id not in contained:  # one wider rule is enough to name
                contained.add(narrow.id)
                findings.append(found)
        conflict = _conflict(a, b, reps)
        if conflict:
            findings.append(conflict)
    return findings
