"""SQL for ruleset versions, their events and shadow disagreements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Row, func, insert, select, tuple_, update
from sqlalchemy.engine import Connection

from approval.database import api_keys, applications, registry_answers
from approval.review.tables import review_cases
from approval.rules.tables import rule_changes, ruleset_events, rulesets, shadow_disagreements

SUMMARY = (
    rulesets.c.version,
    rulesets.c.status,
    rulesets.c.author,
    rulesets.c.created_at,
    rulesets.c.note,
    rulesets.c.rule_count,
    rulesets.c.approved_by,
    rulesets.c.approved_at,
    rulesets.c.activated_at,
    rulesets.c.retired_at,
    rulesets.c.replaced_version,
    rulesets.c.shadow,
    rulesets.c.effective_from,
    rulesets.c.change_id,
)


def live_versions(conn: Connection) -> tuple[str | None, str | None]:
    """The active version and the shadow candidate, in one small query (polled by each process)."""
    rows = conn.execute(
        select(rulesets.c.version, rulesets.c.status, rulesets.c.shadow).where(
            (rulesets.c.status == "active") | rulesets.c.shadow.is_(True)
        )
    ).all()
    active = next((r.version for r in rows if r.status == "active"), None)
    shadow = next((r.version for r in rows if r.shadow), None)
    return active, shadow


def scheduled(conn: Connection) -> Any:
    """The version approved to take effect later, if any (at most one at a time)."""
    return conn.execute(
        select(rulesets.c.version, rulesets.c.effective_from).where(
            rulesets.c.status == "scheduled"
        )
    ).first()


def mark_active_if_scheduled(conn: Connection, version: str, now: dt.datetime) -> bool:
    """Scheduled → active, once: the first process past the moment does it, the others see 0."""
    result = conn.execute(
        update(rulesets)
        .where(rulesets.c.version == version, rulesets.c.status == "scheduled")
        .values(status="active", activated_at=now, retired_at=None)
    )
    return result.rowcount == 1


def get(conn: Connection, version: str) -> Row[Any] | None:
    return conn.execute(select(rulesets).where(rulesets.c.version == version)).first()


def find_by_prefix(conn: Connection, prefix: str) -> list[str]:
    rows = conn.execute(
        select(rulesets.c.version).where(rulesets.c.version.startswith(prefix, autoescape=True))
    )
    return [r.version for r in rows]


def list_versions(conn: Connection) -> list[Row[Any]]:
    return list(conn.execute(select(*SUMMARY).order_by(rulesets.c.created_at.desc())))


def insert_version(conn: Connection, **values: Any) -> None:
    conn.execute(insert(rulesets).values(shadow=False, **values))


def set_fields(conn: Connection, version: str, **values: Any) -> None:
    conn.execute(update(rulesets).where(rulesets.c.version == version).values(**values))


def clear_shadow(conn: Connection) -> None:
    conn.execute(update(rulesets).where(rulesets.c.shadow.is_(True)).values(shadow=False))


def add_event(
    conn: Connection, version: str, kind: str, actor: str, at: dt.datetime, **detail: Any
) -> None:
    conn.execute(
        insert(ruleset_events).values(version=version, kind=kind, actor=actor, at=at, detail=detail)
    )


def events(
    conn: Connection, version: str | None = None, limit: int | None = None
) -> list[Row[Any]]:
    """The history, oldest first (the newest ``limit`` of it when given)."""
    query = select(ruleset_events).order_by(ruleset_events.c.id.desc())
    if version is not None:
        query = query.where(ruleset_events.c.version == version)
    if limit is not None:
        query = query.limit(limit)
    return list(reversed(list(conn.execute(query))))


def key_labels(conn: Connection, key_ids: set[str]) -> dict[str, str]:
    """The people behind key ids, by the label their key was created with."""
    if not key_ids:
        return {}
    rows = conn.execute(
        select(api_keys.c.id, api_keys.c.label).where(api_keys.c.id.in_(sorted(key_ids)))
    )
    return {r.id: r.label for r in rows if r.label}


# ---------------------------------------------------------------- change requests


def insert_change(conn: Connection, **values: Any) -> None:
    conn.execute(insert(rule_changes).values(**values))


def get_change(conn: Connection, change_id: str) -> Row[Any] | None:
    return conn.execute(select(rule_changes).where(rule_changes.c.id == change_id)).first()


def update_change(conn: Connection, change_id: str, **values: Any) -> None:
    conn.execute(update(rule_changes).where(rule_changes.c.id == change_id).values(**values))


def list_changes(conn: Connection, status: str | None, limit: int) -> list[Row[Any]]:
    query = (
        select(
            rule_changes.c.id,
            rule_changes.c.status,
            rule_changes.c.version,
            rule_changes.c.revision,
            rule_changes.c.authors,
            rule_changes.c.note,
            rule_changes.c.created_at,
            rule_changes.c.updated_at,
            rule_changes.c.decided_by,
            rule_changes.c.decided_at,
        )
        .order_by(rule_changes.c.created_at.desc(), rule_changes.c.id)
        .limit(limit)
    )
    if status is not None:
        query = query.where(rule_changes.c.status == status)
    return list(conn.execute(query))


def insert_disagreements(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(shadow_disagreements), list(rows))


def disagreements(conn: Connection, candidate: str | None, limit: int) -> list[Row[Any]]:
    query = select(shadow_disagreements).order_by(shadow_disagreements.c.id.desc()).limit(limit)
    if candidate is not None:
        query = query.where(shadow_disagreements.c.candidate_version == candidate)
    return list(conn.execute(query))


def application_facts(conn: Connection, application_id: str) -> Any:
    return conn.execute(
        select(
            applications.c.id,
            applications.c.facts,
            applications.c.ruleset_version,
            applications.c.outcome,
            applications.c.status,
            applications.c.created_at,
            applications.c.decided_at,
            applications.c.payload,
            review_cases.c.decision.label("staff_decision"),
        )
        .outerjoin(review_cases, review_cases.c.application_id == applications.c.id)
        .where(applications.c.id == application_id)
    ).first()


def stored_answers(conn: Connection, application_ids: Sequence[str]) -> dict[str, list[Any]]:
    """The registry answers stored with each of these applications."""
    found: dict[str, list[Any]] = {app_id: [] for app_id in application_ids}
    if not application_ids:
        return found
    rows = conn.execute(
        select(
            registry_answers.c.application_id,
            registry_answers.c.registry,
            registry_answers.c.available,
            registry_answers.c.answer,
            registry_answers.c.detail,
            registry_answers.c.latency_ms,
        ).where(registry_answers.c.application_id.in_(list(application_ids)))
    )
    for row in rows:
        found[row.application_id].append(row)
    return found


def stored_applications(
    conn: Connection, since: dt.datetime | None, batch: int = 1000
) -> tuple[int, Iterator[tuple[Any, list[Any]]]]:
    """How many applications with stored facts there are, and an iterator over them, each
    with its stored registry answers (read a batch at a time, by key: no cursor stays open)."""
    where: list[Any] = [applications.c.facts.is_not(None)]
    if since is not None:
        where.append(applications.c.created_at >= since)
    total = conn.execute(select(func.count()).select_from(applications).where(*where)).scalar_one()
    return int(total), _in_batches(conn, where, batch)


def _in_batches(conn: Connection, where: list[Any], batch: int) -> Iterator[tuple[Any, list[Any]]]:
    # staff's final decision on a manually reviewed case, to compare the candidate with
    query = (
        select(
            applications.c.id,
            applications.c.created_at,
            applications.c.decided_at,
            applications.c.payload,
            applications.c.facts,
            applications.c.outcome,
            review_cases.c.decision.label("staff_decision"),
        )
        .outerjoin(review_cases, review_cases.c.application_id == applications.c.id)
        .where(*where)
        .order_by(applications.c.created_at, applications.c.id)
        .limit(batch)
    )
    after: tuple[Any, str] | None = None
    while True:
        page = query
        if after is not None:
            page = query.where(tuple_(applications.c.created_at, applications.c.id) > after)
        rows = list(conn.execute(page))
        if not rows:
            return
        answers = stored_answers(conn, [row.id for row in rows])
        for row in rows:
            yield row, answers[row.id]
        after = (rows[-1].created_at, rows[-1].id)
