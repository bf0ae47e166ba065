"""Simulation: a candidate ruleset over stored applications, against the one in force.

Each application's facts are derived again (:mod:`approval.rules.recompute`) from its stored
submission and registry answers, once under each side's reference data, so a change to the word
lists, the scope catalogue or the derivations shows its flips like a rule change does; nothing is
asked of the registries. Each flip names the rules that caused it: those whose firing differs
between the two sides. Applications that cannot be derived again are decided on their stored
facts and counted in ``not_recomputed`` with the reason.

Cases staff decided by hand are classed: *risky* (the candidate approves what staff rejected),
*tightening* (it rejects what staff approved, or newly sends it to manual review), *unchanged*
(it agrees with staff, or still sends the case to manual review, which is no disagreement).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import Connection

from approval.decisions.determination import RulesInForce
from approval.decisions.facts import ReferenceData
from approval.decisions.service import Decision, decide
from approval.engine.ruleset import Ruleset, explain_rules
from approval.kernel.rule_data import RuleDataError
from approval.kernel.status import Outcome
from approval.rules import repository
from approval.rules.errors import RulesetRefused
from approval.rules.explain import rule_view
from approval.rules.recompute import inputs_of, rederive
from approval.rules.service import compile_files, materialised, reference_of

VERDICTS = [v.value for v in Outcome]
APPROVALS = frozenset({Outcome.APPROVE.value, Outcome.APPROVE_WITH_CONDITIONS.value})
# what staff decided a manual case, as approve or reject; any other value is no final decision
STAFF_VERDICTS = {
    "approve": "approve",
    "approve_with_conditions": "approve",
    "reject": "reject",
}
Progress = Callable[[int, int], None]


@contextmanager
def compiled(files: Mapping[str, str]) -> Iterator[RulesInForce]:
    """A stored version's ruleset and reference data, the ruleset closed afterwards; a version
    whose word lists or catalogue cannot be used is refused (422), named by file and line."""
    with materialised(files) as root:
        try:
            reference = reference_of(root)
        except RuleDataError as exc:
            name = exc.path.relative_to(root).as_posix() if exc.path.is_relative_to(root) else ""
            # the folder is a private temporary one: its path means nothing to the reader
            messages = [(p.line, p.message.replace(f"{root}/", "")) for p in exc.problems]
            problems = [
                f"{name}:{line}: {text}" if line is not None else f"{name}: {text}"
                for line, text in messages
            ]
            raise RulesetRefused(
                "词表或经营范围目录有错误：" + "；".join(problems[:20]), problems=problems
            ) from None
    ruleset = compile_files(files)
    try:
        yield RulesInForce(ruleset, reference)
    finally:
        ruleset.close()


def _rates(counts: Counter[str], total: int) -> dict[str, dict[str, float | int]]:
    return {
        v: {"count": counts[v], "rate": round(counts[v] / total, 4) if total else 0.0}
        for v in VERDICTS
    }


def _why(ruleset: Ruleset, facts: dict[str, Any], rule_ids: set[str]) -> list[dict[str, Any]]:
    return [
        rule_view(trace, facts)
        for trace in explain_rules(ruleset.rules, facts)
        if trace.rule.id in rule_ids
    ]


def caused_by(old: Decision, new: Decision) -> list[str]:
    """The rules whose firing differs between the two decisions (fired on one side only); when
    the same rules fired, those whose outcome changed."""
    old_ids, new_ids = {r.id for r in old.fired}, {r.id for r in new.fired}
    differing = old_ids ^ new_ids
    if not differing:
        old_outcomes = {r.id: r.outcome for r in old.fired}
        differing = {r.id for r in new.fired if old_outcomes.get(r.id) != r.outcome}
    return sorted(differing or old_ids | new_ids)


def staff_class(staff: str, before: str, after: str) -> str:
    """risky, tightening or unchanged: the candidate's decision against staff's."""
    if staff == "reject":
        return "risky" if after in APPROVALS else "unchanged"
    if after == Outcome.REJECT.value:
        return "tightening"
    if after == Outcome.MANUAL_REVIEW.value and before in APPROVALS:
        return "tightening"
    return "unchanged"


def simulate(
    conn: Connection,
    baseline: RulesInForce,
    candidate: RulesInForce,
    since: dt.datetime | None = None,
    progress: Progress | None = None,
    flip_limit: int | None = None,
) -> dict[str, Any]:
    """Rates before and after, every flipped application with both explanations and the rules
    that caused it, flips by rule and direction, and the cases staff decided, classed."""
    total, rows = repository.stored_applications(conn, since)
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    flips: list[dict[str, Any]] = []
    by_rule: defaultdict[str, Counter[str]] = defaultdict(Counter)
    by_direction: Counter[str] = Counter()
    not_recomputed: Counter[str] = Counter()
    staff_seen: list[dict[str, Any]] = []
    staff_counts: Counter[str] = Counter()
    disagree_with_stored = 0
    done = 0
    for row, answer_rows in rows:
        stored = dict(row.facts)
        inputs = inputs_of(
            row.payload, answer_rows, row.created_at, row.decided_at, row.staff_decision is not None
        )
        old_side = rederive(inputs, baseline.reference, stored)
        new_side = rederive(inputs, candidate.reference, stored)
        if old_side.not_recomputed is not None:
            not_recomputed[old_side.not_recomputed] += 1
        old, new = (
            decide(baseline.ruleset, old_side.facts),
            decide(candidate.ruleset, new_side.facts),
        )
        was, now = old.verdict.value, new.verdict.value
        before[was] += 1
        after[now] += 1
        if row.outcome is not None and now != row.outcome:
            disagree_with_stored += 1
        causes = caused_by(old, new) if was != now else []
        staff = STAFF_VERDICTS.get(str(row.staff_decision)) if row.staff_decision else None
        if staff is not None:
            kind = staff_class(staff, was, now)
            staff_counts[kind] += 1
            if kind != "unchanged" and (flip_limit is None or len(staff_seen) < flip_limit):
                staff_seen.append(
                    {
                        "application_id": row.id,
                        "class": kind,
                        "staff_decision": row.staff_decision,
                        "before": was,
                        "candidate": now,
                        "fired": sorted(r.id for r in new.fired),
                        "caused_by": causes or caused_by(old, new),
                    }
                )
        if was != now:
            direction = f"{was}->{now}"
            by_direction[direction] += 1
            for rule_id in causes:
                by_rule[rule_id][direction] += 1
            if flip_limit is None or len(flips) < flip_limit:
                changed = set(causes)
                flips.append(
                    {
                        "application_id": row.id,
                        "before": was,
                        "after": now,
                        "caused_by": causes,
                        "fired_before": sorted(r.id for r in old.fired),
                        "fired_after": sorted(r.id for r in new.fired),
                        "recomputed": new_side.not_recomputed is None,
                        "why_before": _why(baseline.ruleset, old_side.facts, changed),
                        "why_after": _why(candidate.ruleset, new_side.facts, changed),
                    }
                )
        done += 1
        if progress is not None and (done % 500 == 0 or done == total):
            progress(done, total)
    flipped = sum(by_direction.values())
    return {
        "baseline_version": baseline.ruleset.version,
        "candidate_version": candidate.ruleset.version,
        "since": since.isoformat() if since else None,
        "applications": done,
        "recomputed": done - sum(not_recomputed.values()),
        "not_recomputed": {
            "count": sum(not_recomputed.values()),
            "reasons": dict(sorted(not_recomputed.items())),
        },
        "before": _rates(before, done),
        "after": _rates(after, done),
        "flipped": flipped,
        "flips_by_direction": dict(sorted(by_direction.items())),
        "flips_by_rule": {rule: dict(sorted(c.items())) for rule, c in sorted(by_rule.items())},
        "differs_from_stored_outcome": disagree_with_stored,
        "staff_decided": sum(staff_counts.values()),
        "staff": {
            "decided": sum(staff_counts.values()),
            "risky": [case for case in staff_seen if case["class"] == "risky"],
            "tightening": [case for case in staff_seen if case["class"] == "tightening"],
            "unchanged": staff_counts["unchanged"],
            "counts": {k: staff_counts[k] for k in ("risky", "tightening", "unchanged")},
        },
        "flips": flips,
    }


def summary(report: dict[str, Any]) -> dict[str, Any]:
    """The report without the per-application flips (for evidence packs)."""
    return {key: value for key, value in report.items() if key != "flips"}


def stored_reference(conn: Connection, ruleset: Ruleset) -> ReferenceData | None:
    """The reference data stored with ``ruleset``'s version; None if it is not stored."""
    row = repository.get(conn, ruleset.version)
    if row is None:
        return None
    with materialised(dict(row.files)) as root:
        return reference_of(root)
