"""Rows written through the driver read back exactly as SQLAlchemy would have written them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from approval.clock import CHINA_TZ
from approval.database import Database, api_keys, application_events, applications, row_writer
from approval.migrate import upgrade_to_head

NOW = dt.datetime(2026, 11, 26, 9, 30, 15, 123456, tzinfo=CHINA_TZ)


def _application(app_id: str, idempotency_key: str | None) -> dict[str, object]:
    return {
        "id": app_id,
        "created_at": NOW,
        "updated_at": NOW,
        "channel": "terminal",
        "key_id": "k1",
        "idempotency_key": idempotency_key,
        "request_hash": "h",
        "status": "issued",
        "operator_id_number": "321202199001011234",
        "authority_code": "321202",
        "payload": {"name": "泰州市海陵区老王面馆", "scope": ["F1001"], "ok": True, "n": None},
        "facts": {"operator.age": 36},
        "ruleset_version": "v",
        "outcome": "approve",
        "reasons": [],
        "conditions": ["须办理备案"],
        "decided_at": None,
        "response": {"id": app_id},
    }


@pytest.fixture
def db(tmp_path: Path) -> Database:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    upgrade_to_head(url)
    database = Database(url)
    with database.transaction() as conn:
        conn.execute(
            insert(api_keys).values(id="k1", key_hash="x", role="terminal", created_at=NOW)
        )
    return database


def test_written_rows_read_back_like_core_rows(db: Database) -> None:
    with db.transaction() as conn:
        row_writer(applications, conn.dialect).insert(conn, [_application("a1", "key-1")])
        conn.execute(insert(applications).values(**_application("a2", "key-2")))
        row_writer(application_events, conn.dialect).insert(
            conn, [{"application_id": "a1", "at": NOW, "kind": "received", "detail": {"x": "中"}}]
        )
    with db.reading() as conn:
        fast, core = (
            conn.execute(select(applications).where(applications.c.id == i)).one()._asdict()
            for i in ("a1", "a2")
        )
        event = conn.execute(select(application_events)).one()
    for row in (fast, core):
        row.pop("id"), row.pop("idempotency_key"), row.pop("response")
    assert fast == core
    assert fast["payload"]["name"] == "泰州市海陵区老王面馆"
    assert event.detail == {"x": "中"}
    assert event.id == 1


def test_duplicate_key_raises_sqlalchemys_integrity_error_and_rolls_back(db: Database) -> None:
    with db.transaction() as conn:
        row_writer(applications, conn.dialect).insert(conn, [_application("a1", "same")])
    with pytest.raises(IntegrityError), db.transaction() as conn:  # noqa: PT012
        row_writer(applications, conn.dialect).insert(conn, [_application("a2", "other")])
        row_writer(applications, conn.dialect).insert(conn, [_application("a3", "same")])
    with db.reading() as conn:
        assert [r.id for r in conn.execute(select(applications.c.id))] == ["a1"]


def test_unknown_column_is_refused(db: Database) -> None:
    with pytest.raises(KeyError, match="colour"), db.transaction() as conn:
        row_writer(applications, conn.dialect).insert(
            conn, [{**_application("a", None), "colour": 1}]
        )


def test_database_errors_never_quote_the_values_they_were_given(db: Database) -> None:
    row = _application("a1", "same")
    with db.transaction() as conn:
        row_writer(applications, conn.dialect).insert(conn, [row])
    for write in (
        lambda conn: row_writer(applications, conn.dialect).insert(conn, [row]),
        lambda conn: conn.execute(insert(applications).values(**row)),
    ):
        with pytest.raises(IntegrityError) as raised, db.transaction() as conn:
            write(conn)
        assert "321202199001011234" not in str(raised.value)
        assert "泰州市" not in str(raised.value)
