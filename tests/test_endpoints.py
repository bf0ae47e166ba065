"""The request's unit of work: committed once before the answer is sent, rolled back on any
error; what runs after the commit runs only then; a missing adapter stops the app from starting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api import _approval_error
from approval.access.service import create_key
from approval.clock import Clock, clock_for
from approval.database import Database, after_commit, api_keys
from approval.endpoints import AdapterMissing, ClockDep, ConnDep, check_adapters
from approval.errors import ApprovalError, NotFound
from tests.fixtures.database import migrated_database

NOW = dt.datetime(2026, 12, 3, 9, tzinfo=dt.UTC)


@dataclass
class Adapters:
    db: Database
    clock: Clock


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with migrated_database(tmp_path) as database:
        yield database


def _keys(db: Database) -> int:
    with db.reading() as conn:
        return int(conn.execute(select(func.count()).select_from(api_keys)).scalar_one())


@pytest.fixture
def app(db: Database) -> tuple[FastAPI, list[str]]:
    app = FastAPI()
    app.state.context = Adapters(db, clock_for(None))
    app.add_exception_handler(ApprovalError, _approval_error)
    seen: list[str] = []

    @app.middleware("http")
    async def count_when_answering(request: Any, call_next: Any) -> Any:
        response = await call_next(request)  # the answer is about to be sent
        seen.append(f"answered with {_keys(db)} key(s)")
        return response

    @app.post("/keys")
    def create(conn: ConnDep, clock: ClockDep) -> dict[str, Any]:
        create_key(conn, "staff", None, "uow", clock.now())
        after_commit(conn, lambda: seen.append(f"committed with {_keys(db)} key(s)"))
        return {"ok": True}

    @app.post("/keys/then-fail")
    def create_then_fail(conn: ConnDep, clock: ClockDep) -> dict[str, Any]:
        create_key(conn, "staff", None, "uow", clock.now())
        after_commit(conn, lambda: seen.append("must not run"))
        raise NotFound("没有")

    return app, seen


def test_what_an_endpoint_wrote_is_committed_before_its_answer_arrives(
    app: tuple[FastAPI, list[str]], db: Database
) -> None:
    web, seen = app
    with TestClient(web) as client:
        assert client.post("/keys").status_code == 200
    assert seen == ["committed with 1 key(s)", "answered with 1 key(s)"]


def test_an_error_rolls_back_everything_the_request_wrote(
    app: tuple[FastAPI, list[str]], db: Database
) -> None:
    web, seen = app
    with TestClient(web) as client:
        answer = client.post("/keys/then-fail")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert _keys(db) == 0
    assert seen == ["answered with 0 key(s)"]


def test_the_app_does_not_start_without_an_adapter_an_endpoint_declares(db: Database) -> None:
    # the feature endpoints (imported with api.py) ask for the catalog, the ruleset and more
    with pytest.raises(AdapterMissing, match="is not provided"):
        check_adapters(Adapters(db, clock_for(None)))
