from __future__ import annotations

import datetime as dt
import itertools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url

from api import create_app
from approval.access.service import create_key
from approval.database import Database
from approval.kernel.principal import Role
from approval.migrate import upgrade_to_head
from approval.settings import Settings
from tests.fixtures import personas

TODAY = dt.date(2026, 11, 26)

# Property tests assert behaviour, not speed (speed lives in loadtest/): no per-example deadline,
# which a busy CI machine would otherwise trip at random.
hypothesis.settings.register_profile("miaopi", deadline=None)
hypothesis.settings.load_profile("miaopi")


# With an admin URL here (see scripts/postgres.sh), the integration tests run on PostgreSQL,
# each in a database of its own; otherwise each gets a fresh SQLite file.
POSTGRES_ADMIN_URL = os.environ.get("APPROVAL_TEST_POSTGRES_URL")


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    if not POSTGRES_ADMIN_URL:
        yield f"sqlite:///{tmp_path / 'miaopi.sqlite3'}"
        return
    name = f"miaopi_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        fixed_today=TODAY,
        signing_key_path=tmp_path / "signing-key.pem",
        # a filed name is taken in the stub market registry: filing in the background would
        # make a test's later submissions depend on timing (tests/filings step the worker)
        filing_interval_seconds=0,
    )


@pytest.fixture
def migrated(settings: Settings) -> Settings:
    """The test database at the newest schema (no app started)."""
    upgrade_to_head(settings.database_url)
    return settings


@pytest.fixture
def client(migrated: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(migrated)) as test_client:
        yield test_client


@pytest.fixture
def keys(migrated: Settings) -> dict[str, str]:
    """One key per role; the mobile key belongs to the clean_owner persona.

    Only the schema is needed: a second app on the same database would run its own workers
    and decide the other app's applications behind the test's back.
    """
    settings = migrated
    db = Database(settings.database_url)
    now = dt.datetime.now(dt.UTC)
    try:
        with db.transaction() as conn:
            made = {
                role.value: create_key(
                    conn,
                    role.value,
                    personas()["clean_owner"]["id_number"] if role == Role.MOBILE else None,
                    None,
                    now,
                )
                for role in Role
            }
    finally:
        db.dispose()
    return made


_keys = itertools.count()


def submit(client: TestClient, key: str, body: Any, idempotency_key: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {key}"}
    headers["Idempotency-Key"] = idempotency_key or f"test-{next(_keys)}"
    return client.post("/v1/applications", json=body, headers=headers)
