"""Simulation: a candidate ruleset over stored applications, against the active one.

Each application is decided again by both rulesets on the facts stored with it (registry
answers included), so nothing is asked of the registries and the comparison is exact. Word lists
and the scope catalogue shape facts when they are built; a change there shows here only for
applications submitted after it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Connection

from approval.decisions.service import decide
from approval.engine.ruleset import Ruleset, explain_rules
from approval.kernel.status import Outcome
from approval.rules import repository
from approval.rules.explain import rule_view

VERDICTS = [v.value for v in Outcome]
# staff decide a manual case approve or reject; the candidate agrees when it would too
# (a candidate that would still send the case to manual review agrees with neither)
STAFF_AGREES = {
    "approve": {Outcome.APPROVE.value, Outcome.APPROVE_WITH_CONDITIONS.value},
    "reject": {Outcome.REJECT.value},
}
Progress = Callable[[int, int], None]


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


def simulate(
    conn: Connection,
    baseline: Ruleset,
    candidate: Ruleset,
    since: dt.datetime | None = None,
    progress: Progress | None = None,
    flip_limit: int | None = None,
) -> dict[str, Any]:
    """Rates before and after, every flipped application with both explanations."""
    total, rows = repository.stored_applications(conn, since)
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    flips: list[dict[str, Any]] = []
    flip_count = 0
    disagree_with_stored = 0
    staff_decided = 0
    staff_disagreements: list[dict[str, Any]] = []
    done = 0
    for row in rows:
        facts = dict(row.facts)
        old, new = decide(baseline, facts), decide(candidate, facts)
        before[old.verdict.value] += 1
        after[new.verdict.value] += 1
        if row.outcome is not None and new.verdict.value != row.outcome:
            disagree_with_stored += 1
        if row.staff_decision is not None:
            staff_decided += 1
            if new.verdict.value not in STAFF_AGREES[row.staff_decision]:
                staff_disagreements.append(
                    {
                        "application_id": row.id,
                        "staff_decision": row.staff_decision,
                        "candidate": new.verdict.value,
                        "fired": sorted(r.id for r in new.fired),
                    }
                )
        if old.verdict != new.verdict:
            flip_count += 1
            if flip_limit is None or len(flips) < flip_limit:
                old_ids, new_ids = {r.id for r in old.fired}, {r.id for r in new.fired}
                changed = (old_ids ^ new_ids) or old_ids | new_ids
                flips.append(
                    {
                        "application_id": row.id,
                        "before": old.verdict.value,
                        "after": new.verdict.value,
                        "fired_before": sorted(old_ids),
                        "fired_after": sorted(new_ids),
                        "why_before": _why(baseline, facts, changed),
                        "why_after": _why(candidate, facts, changed),
                    }
                )
        done += 1
        if progress is not None and (done % 500 == 0 or done == total):
            progress(done, total)
    return {
        "baseline_version": baseline.version,
        "candidate_version": candidate.version,
        "since": since.isoformat() if since else None,
        "applications": done,
        "before": _rates(before, done),
        "after": _rates(after, done),
        "flipped": flip_count,
        "differs_from_stored_outcome": disagree_with_stored,
        "staff_decided": staff_decided,
        "disagrees_with_staff": staff_disagreements,
        "flips": flips,
    }


def summary(report: dict[str, Any]) -> dict[str, Any]:
    """The report without the per-application flips (for evidence packs)."""
    return {key: value for key, value in report.items() if key != "flips"}
