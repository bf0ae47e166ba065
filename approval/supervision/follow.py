"""The supervision outbox follows the licences: each issue, revocation and restoration is an
outbox event written in the transaction that made it, pushed to the departments later."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from approval.applications.lifecycle import (
    ItemsRevoked,
    LicenceIssued,
    LicenceRestored,
    LicenceRevoked,
    Lifecycle,
)
from approval.supervision import repository

LicenceEvent = LicenceIssued | LicenceRevoked | LicenceRestored | ItemsRevoked

OUTBOX_KIND: dict[type[LicenceEvent], str] = {
    LicenceIssued: "licence_issued",
    LicenceRevoked: "licence_revoked",
    LicenceRestored: "licence_restored",
    ItemsRevoked: "items_revoked",
}


def push(conn: Connection, event: LicenceEvent) -> None:
    payload = {"credit_code": event.credit_code, **event.notice}
    repository.insert_outbox(
        conn, OUTBOX_KIND[type(event)], event.application_id, payload, event.at
    )


def follow_licences(lifecycle: Lifecycle) -> None:
    for kind in OUTBOX_KIND:
        lifecycle.subscribe(kind, push)
