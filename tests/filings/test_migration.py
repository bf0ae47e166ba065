"""Licences issued before filings existed are filed too: the migration writes each as it stands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import insert

from approval.clock import CHINA_TZ
from approval.database import Database, api_keys, applications, licences
from approval.filings import repository
from approval.migrate import alembic_config, upgrade_to_head
from tests.fixtures import application_for

ISSUED = dt.datetime(2026, 6, 1, 9, 0, tzinfo=CHINA_TZ)
REVOKED = dt.datetime(2026, 9, 1, 15, 0, tzinfo=CHINA_TZ)


def _application(app_id: str, name: str | None, status: str, updated: dt.datetime) -> Any:
    payload = application_for("clean_owner", name=name)
    return {
        "id": app_id,
        "created_at": ISSUED,
        "updated_at": updated,
        "channel": "terminal",
        "key_id": "k1",
        "request_hash": "h",
        "status": status,
        "operator_id_number": payload["operator"]["id_number"],
        "authority_code": "321204",
        "payload": payload,
        "reasons": [],
        "conditions": [],
    }


def _licence(app_id: str, code: str, status: str) -> Any:
    return {
        "credit_code": code,
        "application_id": app_id,
        "licence_id": f"lic-{app_id}",
        "issued_on": ISSUED.date(),
        "document": {},
        "signature": "s",
        "key_id": "k",
        "status": status,
        "created_at": ISSUED,
    }


def test_licences_issued_before_the_filing_outbox_are_written_to_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'older.sqlite3'}"
    command.upgrade(alembic_config(url), "b2d4f6name01")
    db = Database(url)
    try:
        with db.transaction() as conn:
            conn.execute(
                insert(api_keys).values(id="k1", key_hash="x", role="terminal", created_at=ISSUED)
            )
            conn.execute(
                insert(applications),
                [
                    _application("a1", "泰州市姜堰区瑞澜五金店", "issued", ISSUED),
                    _application("a2", None, "revoked", REVOKED),
                ],
            )
            conn.execute(
                insert(licences),
                [
                    _licence("a1", "92321204MA1XYW7Q5A", "current"),
                    _licence("a2", "92321204MA1XYW7Q6B", "revoked"),
                ],
            )
        upgrade_to_head(url)
        with db.reading() as conn:
            [current] = repository.for_application(conn, "a1")
            [revoked] = repository.for_application(conn, "a2")
    finally:
        db.dispose()
    assert (current.version, current.event, current.status) == (1, "issued", "current")
    assert current.name == "泰州市姜堰区瑞澜五金店"
    assert current.registered_on == ISSUED.date()
    assert current.next_attempt_at is not None
    assert current.filed_at is None
    assert (revoked.version, revoked.event, revoked.status) == (1, "revoked", "revoked")
    assert revoked.name is None
    assert revoked.changed_at.replace(tzinfo=CHINA_TZ) == REVOKED
