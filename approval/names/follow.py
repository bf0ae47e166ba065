"""The name register follows the licences: a revoked registration frees its name (refused to
others for a year, R24), an annulled revocation gives it back."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from approval.applications.lifecycle import LicenceRestored, LicenceRevoked, Lifecycle
from approval.names.comparison import FreedReason
from approval.names.register import free_name, restore_name


def _revoked(conn: Connection, event: LicenceRevoked) -> None:
    free_name(conn, event.credit_code, FreedReason.REVOKED, event.at)


def _restored(conn: Connection, event: LicenceRestored) -> None:
    restore_name(conn, event.credit_code)


def follow_licences(lifecycle: Lifecycle) -> None:
    lifecycle.subscribe(LicenceRevoked, _revoked)
    lifecycle.subscribe(LicenceRestored, _restored)
