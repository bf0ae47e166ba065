"""The filing outbox follows the licences: each issue, revocation and restoration writes the
registration's new state, in the transaction that made it, for the worker to file."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.engine import Connection

from approval.applications.lifecycle import (
    LicenceIssued,
    LicenceRestored,
    LicenceRevoked,
    Lifecycle,
)
from approval.filings import repository
from connectors.base import RegistrationStatus

FiledEvent = LicenceIssued | LicenceRevoked | LicenceRestored

EVENTS: dict[type[FiledEvent], tuple[str, RegistrationStatus]] = {
    LicenceIssued: ("issued", RegistrationStatus.CURRENT),
    LicenceRevoked: ("revoked", RegistrationStatus.REVOKED),
    LicenceRestored: ("restored", RegistrationStatus.CURRENT),
}


class RegistrationNotFound(LookupError):
    """A licence event for an application that is not stored: a bug, never the applicant's."""


def file_registration(conn: Connection, event: FiledEvent) -> None:
    """Write the registration's state as of ``event`` to the outbox, numbered one above the
    last; nothing when that state is already the last (a second revocation of a revoked one)."""
    kind, status = EVENTS[type(event)]
    latest = repository.latest(conn, event.credit_code)
    if latest is not None and latest.status == status.value:
        return
    if latest is not None:
        particulars = {
            "name": latest.name,
            "operator_id_number": latest.operator_id_number,
            "operator_name": latest.operator_name,
            "authority_code": latest.authority_code,
            "registered_on": latest.registered_on,
        }
    else:
        particulars = _particulars(conn, event)
    repository.insert(
        conn,
        {
            "credit_code": event.credit_code,
            "version": latest.version + 1 if latest is not None else 1,
            "application_id": event.application_id,
            "event": kind,
            "status": status.value,
            **particulars,
            "changed_at": event.at,
            "created_at": event.at,
            "attempts": 0,
            "next_attempt_at": event.at,
        },
    )


def _particulars(conn: Connection, event: FiledEvent) -> dict[str, Any]:
    row = repository.registration_particulars(conn, event.application_id)
    if row is None:
        raise RegistrationNotFound(event.application_id)
    payload = row.payload
    # issued now: the licence row may follow in this transaction; its date is the event's
    registered_on: dt.date = row.issued_on or event.at.date()
    return {
        "name": payload.get("name"),
        "operator_id_number": row.operator_id_number,
        "operator_name": payload["operator"]["name"],
        "authority_code": row.authority_code,
        "registered_on": registered_on,
    }


def file_registrations(lifecycle: Lifecycle) -> None:
    for kind in EVENTS:
        lifecycle.subscribe(kind, file_registration)
