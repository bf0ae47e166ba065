"""The one owner of an application's status.

``Lifecycle.open`` stores a new application in the status its submission determined;
``Lifecycle.transition`` compares-and-sets the row later. Both write the timeline events and
their audit records in the caller's transaction, and then hand a domain event to every
subscriber that the composition root registered (bundles, the supervision outbox, shadow mode),
in the same transaction.

An application's opening events are stored once, as the first records of its audit chain (which
records them one for one); later events are rows of ``application_events`` beside their records.
:func:`timeline` reads both back as one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from approval.applications import repository
from approval.applications.errors import ApplicationStateChanged, IllegalApplicationTransition
from approval.audit import service as audit
from approval.audit.chain import Entry
from approval.kernel.status import ApplicationStatus, Outcome

S = ApplicationStatus

# from → the statuses it may move to; a decided case moves on only from manual review
TRANSITIONS: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    S.PENDING_VERIFICATION: frozenset({S.DECIDED, S.ISSUED}),
    S.DECIDED: frozenset({S.DECIDED, S.ISSUED}),
    S.ISSUED: frozenset({S.REVOKED}),
    S.REVOKED: frozenset({S.ISSUED}),
}
ONLY_FROM_OUTCOME: dict[ApplicationStatus, Outcome] = {S.DECIDED: Outcome.MANUAL_REVIEW}
# a submission is stored already parked, decided or issued: "received" is its first event
OPENS_AS = frozenset({S.PENDING_VERIFICATION, S.DECIDED, S.ISSUED})


@dataclass(frozen=True, slots=True)
class Decided:
    """Parked, decided or issued; ``previous`` is None for a submission decided on receipt.
    A decision by the rules carries the facts, ruleset version and fired rules it was made on."""

    application_id: str
    status: ApplicationStatus
    outcome: str | None
    at: dt.datetime
    previous: ApplicationStatus | None = None
    facts: Mapping[str, Any] | None = None
    ruleset_version: str | None = None
    fired: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LicenceEvent:
    """Something happened to an issued licence; ``notice`` is what the departments that
    supervise it are told beyond its code (an issue's scope and route, a revocation's objection
    and ban)."""

    application_id: str
    credit_code: str
    at: dt.datetime
    notice: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LicenceIssued(LicenceEvent):
    pass


@dataclass(frozen=True, slots=True)
class LicenceRevoked(LicenceEvent):
    pass


@dataclass(frozen=True, slots=True)
class LicenceRestored(LicenceEvent):
    pass


@dataclass(frozen=True, slots=True)
class ItemsRevoked(LicenceEvent):
    """Some registered items were revoked as false; the licence itself stands."""


DomainEvent = Decided | LicenceIssued | LicenceRevoked | LicenceRestored | ItemsRevoked
Handler = Callable[[Connection, Any], None]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who moved the application: a key id (or ``system`` for the worker) and its role."""

    id: str
    role: str


def allowed(from_: ApplicationStatus, to: ApplicationStatus) -> bool:
    return to in TRANSITIONS.get(from_, frozenset())


class Lifecycle:
    """Transitions and their subscribers; one per process, wired at the composition root."""

    def __init__(self) -> None:
        self._handlers: dict[type, list[Handler]] = defaultdict(list)

    def subscribe(self, kind: type, handler: Handler) -> None:
        self._handlers[kind].append(handler)

    def publish(self, conn: Connection, event: DomainEvent) -> None:
        for handler in self._handlers[type(event)]:
            handler(conn, event)

    def open(
        self,
        conn: Connection,
        row: dict[str, Any],
        *,
        events: Sequence[dict[str, Any]],
        actor: Actor,
        now: dt.datetime,
        credit_code: str | None = None,
        notice: Mapping[str, Any] | None = None,
    ) -> None:
        """Store a new application in the status its submission determined, its opening events
        as the first records of its audit chain (the row counts them), and publish."""
        to = ApplicationStatus(row["status"])
        if to not in OPENS_AS:
            raise IllegalApplicationTransition(
                f"新申请不能以 {to.value} 状态登记", from_status="received", to_status=to.value
            )
        if to == S.ISSUED and credit_code is None:
            raise IllegalApplicationTransition("发放营业执照须有统一社会信用代码")
        application_id = row["id"]
        repository.insert_application(conn, {**row, "opening_records": len(events)})
        audit.store_new_chain(
            conn,
            audit.submission_rows(application_id, actor.id, actor.role, events, row.get("facts")),
        )
        for event in _domain_events(
            application_id, None, to, row, events, credit_code, notice, now
        ):
            self.publish(conn, event)

    def transition(
        self,
        conn: Connection,
        application_id: str,
        to: ApplicationStatus,
        *,
        expected_from: ApplicationStatus,
        columns: dict[str, Any],
        events: Sequence[dict[str, Any]],
        actor: Actor,
        now: dt.datetime,
        credit_code: str | None = None,
        facts: dict[str, Any] | None = None,
        entries: Sequence[Entry] | None = None,
        notice: Mapping[str, Any] | None = None,
    ) -> None:
        """Move one application, or raise: illegal (not in the table) or changed meanwhile.

        The audit records are one per event unless ``entries`` says them otherwise (a staff
        decision records its reason). ``notice`` goes with a licence's issue, revocation or
        restoration to the features that follow it.
        """
        if not allowed(expected_from, to):
            raise IllegalApplicationTransition(
                f"申请不能从 {expected_from.value} 变为 {to.value}",
                from_status=expected_from.value,
                to_status=to.value,
            )
        if to == S.ISSUED and credit_code is None:
            raise IllegalApplicationTransition("发放营业执照须有统一社会信用代码")
        if not repository.compare_and_set(
            conn,
            application_id,
            expected_from=expected_from,
            expected_outcome=ONLY_FROM_OUTCOME.get(expected_from),
            to=to,
            now=now,
            columns=columns,
        ):
            raise ApplicationStateChanged()
        repository.insert_events(conn, [{"application_id": application_id, **e} for e in events])
        if entries is None:
            entries = audit.event_entries(actor.id, actor.role, events, facts)
        audit.append(conn, application_id, entries)
        for event in _domain_events(
            application_id,
            expected_from,
            to,
            columns,
            events,
            credit_code,
            notice,
            now,
        ):
            self.publish(conn, event)


def _domain_events(
    application_id: str,
    from_: ApplicationStatus | None,
    to: ApplicationStatus,
    columns: Mapping[str, Any],
    events: Sequence[Mapping[str, Any]],
    credit_code: str | None,
    notice: Mapping[str, Any] | None,
    now: dt.datetime,
) -> list[DomainEvent]:
    notice = notice or {}
    if from_ == S.REVOKED:
        assert credit_code is not None
        return [LicenceRestored(application_id, credit_code, now, notice)]
    if to == S.REVOKED:
        assert credit_code is not None
        return [LicenceRevoked(application_id, credit_code, now, notice)]
    decided = next((e for e in events if e["kind"] == "decided"), None)
    found: list[DomainEvent] = [
        Decided(
            application_id,
            to,
            columns.get("outcome"),
            now,
            previous=from_,
            facts=columns.get("facts") if decided else None,
            ruleset_version=columns.get("ruleset_version") if decided else None,
            fired=tuple(decided["detail"].get("rules", ())) if decided else (),
        )
    ]
    if to == S.ISSUED:
        assert credit_code is not None
        found.append(LicenceIssued(application_id, credit_code, now, notice))
    return found


def timeline(conn: Connection, application_id: str) -> list[dict[str, Any]]:
    """Everything that happened to the application, oldest first, as its readers see it."""
    opening = repository.opening_records(conn, application_id)
    later = repository.events(conn, application_id)
    return [*opening_events(conn, application_id, opening), *later]


def opening_events(
    conn: Connection, application_id: str, opening_records: int | None
) -> list[dict[str, Any]]:
    """The events the application was stored with: the first records of its audit chain.
    Rows stored before (``opening_records`` NULL) keep them in ``application_events``."""
    if not opening_records:
        return []
    return [
        {"at": r["at"], "kind": r["action"], "detail": _event_detail(r["action"], r["detail"])}
        for r in audit.first_records(conn, application_id, opening_records)
    ]


def _event_detail(action: str, detail: dict[str, Any]) -> dict[str, Any]:
    # a decision's record adds the hash of its facts (approval.audit.service.event_entries)
    if action == "decided":
        return {k: v for k, v in detail.items() if k != "facts_sha256"}
    return detail
