"""Ruleset versions: store, find, diff, activate, schedule, roll back, shadow, explain.

Services take a connection and plain values; the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import difflib
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from approval.catalog.scope import load_scope_catalog
from approval.clock import CHINA_TZ
from approval.decisions.determination import RulesInForce
from approval.decisions.facts import ReferenceData
from approval.engine.language import Group, Rule, RuleFileError, parse_rules_dir
from approval.engine.ruleset import Ruleset, content_version, ruleset_files
from approval.errors import ApplicationNotFound
from approval.kernel.rule_paths import RulePathInvalid, parse_rule_path, write_inside
from approval.names.analysis import load_name_lexicon
from approval.rules import repository
from approval.rules.errors import (
    NoPreviousRuleset,
    RollbackRefused,
    RuleFileNameInvalid,
    RulesetNotFound,
    RulesetNotStored,
    RulesetRefused,
    ScheduleRefused,
)
from approval.rules.explain import explain

if TYPE_CHECKING:
    from approval.decisions.determination import RulesInForce

ROOT_NAME = "rules"  # rule locations read rules/identity.yaml:12, wherever the files come from


def files_from_dir(rules_dir: Path) -> dict[str, str]:
    return {name: data.decode("utf-8") for name, data in ruleset_files(rules_dir).items()}


def version_of(files: Mapping[str, str]) -> str:
    return content_version({name: text.encode("utf-8") for name, text in files.items()})


def check_file_names(files: Mapping[str, str]) -> None:
    """Refuse (422) any file name that is not a plain relative path inside the rules tree."""
    problems = []
    for name in files:
        try:
            parse_rule_path(name)
        except RulePathInvalid as exc:
            problems.append(
                {"field": "files", "code": RuleFileNameInvalid.code, "message": exc.message}
            )
    if problems:
        raise RuleFileNameInvalid(problems[0]["message"], errors=problems)


@contextmanager
def materialised(files: Mapping[str, str]) -> Iterator[Path]:
    """The files written out as a rules folder, for the loaders that read folders.

    Every name is checked before the first write, and each call gets a fresh private
    directory that is removed afterwards.
    """
    check_file_names(files)
    with tempfile.TemporaryDirectory(prefix="miaopi-rules-") as tmp:
        root = Path(tmp) / ROOT_NAME
        root.mkdir(mode=0o700)
        for name, text in files.items():
            write_inside(root, name, text.encode("utf-8"))
        yield root


def compile_files(files: Mapping[str, str]) -> Ruleset:
    """A running ruleset from stored files (the caller closes it)."""
    with materialised(files) as root:
        return Ruleset.load(root)


def reference_of(rules_dir: Path) -> ReferenceData:
    """The word lists and scope catalogue of a rules folder."""
    return ReferenceData(
        scope=load_scope_catalog(rules_dir / "catalog" / "scope.yaml"),
        names=load_name_lexicon(rules_dir / "words"),
    )


def load_files(files: Mapping[str, str]) -> RulesInForce:
    """Stored files as a running ruleset with its reference data (the caller closes it)."""
    with materialised(files) as root:
        reference = reference_of(root)
        return RulesInForce(Ruleset.load(root), reference)


def in_force_files(conn: Connection) -> dict[str, str] | None:
    """The files of the version in force, None before the first start stored one."""
    active, _ = repository.live_versions(conn)
    row = repository.get(conn, active) if active else None
    return dict(row.files) if row is not None else None


@lru_cache(maxsize=32)
def _rules_of(version: str, frozen: tuple[tuple[str, str], ...]) -> tuple[Rule, ...]:
    with materialised(dict(frozen)) as root:
        return tuple(parse_rules_dir(root))


def rules_of(version: str, files: Mapping[str, str]) -> list[Rule]:
    """The parsed rules of a stored version (cached: explanations re-read versions often)."""
    return list(_rules_of(version, tuple(sorted(files.items()))))


# ---------------------------------------------------------------- versions


def resolve(conn: Connection, ref: str) -> str:
    """A version from its full hash or a unique prefix (at least 6 characters)."""
    found = repository.find_by_prefix(conn, ref) if len(ref) >= 6 else []
    if len(found) != 1:
        detail = "版本号前缀对应多个规则版本" if found else f"没有规则版本 {ref}"
        raise RulesetNotFound(detail)
    return found[0]


def stored_files(conn: Connection, ref: str) -> tuple[str, dict[str, str]]:
    version = resolve(conn, ref)
    row = repository.get(conn, version)
    assert row is not None
    return version, dict(row.files)


def store(
    conn: Connection, files: Mapping[str, str], author: str, note: str | None, now: dt.datetime
) -> str:
    """Store files as a version (refusing rule files with errors); idempotent by content.

    A version is its content: the same rules proposed again, by anyone, with other test cases,
    find the stored version unchanged. Which cases were approved with it is the approved change
    request's, written to the version at approval.
    """
    check_file_names(files)
    version = version_of(files)
    if repository.get(conn, version) is not None:
        return version
    try:
        with materialised(files) as root:
            count = len(parse_rules_dir(root))
    except RuleFileError as exc:
        raise RulesetRefused(
            "规则文件有错误：" + "；".join(str(p) for p in exc.problems[:20]),
            problems=[str(p) for p in exc.problems],
        ) from None
    repository.insert_version(
        conn,
        version=version,
        files=dict(files),
        rule_count=count,
        author=author,
        created_at=now,
        status="draft",
        note=note,
    )
    return version


def bootstrap(conn: Connection, rules_dir: Path, now: dt.datetime) -> str:
    """The active version; on first start the rules on disk become it."""
    active, _shadow = repository.live_versions(conn)
    if active is not None:
        return active
    files = files_from_dir(rules_dir)
    version = store(conn, files, "system", "rules on disk at first start", now)
    repository.set_fields(
        conn, version, status="active", activated_at=now, approved_by="system", approved_at=now
    )
    repository.add_event(conn, version, "activated", "system", now, reason="bootstrap")
    return version


def activate(
    conn: Connection,
    version: str,
    actor: str,
    now: dt.datetime,
    kind: str,
    **detail: Any,
) -> None:
    """Make ``version`` the one in force at once, retiring the one it replaces."""
    active, _ = repository.live_versions(conn)
    if active is not None and active != version:
        repository.set_fields(conn, active, status="retired", retired_at=now)
        repository.add_event(conn, active, "retired", actor, now, replaced_by=version)
    fields: dict[str, Any] = {"status": "active", "activated_at": now, "retired_at": None}
    if kind != "rolled_back":
        fields["replaced_version"] = active
    repository.set_fields(conn, version, **fields)
    repository.add_event(conn, version, kind, actor, now, previous=active, **detail)


def schedule(
    conn: Connection, version: str, actor: str, effective_from: dt.datetime, now: dt.datetime
) -> None:
    """Approved to take effect at ``effective_from``: every process switches at that moment."""
    pending = repository.scheduled(conn)
    if pending is not None and pending.version != version:
        raise ScheduleRefused(
            f"规则版本 {pending.version[:12]} 已排定于 {pending.effective_from:%Y-%m-%d %H:%M} "
            "生效；请先回退取消它，再排定新的版本"
        )
    # stored on the clock's zone, as every timestamp is (SQLite keeps no zone)
    moment = effective_from.astimezone(CHINA_TZ)
    repository.set_fields(conn, version, status="scheduled", effective_from=moment)
    repository.add_event(conn, version, "scheduled", actor, now, effective_from=moment.isoformat())


def activate_due(conn: Connection, now: dt.datetime) -> str | None:
    """Put a scheduled version whose moment has come in force; the version, if this call did."""
    pending = repository.scheduled(conn)
    if pending is None or _aware(pending.effective_from) > now:
        return None
    active, _ = repository.live_versions(conn)
    if not repository.mark_active_if_scheduled(conn, pending.version, now):
        return None  # another process was first
    if active is not None:
        repository.set_fields(conn, active, status="retired", retired_at=now)
        repository.add_event(conn, active, "retired", "schedule", now, replaced_by=pending.version)
    repository.set_fields(conn, pending.version, replaced_version=active)
    repository.add_event(
        conn,
        pending.version,
        "activated",
        "schedule",
        now,
        previous=active,
        effective_from=_aware(pending.effective_from).isoformat(),
    )
    return str(pending.version)


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite gives timestamps back without their zone; they were written on the clock's."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=CHINA_TZ)


def effective_moment(conn: Connection) -> tuple[str, dt.datetime] | None:
    """The scheduled version and the moment it takes effect, if one is scheduled."""
    pending = repository.scheduled(conn)
    return (str(pending.version), _aware(pending.effective_from)) if pending else None


def rollback(
    conn: Connection, actor: str, now: dt.datetime, to: str | None = None
) -> tuple[str, str]:
    """Back to an earlier approved version (by default the one the active one replaced), at
    once; a scheduled version is called off. Returns (from, to)."""
    active, _ = repository.live_versions(conn)
    row = repository.get(conn, active) if active else None
    if row is None:
        raise NoPreviousRuleset()
    if to is None:
        if row.replaced_version is None:
            raise NoPreviousRuleset()
        target = str(row.replaced_version)
    else:
        target = resolve(conn, to)
    chosen = repository.get(conn, target)
    assert chosen is not None
    if chosen.approved_by is None or chosen.status not in ("retired", "cancelled"):
        state = "现行" if chosen.status == "active" else chosen.status
        raise RollbackRefused(
            f"规则版本 {target[:12]} 是 {state} 状态，从未批准启用过或正在使用；"
            "只能回退到曾经批准启用、现已停用的版本"
        )
    pending = repository.scheduled(conn)
    if pending is not None:
        repository.set_fields(conn, pending.version, status="cancelled")
        repository.add_event(conn, pending.version, "schedule_cancelled", actor, now)
    activate(conn, target, actor, now, "rolled_back", rolled_back_from=row.version)
    return str(row.version), target


def set_shadow(conn: Connection, ref: str | None, actor: str, now: dt.datetime) -> str | None:
    """Run this version beside the active one on live traffic (None: stop shadowing)."""
    _, current = repository.live_versions(conn)
    repository.clear_shadow(conn)
    if current is not None:
        repository.add_event(conn, current, "shadow_off", actor, now)
    if ref is None:
        return None
    version = resolve(conn, ref)
    repository.set_fields(conn, version, shadow=True)
    repository.add_event(conn, version, "shadow_on", actor, now)
    return version


# ---------------------------------------------------------------- diff


def diff(files_a: Mapping[str, str], files_b: Mapping[str, str]) -> dict[str, Any]:
    """Rules added, removed and changed (condition by condition), and other files changed."""
    with materialised(files_a) as root:
        rules_a = {r.id: r for r in parse_rules_dir(root)}
    with materialised(files_b) as root:
        rules_b = {r.id: r for r in parse_rules_dir(root)}
    changed = []
    for rule_id in sorted(rules_a.keys() & rules_b.keys()):
        a, b = rules_a[rule_id], rules_b[rule_id]
        lines = list(
            difflib.unified_diff(_describe(a), _describe(b), lineterm="", n=0, fromfile=rule_id)
        )[2:]
        if lines:
            changed.append({"rule_id": rule_id, "changes": [x for x in lines if x[:1] in "+-"]})
    other = []
    for name in sorted(files_a.keys() | files_b.keys()):
        if name.count("/") == 0:
            continue  # rule files are compared rule by rule above
        if files_a.get(name) != files_b.get(name):
            text = list(
                difflib.unified_diff(
                    (files_a.get(name) or "").splitlines(),
                    (files_b.get(name) or "").splitlines(),
                    lineterm="",
                    n=0,
                )
            )[2:]
            other.append({"file": name, "changes": [x for x in text if x[:1] in "+-"]})
    return {
        "added": sorted(rules_b.keys() - rules_a.keys()),
        "removed": sorted(rules_a.keys() - rules_b.keys()),
        "changed": changed,
        "other_files": other,
    }


def _describe(rule: Rule) -> list[str]:

    lines = [f"title: {rule.title}", f"outcome: {rule.outcome.value}"]

    def walk(group: Group, depth: int) -> None:
        for item in group.items:
            if isinstance(item, Group):
                lines.append("  " * depth + f"{item.kind}:")
                walk(item, depth + 1)
            else:
                lines.append("  " * depth + f"when {item.source}")

    walk(rule.when, 0)
    lines += [f"reason: {rule.reason.code} {rule.reason.text}", f"basis: {rule.reason.basis}"]
    meta = rule.meta
    lines += [f"owner: {meta.owner}"] if meta.owner else []
    lines += [f"source: {meta.source}"] if meta.source else []
    lines += [f"review_by: {meta.review_by.isoformat()}"] if meta.review_by else []
    return lines


# ---------------------------------------------------------------- explanation and replay


def explain_application(
    conn: Connection, application_id: str, rule_id: str | None = None
) -> dict[str, Any]:
    """The stored decision explained by the stored facts and the version that made it; with
    ``rule_id`` only that rule (or decision table) is shown."""
    row = repository.application_facts(conn, application_id)
    if row is None or row.facts is None:
        raise ApplicationNotFound()
    version = row.ruleset_version
    if version is None:  # not decided yet (registries were unavailable): the active version
        version, _ = repository.live_versions(conn)
    stored = repository.get(conn, version) if version else None
    if stored is None:
        raise RulesetNotStored(f"规则版本 {str(version)[:12]} 未保存")
    report = explain(rules_of(stored.version, stored.files), dict(row.facts), rule_id)
    return {
        "application_id": row.id,
        "status": row.status,
        "stored_decision": row.outcome,
        "ruleset_version": stored.version,
        **report,
    }


def replay(conn: Connection, application_id: str, rules: RulesInForce) -> dict[str, Any]:
    """The decision ``rules`` would have made on the application, its facts derived again from
    the stored submission and registry answers (the stored facts when they cannot be)."""
    from approval.decisions.service import decide
    from approval.rules.recompute import inputs_of, rederive

    row = repository.application_facts(conn, application_id)
    if row is None or row.facts is None:
        raise ApplicationNotFound()
    answers = repository.stored_answers(conn, [row.id])[row.id]
    reviewed = row.staff_decision is not None
    inputs = inputs_of(row.payload, answers, row.created_at, row.decided_at, reviewed)
    derived = rederive(inputs, rules.reference, dict(row.facts))
    decision = decide(rules.ruleset, derived.facts)
    return {
        "application_id": row.id,
        "stored_decision": row.outcome,
        "stored_version": row.ruleset_version,
        "replayed_version": rules.ruleset.version,
        "decision": decision.verdict.value,
        "fired": [r.id for r in decision.fired],
        "reasons": decision.reasons(),
        "changed": decision.verdict.value != row.outcome,
        "recomputed": derived.not_recomputed is None,
        "not_recomputed": derived.not_recomputed,
    }
