"""Shared by the supervision, review, objection and audit tests: a clock the test moves, keys
bound to departments, and the app's dispatcher run on demand."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from approval.access.service import create_key
from approval.clock import CHINA_TZ
from approval.database import Database
from approval.settings import Settings
from approval.supervision.dispatcher import Dispatcher


class MovableClock:
    def __init__(self, start: dt.datetime) -> None:
        self.current = start

    def now(self) -> dt.datetime:
        return self.current

    def today(self) -> dt.date:
        return self.current.date()

    def move(self, **delta: float) -> None:
        self.current += dt.timedelta(**delta)

    def set_date(self, day: dt.date) -> None:
        self.current = dt.datetime.combine(day, self.current.timetz())


def quiet_settings(tmp_path: Path, today: dt.date, database_url: str, **extra: Any) -> Settings:
    """The usual test settings, without the in-process dispatcher (the tests step it)."""
    return Settings(
        database_url=database_url,
        fixed_today=today,
        signing_key_path=tmp_path / "signing-key.pem",
        dispatch_interval_seconds=0,
        **extra,
    )


def install_clock(client: TestClient, today: dt.date) -> MovableClock:
    clock = MovableClock(dt.datetime.combine(today, dt.time(10, 0), tzinfo=CHINA_TZ))
    context = client.app.state.context  # type: ignore[attr-defined]
    context.clock = clock
    context.intake = dataclasses.replace(context.intake, clock=clock)  # what submission reads
    return clock


def supervisor_key(settings: Settings, department: str | None) -> str:
    db = Database(settings.database_url)
    try:
        with db.transaction() as conn:
            return create_key(
                conn, "supervisor", None, None, dt.datetime.now(dt.UTC), department=department
            )
    finally:
        db.dispose()


def rule_admin_key(settings: Settings, label: str) -> str:
    """A rule administrator's key, labelled with the person's name."""
    db = Database(settings.database_url)
    try:
        with db.transaction() as conn:
            return create_key(conn, "rule_admin", None, label, dt.datetime.now(dt.UTC))
    finally:
        db.dispose()


def mobile_key(settings: Settings, id_number: str) -> str:
    db = Database(settings.database_url)
    try:
        with db.transaction() as conn:
            return create_key(conn, "mobile", id_number, None, dt.datetime.now(dt.UTC))
    finally:
        db.dispose()


def dispatcher(client: TestClient, **changes: Any) -> Dispatcher:
    context = client.app.state.context  # type: ignore[attr-defined]
    made = Dispatcher.from_settings(
        context.settings, context.db, context.clock, context.signer, context.reference.scope
    )
    for name, value in changes.items():
        setattr(made, name, value)
    return made


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
