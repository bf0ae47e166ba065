"""The gates a rule change must pass before a second admin may approve it.

Pure functions over the evidence computed when the change was proposed or edited: lint
findings, the draft's own test cases, the protected regression pack (every case that passed
under the version in force), the coverage of the rules the change touches, and the backtest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from approval.rules.cases import CasesReport

LENIENT = frozenset({"approve", "approve_with_conditions"})
STRICT = frozenset({"reject", "manual_review"})
# where a case was written: not part of what it asserts
_PLACE_KEYS = frozenset({"file", "line"})


def case_key(case: Mapping[str, Any]) -> str:
    """A case's identity: the hash of what it asserts (rule, facts, outcome), not where it is."""
    asserted = {k: v for k, v in case.items() if k not in _PLACE_KEYS and not k.startswith("_")}
    return hashlib.sha256(orjson.dumps(asserted, option=orjson.OPT_SORT_KEYS)).hexdigest()[:12]


def digest(evidence: Mapping[str, Any]) -> str:
    """What the approver names when approving: the evidence they read, exactly."""
    return hashlib.sha256(orjson.dumps(dict(evidence), option=orjson.OPT_SORT_KEYS)).hexdigest()


def passing_cases(report: CasesReport) -> list[dict[str, Any]]:
    return [result.case for result in report.results if result.passed]


def _shown(case: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "key": case_key(case),
        "rule": case.get("rule"),
        "fires": case.get("fires"),
        "decision": case.get("decision"),
        "facts": case.get("facts", {}),
        "line": getattr(case, "line", None),
    }


def regression(
    pack: Sequence[Mapping[str, Any]],
    draft_cases: Sequence[Mapping[str, Any]],
    pack_report: CasesReport,
    waivers: Mapping[str, str],
) -> dict[str, Any]:
    """The pack run on the draft: cases it dropped, cases that fail on it, and the waived.

    ``pack_report`` is the pack's cases run under the draft, in the pack's order.
    """
    kept = {case_key(case) for case in draft_cases}
    missing, failing, waived = [], [], []
    for case, result in zip(pack, pack_report.results, strict=True):
        key = case_key(case)
        problem = None
        if key not in kept:
            problem = "dropped"
        elif not result.passed:
            problem = "fails"
        if problem is None:
            continue
        entry = {**_shown(case), "problem": problem, "problems": result.problems}
        if key in waivers:
            waived.append({**entry, "waiver": waivers[key]})
        elif problem == "dropped":
            missing.append(entry)
        else:
            failing.append(entry)
    return {"pack": len(pack), "missing": missing, "failing": failing, "waived": waived}


def coverage(changed_rules: Iterable[str], report: CasesReport) -> dict[str, Any]:
    """Each added or changed rule needs a passing case where it fires and a near miss: a case
    about it where it stays quiet."""
    seen: dict[str, set[bool]] = {}
    for result in report.results:
        rule_id, fires = result.case.get("rule"), result.case.get("fires")
        if result.passed and isinstance(rule_id, str) and isinstance(fires, bool):
            seen.setdefault(rule_id, set()).add(fires)
    changed = sorted(set(changed_rules))
    uncovered = [
        {"rule_id": rule_id, "missing": missing}
        for rule_id in changed
        for fires, missing in ((True, "firing_case"), (False, "near_miss"))
        if fires not in seen.get(rule_id, set())
    ]
    return {"changed_rules": changed, "uncovered": uncovered}


def loosening_flips(backtest: Mapping[str, Any]) -> int:
    """Flips from reject or manual review to an approval: where a wrong rule does harm."""
    return sum(
        count
        for direction, count in backtest.get("flips_by_direction", {}).items()
        if direction.split("->")[0] in STRICT and direction.split("->")[-1] in LENIENT
    )


@dataclass(frozen=True, slots=True)
class Gate:
    name: str
    passed: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"gate": self.name, "passed": self.passed, "detail": self.detail}


def gates(evidence: Mapping[str, Any], flip_share: float) -> list[Gate]:
    """Every gate with its verdict; ``flips`` passes only when no acknowledgement is needed."""
    errors = [f for f in evidence["check"]["findings"] if f.get("severity", "error") == "error"]
    tests = evidence["tests"]
    pack = evidence["regression"]
    uncovered = evidence["coverage"]["uncovered"]
    backtest = evidence["backtest"]
    flipped, total = int(backtest.get("flipped", 0)), int(backtest.get("applications", 0))
    risky = len(backtest.get("staff", {}).get("risky", []))
    loosening = loosening_flips(backtest)
    limit = flip_share * total
    flip_notes = []
    if flipped > limit:
        flip_notes.append(f"{flipped} 件改变决定，超过阈值 {flip_share:.1%}（{limit:.0f} 件）")
    if loosening:
        flip_notes.append(f"{loosening} 件由驳回或人工审核改为批准")
    if risky:
        flip_notes.append(f"{risky} 件工作人员已驳回的案件将被批准")
    return [
        Gate("lint", not errors, f"{len(errors)} 项错误级检查发现" if errors else "无错误"),
        Gate(
            "tests",
            tests["cases"] > 0 and tests["failed"] == 0,
            "草稿没有测试用例"
            if tests["cases"] == 0
            else f"{tests['cases'] - tests['failed']}/{tests['cases']} 个用例通过",
        ),
        Gate(
            "regression",
            not pack["missing"] and not pack["failing"],
            f"回归用例 {pack['pack']} 个：删除未豁免 {len(pack['missing'])} 个，"
            f"失败未豁免 {len(pack['failing'])} 个，已豁免 {len(pack['waived'])} 个",
        ),
        Gate(
            "coverage",
            not uncovered,
            "改动的规则都有触发用例和未触发的近似用例"
            if not uncovered
            else "缺少用例："
            + "、".join(f"{u['rule_id']}（{_MISSING[u['missing']]}）" for u in uncovered),
        ),
        Gate("flips", not flip_notes, "；".join(flip_notes) or f"{flipped} 件改变决定，未超过阈值"),
    ]


_MISSING = {"firing_case": "无触发用例", "near_miss": "无未触发的近似用例"}
