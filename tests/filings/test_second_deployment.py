"""The name stays taken beyond one deployment: a registration one Miaopi files to the market
registry (a stub registry server, over signed HTTP) is refused by another Miaopi on a fresh,
empty database pointed at the same registry."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import create_app
from approval.access.service import create_key
from approval.database import Database
from approval.kernel.principal import Role
from approval.migrate import upgrade_to_head
from approval.settings import RegistryEndpoint, Settings
from connectors.base import RegistrationStatus, Registry
from tests.conftest import submit
from tests.filings.support import filings
from tests.fixtures import application_for, personas
from tests.verification.stubs import StubServers, stub_servers

NAME = "泰州市姜堰区瑞澜五金店"


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[StubServers]:
    """Stub registry servers of this test alone: what is filed to them stays with the test."""
    with stub_servers(tmp_path / "registry-keys") as running:
        yield running


def _deployment(settings: Settings, servers: StubServers, **changes: Any) -> Settings:
    endpoints = {
        registry: RegistryEndpoint.model_validate({**value, "read_timeout_ms": 2000})
        for registry, value in servers.urls().items()
    }
    return settings.model_copy(
        update={
            "registry_endpoints": endpoints,
            "registry_keys_dir": servers.keys.folder,
            "registry_deadline_ms": 5000.0,
            "verification_worker": False,
            "dispatch_interval_seconds": 0,
            **changes,
        }
    )


def _terminal_key(database_url: str) -> str:
    upgrade_to_head(database_url)
    db = Database(database_url)
    try:
        with db.transaction() as conn:
            return create_key(conn, Role.TERMINAL.value, None, None, dt.datetime.now(dt.UTC))
    finally:
        db.dispose()


def _wait_until(check: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds} s"
        time.sleep(0.01)


def test_a_second_deployment_on_an_empty_database_refuses_a_filed_name(
    settings: Settings, servers: StubServers, tmp_path: Path
) -> None:
    market = servers[Registry.MARKET].app
    # the first deployment issues, and its worker (as serve runs it) files the registration
    first = _deployment(settings, servers, filing_interval_seconds=0.01)
    first_key = _terminal_key(first.database_url)
    with TestClient(create_app(first)) as client:
        created = submit(client, first_key, application_for("clean_owner", name=NAME)).json()
        assert created["status"] == "issued", created
        code = created["licence"]["credit_code"]
        _wait_until(lambda: market.filings.get(code) is not None, "the filing")
        _wait_until(lambda: filings(client, created["id"])[0].filed_at is not None, "the receipt")
    record = market.filings.get(code)
    assert record is not None
    assert (record.filing.name, record.filing.status) == (NAME, RegistrationStatus.CURRENT)
    assert record.filing.operator_id_number == personas()["clean_owner"]["id_number"]

    # a second deployment, knowing nothing of the first, asks the same registry
    second = _deployment(
        settings,
        servers,
        database_url=f"sqlite:///{tmp_path / 'second-deployment.sqlite3'}",
        signing_key_path=tmp_path / "second-signing-key.pem",
    )
    second_key = _terminal_key(second.database_url)
    with TestClient(create_app(second)) as client:
        for name in (NAME, "泰州市姜堰区瑞澜五金商行", "瑞澜五金经营部"):
            for persona in ("clean_owner", "revoked_entity_operator"):
                body = application_for(persona, name=name)
                body["premises"] = application_for("clean_owner")["premises"]
                refused = submit(client, second_key, body).json()
                assert refused["decision"] == "reject", (name, persona, refused)
                assert "NAME_IDENTICAL" in [r["code"] for r in refused["reasons"]], name
        # a name of its own is still free
        free = submit(
            client, second_key, application_for("clean_owner", name="泰州市姜堰区澜瑞五金店")
        )
        assert free.json()["status"] == "issued", free.json()
