"""Rule change requests: one reviewed object from draft to approval.

A draft holds every file of the rules tree that decides (rules, word lists, catalogue) and its
test cases. Whoever proposes or edits it becomes one of its authors, and no author may approve
it. Each proposal and edit computes the evidence the approver reads before approving (lint,
tests, the protected regression pack, coverage of the changed rules, the backtest) and its
digest; approval names the digest it read, and is refused while a gate stands.

Services take a connection and plain values; the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from approval.kernel.rule_data import RuleDataError
from approval.rules import gates, repository, service
from approval.rules.cases import Case, load_cases, run_cases
from approval.rules.errors import (
    ChangeBlocked,
    ChangeNotDraft,
    ChangeNotFound,
    EvidenceOutdated,
    FlipsNotAcknowledged,
    FourEyesRequired,
    RulesetNotDraft,
    RulesetRefused,
    WaiverInvalid,
)
from approval.rules.lint import lint, lint_words
from approval.rules.simulation import compiled, simulate, summary

ACKNOWLEDGEMENT_MIN = 6  # characters: a reason, not "ok"
DIGEST_PREFIX_MIN = 12
EXAMPLES = 20  # flipped applications listed in the evidence (all are counted)


@dataclass(frozen=True, slots=True)
class Waiver:
    case: str  # the regression case's key
    reason: str


def _cases(files: Mapping[str, str]) -> tuple[dict[str, Any], list[Case]]:
    """A version's own test cases; none when it brought none (never the folder's)."""
    if "tests/cases.yaml" not in files or "tests/baseline.yaml" not in files:
        return {}, []
    with service.materialised({k: v for k, v in files.items() if k.startswith("tests/")}) as root:
        try:
            return load_cases(root / "tests")
        except RuleDataError as exc:
            problems = [str(p) for p in exc.problems]
            raise RulesetRefused(
                "测试用例文件有错误：" + "；".join(problems[:20]), problems=problems
            ) from None


def compute_evidence(
    conn: Connection,
    files: Mapping[str, str],
    waivers: Mapping[str, str],
    now: dt.datetime,
) -> dict[str, Any]:
    """Everything the approver reads, measured against the version in force now."""
    base_version, base_files = service.stored_files(conn, _in_force(conn))
    with compiled(files) as candidate, compiled(base_files) as active:
        baseline, cases = _cases(files)
        report = run_cases(candidate.ruleset, baseline, cases)
        base_baseline, base_cases = _cases(base_files)
        pack = gates.passing_cases(run_cases(active.ruleset, base_baseline, base_cases))
        pack_report = run_cases(candidate.ruleset, base_baseline, pack)
        changes = service.diff(base_files, files)
        changed_rules = [*changes["added"], *(c["rule_id"] for c in changes["changed"])]
        # the staff cases at risk or tightened are listed up to the limit, all counted
        simulated = simulate(conn, active, candidate, flip_limit=100)
        backtest = {
            **summary(simulated),
            # examples the approver can open (explain / replay), the first of each flip
            "examples": [
                {k: flip[k] for k in ("application_id", "before", "after", "caused_by")}
                for flip in simulated["flips"][:EXAMPLES]
            ],
        }
        findings = [
            f.as_dict()
            for f in [
                *lint(candidate.ruleset.rules, now.date()),
                *lint_words(candidate.reference.names),
            ]
        ]
    return {
        "computed_at": now.isoformat(),
        "version": service.version_of(files),
        "base_version": base_version,
        "diff": changes,
        "check": {"findings": findings},
        "tests": report.summary(),
        "regression": gates.regression(pack, cases, pack_report, waivers),
        "coverage": gates.coverage(changed_rules, report),
        "backtest": backtest,
    }


def _in_force(conn: Connection) -> str:
    active, _ = repository.live_versions(conn)
    assert active is not None, "the service stores the rules on disk at first start"
    return active


def _waivers(
    given: Sequence[Waiver], kept: Mapping[str, Any], by: str, now: dt.datetime
) -> dict[str, Any]:
    waivers = dict(kept)
    for waiver in given:
        reason = waiver.reason.strip()
        if len(waiver.case.strip()) < 6 or len(reason) < ACKNOWLEDGEMENT_MIN:
            raise WaiverInvalid(
                f"豁免回归用例 {waiver.case!r} 须写明用例编号和至少{ACKNOWLEDGEMENT_MIN}个字的理由"
            )
        waivers[waiver.case.strip()] = {"reason": reason, "by": by, "at": now.isoformat()}
    return waivers


def _stored(
    conn: Connection, files: Mapping[str, str], author: str, note: str | None, now: dt.datetime
) -> str:
    version = service.store(conn, files, author, note, now)
    row = repository.get(conn, version)
    assert row is not None
    # the same rules with other test cases are a change to the cases only
    if row.status == "scheduled" or (row.status == "active" and dict(row.files) == dict(files)):
        raise RulesetNotDraft(
            f"这些文件与{'现行' if row.status == 'active' else '已排定'}的规则版本 "
            f"{version[:12]} 相同，无需变更"
        )
    return version


def propose(
    conn: Connection,
    files: Mapping[str, str],
    author: str,
    note: str | None,
    waivers: Sequence[Waiver],
    now: dt.datetime,
) -> str:
    """A new draft with its evidence; its proposer is its first author."""
    service.check_file_names(files)
    kept = _waivers(waivers, {}, author, now)
    version = _stored(conn, files, author, note, now)
    evidence = compute_evidence(conn, files, _reasons(kept), now)
    change_id = f"RC-{secrets.token_hex(5).upper()}"
    repository.insert_change(
        conn,
        id=change_id,
        status="draft",
        version=version,
        revision=1,
        files=dict(files),
        authors=[author],
        note=note,
        waivers=kept,
        evidence=evidence,
        evidence_digest=gates.digest(evidence),
        created_at=now,
        updated_at=now,
    )
    repository.add_event(conn, version, "proposed", author, now, change=change_id, note=note)
    return change_id


def _draft(conn: Connection, change_id: str) -> Any:
    row = repository.get_change(conn, change_id)
    if row is None:
        raise ChangeNotFound(f"没有规则变更申请 {change_id}")
    if row.status != "draft":
        raise ChangeNotDraft(f"规则变更申请 {change_id} 是 {row.status} 状态")
    return row


def _reasons(waivers: Mapping[str, Any]) -> dict[str, str]:
    return {key: str(w["reason"]) for key, w in waivers.items()}


def edit(
    conn: Connection,
    change_id: str,
    editor: str,
    files: Mapping[str, str] | None,
    note: str | None,
    waivers: Sequence[Waiver],
    now: dt.datetime,
) -> None:
    """Change a draft (its files, note or waivers): the editor becomes one of its authors."""
    row = _draft(conn, change_id)
    new_files = dict(files) if files is not None else dict(row.files)
    service.check_file_names(new_files)
    kept = _waivers(waivers, row.waivers, editor, now)
    version = _stored(conn, new_files, editor, note, now)
    evidence = compute_evidence(conn, new_files, _reasons(kept), now)
    authors = list(row.authors) + ([editor] if editor not in row.authors else [])
    repository.update_change(
        conn,
        change_id,
        version=version,
        revision=row.revision + 1,
        files=new_files,
        authors=authors,
        note=note if note is not None else row.note,
        waivers=kept,
        evidence=evidence,
        evidence_digest=gates.digest(evidence),
        updated_at=now,
    )
    repository.add_event(
        conn, version, "edited", editor, now, change=change_id, revision=row.revision + 1
    )


def refresh_evidence(conn: Connection, change_id: str, actor: str, now: dt.datetime) -> None:
    """Measure the draft again (after another version came into force); nothing of it changes,
    so whoever asks does not become an author."""
    row = _draft(conn, change_id)
    evidence = compute_evidence(conn, row.files, _reasons(row.waivers), now)
    repository.update_change(
        conn, change_id, evidence=evidence, evidence_digest=gates.digest(evidence), updated_at=now
    )
    repository.add_event(conn, row.version, "evidence_refreshed", actor, now, change=change_id)


def gate_results(evidence: Mapping[str, Any], flip_share: float) -> list[dict[str, Any]]:
    return [g.as_dict() for g in gates.gates(evidence, flip_share)]


def approve(
    conn: Connection,
    change_id: str,
    approver: str,
    evidence_read: str,
    acknowledgement: str | None,
    effective_from: dt.datetime | None,
    flip_share: float,
    now: dt.datetime,
) -> str:
    """Approve a draft someone else wrote, on the evidence the approver read; the version goes
    into force at once, or is scheduled for ``effective_from``. Returns the version."""
    row = _draft(conn, change_id)
    if approver in row.authors:
        raise FourEyesRequired(
            "参与编写该变更申请的人不能批准它，请由另一位未参与编写的规则管理员批准"
        )
    read = evidence_read.strip().lower()
    if len(read) < DIGEST_PREFIX_MIN or not row.evidence_digest.startswith(read):
        # the number is not repeated here: it is read with the evidence, not from an error
        raise EvidenceOutdated(
            f"请先阅读该变更申请的最新证据（miaopi rules show {change_id}，或 GET "
            f"/v1/rule-changes/{change_id}），并在批准时写明证据编号（至少前{DIGEST_PREFIX_MIN}位）"
        )
    if row.evidence["base_version"] != _in_force(conn):
        raise EvidenceOutdated("证据计算后现行规则版本已变更，请刷新证据后重新阅读再批准")
    results = gates.gates(row.evidence, flip_share)
    blocking = [g.as_dict() for g in results if not g.passed and g.name != "flips"]
    if blocking:
        raise ChangeBlocked(
            "未通过：" + "；".join(f"{g['gate']}：{g['detail']}" for g in blocking),
            gates=blocking,
        )
    flips = next(g for g in results if g.name == "flips")
    reason = (acknowledgement or "").strip()
    if not flips.passed and len(reason) < ACKNOWLEDGEMENT_MIN:
        raise FlipsNotAcknowledged(
            f"{flips.detail}。批准人须阅读这些改变并写明确认理由（至少{ACKNOWLEDGEMENT_MIN}个字）"
        )
    version = str(row.version)
    decision: dict[str, Any] = {
        "evidence_digest": row.evidence_digest,
        "acknowledgement": reason or None,
        "effective_from": effective_from.isoformat() if effective_from else None,
    }
    repository.set_fields(
        conn,
        version,
        files=dict(row.files),
        approved_by=approver,
        approved_at=now,
        evidence={**row.evidence, "digest": row.evidence_digest},
        change_id=change_id,
        note=row.note,
    )
    repository.update_change(
        conn, change_id, status="approved", decided_by=approver, decided_at=now, decision=decision
    )
    repository.add_event(conn, version, "approved", approver, now, change=change_id, **decision)
    if version == _in_force(conn):
        pass  # only its test cases changed: the version in force carries the approved ones
    elif effective_from is not None and effective_from > now:
        service.schedule(conn, version, approver, effective_from, now)
    else:
        service.activate(conn, version, approver, now, "activated", change=change_id)
    return version


def reject(conn: Connection, change_id: str, by: str, reason: str, now: dt.datetime) -> None:
    """Close a draft without approving it (its author withdrawing it, or a reviewer)."""
    row = _draft(conn, change_id)
    text = reason.strip()
    if len(text) < 2:
        raise WaiverInvalid("驳回变更申请须写明理由")
    repository.update_change(
        conn, change_id, status="rejected", decided_by=by, decided_at=now, decision={"reason": text}
    )
    repository.add_event(conn, row.version, "rejected", by, now, change=change_id, reason=text)


def view(conn: Connection, change_id: str, flip_share: float) -> dict[str, Any]:
    """The change request as its approver reads it: files' diff, evidence, gates, people."""
    row = repository.get_change(conn, change_id)
    if row is None:
        raise ChangeNotFound(f"没有规则变更申请 {change_id}")
    people = repository.key_labels(
        conn, {*row.authors, *([row.decided_by] if row.decided_by else [])}
    )
    return {
        "id": row.id,
        "status": row.status,
        "version": row.version,
        "revision": row.revision,
        "note": row.note,
        "authors": [{"key_id": a, "label": people.get(a)} for a in row.authors],
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "waivers": row.waivers,
        "evidence": row.evidence,
        "evidence_digest": row.evidence_digest,
        "gates": gate_results(row.evidence, flip_share),
        "decided_by": {"key_id": row.decided_by, "label": people.get(row.decided_by)}
        if row.decided_by
        else None,
        "decided_at": row.decided_at,
        "decision": row.decision,
    }


def history(conn: Connection, limit: int) -> list[dict[str, Any]]:
    """Proposed, edited, approved, scheduled, activated, rolled back, shadowed: newest last."""
    rows = repository.events(conn, limit=limit)
    people = repository.key_labels(conn, {r.actor for r in rows})
    return [
        {
            "at": r.at,
            "kind": r.kind,
            "version": r.version,
            "actor": r.actor,
            "actor_label": people.get(r.actor),
            "detail": r.detail,
        }
        for r in rows
    ]
