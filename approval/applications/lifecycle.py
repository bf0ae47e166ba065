"""The one owner of an application's status.

``Lifecycle.transition`` compares-and-sets the row, appends the timeline events and their audit
records in the caller's transaction, and then hands a domain event to every subscriber that the
composition root registered (bundles, the supervision outbox, …), in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Decided:
    application_id: str
    status: ApplicationStatus
    outcome: str
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class LicenceIssued:
    application_id: str
    credit_code: str
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class LicenceRevoked:
    application_id: str
    credit_code: str
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class LicenceRestored:
    application_id: str
    credit_code: str
    at: dt.datetime


DomainEvent = Decided | LicenceIssued | LicenceRevoked | LicenceRestored
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
    ) -> None:
        """Move one application, or raise: illegal (not in the table) or changed meanwhile.

        The audit records are one per event unless ``entries`` says them otherwise (a staff
        decision records its reason).
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
        for event in _domain_events(application_id, expected_from, to, columns, credit_code, now):
            self.publish(conn, event)


def _domain_events(
    application_id: str,
    from_: ApplicationStatus,
    to: ApplicationStatus,
    columns: dict[str, Any],
    credit_code: str | None,
    now: dt.datetime,
) -> list[DomainEvent]:
    if from_ == S.REVOKED:
        assert credit_code is not None
        return [LicenceRestored(application_id, credit_code, now)]
    if to == S.REVOKED:
        assert credit_code is not None
        return [LicenceRevoked(application_id, credit_code, now)]
    found: list[DomainEvent] = [Decided(application_id, to, str(columns.get("outcome")), now)]
    if to == S.ISSUED:
        assert credit_code is not None
        found.append(LicenceIssued(application_id, credit_code, now))
    return found
