"""The transition table owns the status: any sequence of attempts keeps the row inside it, and
the row, its timeline and its audit chain agree after every step."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, insert, select

from approval.access.service import create_key
from approval.applications.errors import ApplicationStateChanged, IllegalApplicationTransition
from approval.applications.lifecycle import (
    TRANSITIONS,
    Actor,
    Decided,
    LicenceIssued,
    LicenceRestored,
    LicenceRevoked,
    Lifecycle,
    allowed,
    timeline,
)
from approval.audit import service as audit
from approval.database import Database, api_keys, application_events, applications
from approval.engine.ruleset import Ruleset
from approval.kernel.status import ApplicationStatus as S
from approval.migrate import upgrade_to_head
from approval.rules.shadow import Observed, ShadowQueue

NOW = dt.datetime(2026, 11, 26, 9, tzinfo=dt.UTC)
ACTOR = Actor("k1", "staff")
OUTCOMES = ["approve", "approve_with_conditions", "reject", "manual_review"]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path_factory.mktemp('lifecycle') / 'db.sqlite3'}"
    upgrade_to_head(url)
    database = Database(url)
    with database.transaction() as conn:
        create_key(conn, "staff", None, None, NOW)
    yield database
    database.dispose()


def _new_application(db: Database, status: S, outcome: str | None) -> str:
    application_id = uuid.uuid4().hex
    with db.transaction() as conn:
        key_id = conn.execute(select(api_keys.c.id)).scalars().first()
        conn.execute(
            insert(applications).values(
                id=application_id,
                created_at=NOW,
                updated_at=NOW,
                channel="window",
                key_id=key_id,
                request_hash="x",
                status=status.value,
                operator_id_number="321085199309045582",
                authority_code="321202",
                payload={},
                outcome=outcome,
                reasons=[],
                conditions=[],
            )
        )
    return application_id


ATTEMPT = st.tuples(st.sampled_from(list(S)), st.sampled_from(list(S)), st.sampled_from(OUTCOMES))


@given(
    start=st.sampled_from(
        [
            (S.PENDING_VERIFICATION, None),
            (S.DECIDED, "manual_review"),
            (S.DECIDED, "reject"),
            (S.ISSUED, "approve"),
        ]
    ),
    attempts=st.lists(ATTEMPT, max_size=12),
)
def test_any_sequence_stays_in_the_table_and_row_timeline_audit_agree(
    db: Database, start: tuple[S, str | None], attempts: list[tuple[S, S, str]]
) -> None:
    status, outcome = start
    application_id = _new_application(db, status, outcome)
    published: list[Any] = []
    lifecycle = Lifecycle()
    for kind in (Decided, LicenceIssued, LicenceRevoked, LicenceRestored):
        lifecycle.subscribe(kind, lambda _conn, event: published.append(event))
    moved = 0
    for expected_from, to, new_outcome in attempts:
        legal = allowed(expected_from, to)
        matches = expected_from == status and (status != S.DECIDED or outcome == "manual_review")
        columns = (
            {} if to in (S.REVOKED,) or expected_from == S.REVOKED else {"outcome": new_outcome}
        )
        before = len(published)
        try:
            with db.transaction() as conn:
                lifecycle.transition(
                    conn,
                    application_id,
                    to,
                    expected_from=expected_from,
                    columns=columns,
                    events=[{"at": NOW, "kind": f"moved_to_{to.value}", "detail": {}}],
                    actor=ACTOR,
                    now=NOW,
                    credit_code="92321202MA0000001K",
                )
        except IllegalApplicationTransition:
            assert not legal
            assert len(published) == before
        except ApplicationStateChanged:
            assert legal
            assert not matches
        else:
            assert legal
            assert matches
            status, outcome = to, columns.get("outcome", outcome)
            moved += 1
            assert len(published) > before
        with db.reading() as conn:
            row = conn.execute(
                select(applications.c.status, applications.c.outcome).where(
                    applications.c.id == application_id
                )
            ).one()
            events = conn.execute(
                select(func.count())
                .select_from(application_events)
                .where(application_events.c.application_id == application_id)
            ).scalar_one()
            records = audit.entries_for(conn, application_id)
        assert (row.status, row.outcome) == (status.value, outcome)
        assert row.status in {s.value for s in TRANSITIONS}
        assert events == moved
        assert len(records) == moved
    with db.reading() as conn:
        assert audit.verify_all(conn).first_break is None


def test_a_revocation_and_a_restoration_publish_their_events(db: Database) -> None:
    application_id = _new_application(db, S.ISSUED, "approve")
    seen: list[Any] = []
    lifecycle = Lifecycle()
    lifecycle.subscribe(LicenceRevoked, lambda _c, e: seen.append(e))
    lifecycle.subscribe(LicenceRestored, lambda _c, e: seen.append(e))
    for from_, to in ((S.ISSUED, S.REVOKED), (S.REVOKED, S.ISSUED)):
        with db.transaction() as conn:
            lifecycle.transition(
                conn,
                application_id,
                to,
                expected_from=from_,
                columns={},
                events=[],
                actor=ACTOR,
                now=NOW,
                credit_code="92321202MA0000001K",
            )
    assert [type(e) for e in seen] == [LicenceRevoked, LicenceRestored]


def _opening_row(status: S, outcome: str | None) -> dict[str, Any]:
    return {
        "id": uuid.uuid4().hex,
        "created_at": NOW,
        "updated_at": NOW,
        "channel": "terminal",
        "key_id": None,
        "request_hash": "x",
        "status": status.value,
        "operator_id_number": "321085199309045582",
        "authority_code": "321202",
        "payload": {},
        "outcome": outcome,
        "reasons": [],
        "conditions": [],
        "facts": {"a": 1},
        "ruleset_version": "v1",
    }


def test_a_submission_opens_in_its_determined_status_its_events_stored_once(db: Database) -> None:
    seen: list[Any] = []
    lifecycle = Lifecycle()
    lifecycle.subscribe(Decided, lambda _c, e: seen.append(e))
    lifecycle.subscribe(LicenceIssued, lambda _c, e: seen.append(e))
    events = [
        {"at": NOW, "kind": "received", "detail": {"channel": "terminal"}},
        {"at": NOW, "kind": "decided", "detail": {"decision": "approve", "rules": ["R1"]}},
        {"at": NOW, "kind": "licence_issued", "detail": {"credit_code": "92321202MA0000001K"}},
    ]
    with db.transaction() as conn:
        row = _opening_row(S.ISSUED, "approve")
        row["key_id"] = conn.execute(select(api_keys.c.id)).scalars().first()
        lifecycle.open(
            conn,
            row,
            events=events,
            actor=ACTOR,
            now=NOW,
            credit_code="92321202MA0000001K",
            notice={"route": "automatic"},
        )
    decided, issued = seen
    assert decided == Decided(row["id"], S.ISSUED, "approve", NOW, None, {"a": 1}, "v1", ("R1",))
    assert issued == LicenceIssued(row["id"], "92321202MA0000001K", NOW, {"route": "automatic"})
    with db.reading() as conn:
        shown = timeline(conn, row["id"])
        rows = conn.execute(
            select(func.count())
            .select_from(application_events)
            .where(application_events.c.application_id == row["id"])
        ).scalar_one()
        records = audit.entries_for(conn, row["id"])
    assert rows == 0
    assert [r["action"] for r in records] == ["received", "decided", "licence_issued"]
    assert "facts_sha256" in records[1]["detail"]
    assert shown == [{**e, "at": NOW.isoformat()} for e in events]


def test_a_submission_cannot_open_revoked(db: Database) -> None:
    with db.transaction() as conn, pytest.raises(IllegalApplicationTransition):
        Lifecycle().open(conn, _opening_row(S.REVOKED, "approve"), events=[], actor=ACTOR, now=NOW)


def test_shadow_mode_follows_the_rules_decisions_later_too_but_not_staff_ones(
    db: Database,
) -> None:
    shadow = ShadowQueue(candidate=cast(Ruleset, object()))
    lifecycle = Lifecycle()
    lifecycle.subscribe(Decided, shadow.on_decided)
    parked = _new_application(db, S.PENDING_VERIFICATION, None)
    waiting = _new_application(db, S.DECIDED, "manual_review")
    with db.transaction() as conn:
        lifecycle.transition(
            conn,
            parked,
            S.DECIDED,
            expected_from=S.PENDING_VERIFICATION,
            columns={"outcome": "reject", "ruleset_version": "v2", "facts": {"a": 1}},
            events=[{"at": NOW, "kind": "decided", "detail": {"rules": ["R03"]}}],
            actor=Actor("verification-worker", "system"),
            now=NOW,
        )
        lifecycle.transition(
            conn,
            waiting,
            S.DECIDED,
            expected_from=S.DECIDED,
            columns={"outcome": "reject"},
            events=[{"at": NOW, "kind": "reviewed", "detail": {}}],
            actor=ACTOR,
            now=NOW,
        )
    assert shadow.drain() == [Observed(parked, {"a": 1}, "v2", "reject", ("R03",))]
