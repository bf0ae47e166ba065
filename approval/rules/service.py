"""Ruleset versions: store, find, diff, propose, approve (four eyes), roll back, shadow, explain.

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
from typing import Any

from sqlalchemy.engine import Connection

from approval.engine.language import Rule, RuleFileError, parse_rules_dir
from approval.engine.ruleset import Ruleset, content_version, ruleset_files
from approval.errors import ApplicationNotFound
from approval.kernel.rule_paths import RulePathInvalid, parse_rule_path, write_inside
from approval.rules import repository
from approval.rules.errors import (
    FourEyesRequired,
    NoPreviousRuleset,
    RuleFileNameInvalid,
    RulesetChecksFailed,
    RulesetNotDraft,
    RulesetNotFound,
    RulesetNotStored,
    RulesetRefused,
)
from approval.rules.explain import explain

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
    """Store files as a draft version (refusing rule files with errors); idempotent by content."""
    check_file_names(files)
    version = version_of(files)
    existing = repository.get(conn, version)
    if existing is not None:
        # the hash leaves the example cases out: a draft takes the newest cases proposed with it
        if existing.status == "draft" and dict(existing.files) != dict(files):
            repository.set_fields(conn, version, files=dict(files))
            repository.add_event(conn, version, "cases_updated", author, now)
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
    repository.add_event(conn, version, "proposed", author, now, note=note)
    return version


def bootstrap(conn: Connection, rules_dir: Path, now: dt.datetime) -> str:
    """The active version; on first start the rules on disk become it."""
    active, _shadow = repository.live_versions(conn)
    if active is not None:
        return active
    files = files_from_dir(rules_dir)
    version = store(conn, files, "system", "rules on disk at first start", now)
    repository.set_fields(conn, version, status="active", activated_at=now, approved_by="system")
    repository.add_event(conn, version, "activated", "system", now, reason="bootstrap")
    return version


def propose(
    conn: Connection, files: Mapping[str, str], author: str, note: str | None, now: dt.datetime
) -> str:
    check_file_names(files)
    version = version_of(files)
    existing = repository.get(conn, version)
    if existing is not None and existing.status != "draft":
        raise RulesetNotDraft(f"规则版本 {version[:12]} 已是 {existing.status} 状态")
    return store(conn, files, author, note, now)


def approve(
    conn: Connection,
    ref: str,
    approver: str,
    evidence: dict[str, Any],
    now: dt.datetime,
) -> str:
    """Activate a draft proposed by someone else; the evidence is stored with the approval."""
    version = resolve(conn, ref)
    row = repository.get(conn, version)
    assert row is not None
    if row.status != "draft":
        raise RulesetNotDraft(f"规则版本 {version[:12]} 是 {row.status} 状态")
    if row.author == approver:
        raise FourEyesRequired("提出该规则版本的人不能自己批准，请由另一位规则管理员批准")
    if evidence.get("tests", {}).get("failed", 0):
        raise RulesetChecksFailed(evidence=evidence)
    activate(conn, version, approver, now, "approved", evidence=evidence)
    return version


def activate(
    conn: Connection,
    version: str,
    actor: str,
    now: dt.datetime,
    kind: str,
    evidence: dict[str, Any] | None = None,
) -> None:
    active, _ = repository.live_versions(conn)
    if active is not None and active != version:
        repository.set_fields(conn, active, status="retired", retired_at=now)
        repository.add_event(conn, active, "retired", actor, now, replaced_by=version)
    fields: dict[str, Any] = {"status": "active", "activated_at": now, "retired_at": None}
    if kind == "approved":
        fields.update(
            approved_by=actor, approved_at=now, evidence=evidence, replaced_version=active
        )
    repository.set_fields(conn, version, **fields)
    repository.add_event(conn, version, kind, actor, now, previous=active)


def rollback(conn: Connection, actor: str, now: dt.datetime) -> tuple[str, str]:
    """Back to the version the active one replaced; returns (from, to)."""
    active, _ = repository.live_versions(conn)
    row = repository.get(conn, active) if active else None
    if row is None or row.replaced_version is None:
        raise NoPreviousRuleset()
    activate(conn, row.replaced_version, actor, now, "rolled_back")
    return row.version, row.replaced_version


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
    from approval.engine.language import Group

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


def replay(conn: Connection, application_id: str, ruleset: Ruleset) -> dict[str, Any]:
    """The decision ``ruleset`` would have made on the application's stored facts."""
    from approval.decisions.service import decide

    row = repository.application_facts(conn, application_id)
    if row is None or row.facts is None:
        raise ApplicationNotFound()
    decision = decide(ruleset, dict(row.facts))
    return {
        "application_id": row.id,
        "stored_decision": row.outcome,
        "stored_version": row.ruleset_version,
        "replayed_version": ruleset.version,
        "decision": decision.verdict.value,
        "fired": [r.id for r in decision.fired],
        "reasons": decision.reasons(),
        "changed": decision.verdict.value != row.outcome,
    }
