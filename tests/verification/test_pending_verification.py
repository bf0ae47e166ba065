"""Fault injection end to end: the service against the three stub registry stubs.

For each registry and each fault kind: nothing is approved or rejected on missing facts; the
application is decided correctly once the registry recovers, or goes to manual review after the
limit; nothing is lost when the service stops mid-way.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api import create_app
from approval.audit import service as audit
from approval.migrate import upgrade_to_head
from approval.settings import RegistryEndpoint, Settings
from approval.verification import repository
from approval.verification.tables import pending_verifications, registry_exchanges
from approval.verification.worker import run_once
from tests.conftest import submit
from tests.fixtures import application_for
from tests.verification.stubs import FAULTS, StubServers

SHORT = {"read_timeout_ms": 100, "backoff_ms": 10, "backoff_max_ms": 20}


def _settings(settings: Settings, stubs: StubServers, **changes: Any) -> Settings:
    endpoints = {
        registry: RegistryEndpoint.model_validate({**value, **SHORT, "breaker_threshold": 50})
        for registry, value in stubs.urls().items()
    }
    return settings.model_copy(
        update={
            "registry_endpoints": endpoints,
            "registry_keys_dir": stubs.keys.folder,
            "registry_deadline_ms": 1500.0,
            "verification_worker": False,
            **changes,
        }
    )


@pytest.fixture
def http_settings(settings: Settings, stubs: StubServers) -> Settings:
    return _settings(settings, stubs)


@pytest.fixture
def app_client(http_settings: Settings) -> Iterator[TestClient]:
    upgrade_to_head(http_settings.database_url)
    with TestClient(create_app(http_settings)) as client:
        yield client


def _read(client: TestClient, key: str, application_id: str) -> Any:
    return client.get(
        f"/v1/applications/{application_id}", headers={"Authorization": f"Bearer {key}"}
    ).json()


def _work(client: TestClient, after_seconds: float) -> int:
    """One worker round, as if ``after_seconds`` had passed since now."""
    ctx = client.app.state.context  # type: ignore[attr-defined]
    now = ctx.clock.now() + dt.timedelta(seconds=after_seconds)
    return int(client.portal.call(functools.partial(run_once, ctx, now)))  # type: ignore[union-attr]


def _exchanges(client: TestClient, application_id: str) -> list[Any]:
    ctx = client.app.state.context  # type: ignore[attr-defined]
    with ctx.db.reading() as conn:
        return list(
            conn.execute(
                select(registry_exchanges).where(
                    registry_exchanges.c.application_id == application_id
                )
            )
        )


def _audited_actions(client: TestClient, application_id: str) -> list[str]:
    ctx = client.app.state.context  # type: ignore[attr-defined]
    with ctx.db.reading() as conn:
        assert audit.verify_all(conn).first_break is None
        return [record["action"] for record in audit.entries_for(conn, application_id)]


EXPECTED = {"clean_owner": ("issued", "approve"), "banned": ("decided", "reject")}


@pytest.mark.parametrize("registry", ["market", "food", "realestate"])
def test_each_fault_parks_and_recovery_decides(
    app_client: TestClient, keys: dict[str, str], stubs: StubServers, registry: str
) -> None:
    persona = "banned" if registry == "market" else "clean_owner"
    for fault in sorted(FAULTS):
        stubs.inject(registry, **FAULTS[fault])
        body = submit(app_client, keys["terminal"], application_for(persona)).json()
        assert body["status"] == "pending_verification", fault
        assert body["decision"] is None
        assert body["licence"] is None
        assert [r["code"] for r in body["reasons"]] == ["REGISTRY_UNAVAILABLE"]
        failed = [x for x in _exchanges(app_client, body["id"]) if x.registry == registry]
        assert failed
        assert all(x.status != "ok" for x in failed)
        assert len(failed) <= 3  # at most two retries

        # still failing: the worker keeps it pending and does not decide
        assert _work(app_client, after_seconds=30) == 1
        assert _read(app_client, keys["staff"], body["id"])["status"] == "pending_verification"

        stubs.reset()
        assert _work(app_client, after_seconds=600) == 1
        stored = _read(app_client, keys["staff"], body["id"])
        assert (stored["status"], stored["decision"]) == EXPECTED[persona], fault
        assert stored["timeline"][-1]["kind"] in ("licence_issued", "decided")
        # the worker's decision is on the application's audit chain, which still verifies
        # (the dispatcher may already have recorded its push after the decision)
        actions = [
            a for a in _audited_actions(app_client, body["id"]) if not a.startswith("supervision_")
        ]
        assert actions[0] == "received"
        assert actions[-1] == stored["timeline"][-1]["kind"]
        assert _work(app_client, after_seconds=900) == 0  # off the queue


def test_manual_review_after_the_limit(
    app_client: TestClient, keys: dict[str, str], stubs: StubServers
) -> None:
    stubs.inject("realestate", outage=True)
    body = submit(app_client, keys["terminal"], application_for("clean_owner")).json()
    limit = app_client.app.state.context.settings.verification_limit_seconds  # type: ignore[attr-defined]
    assert _work(app_client, after_seconds=limit + 1) == 1
    stored = _read(app_client, keys["staff"], body["id"])
    assert (stored["status"], stored["decision"]) == ("decided", "manual_review")
    assert [r["code"] for r in stored["reasons"]] == ["REGISTRY_VERIFICATION_TIMEOUT"]
    assert stored["timeline"][-1]["kind"] == "manual_review"
    assert stored["licence"] is None
    assert _audited_actions(app_client, body["id"])[-1] == "manual_review"
    stubs.reset()
    assert _work(app_client, after_seconds=limit + 600) == 0  # decided once, never again


def test_nothing_is_lost_when_the_service_stops_mid_way(
    http_settings: Settings, keys: dict[str, str], stubs: StubServers
) -> None:
    upgrade_to_head(http_settings.database_url)
    stubs.inject("food", timeout_rate=1.0)
    with TestClient(create_app(http_settings)) as first:
        body = submit(first, keys["terminal"], application_for("clean_owner")).json()
        assert body["status"] == "pending_verification"
        ctx = first.app.state.context  # type: ignore[attr-defined]
        # a worker claims it and dies before concluding (its lease is left in the database)
        with ctx.db.transaction() as conn:
            now = ctx.clock.now() + dt.timedelta(seconds=30)
            lease = now + dt.timedelta(seconds=ctx.settings.verification_lease_seconds)
            assert len(repository.claim_due(conn, now, lease, "dead-worker", 10)) == 1
    stubs.restart("food")  # the registry comes back too, on the same port
    stubs.reset()
    with TestClient(create_app(http_settings)) as second:
        assert _work(second, after_seconds=31) == 0  # the dead worker's lease still holds
        lease_s = http_settings.verification_lease_seconds
        assert _work(second, after_seconds=31 + lease_s + 1) == 1
        stored = _read(second, keys["staff"], body["id"])
        assert (stored["status"], stored["decision"]) == ("issued", "approve")
        with second.app.state.context.db.reading() as conn:  # type: ignore[attr-defined]
            assert repository.pending_count(conn) == 0


def test_the_worker_in_serve_resolves_by_itself(
    settings: Settings, keys: dict[str, str], stubs: StubServers
) -> None:
    running = _settings(
        settings,
        stubs,
        verification_worker=True,
        verification_poll_seconds=0.02,
        verification_backoff_seconds=0.05,
        verification_backoff_max_seconds=0.1,
    )
    upgrade_to_head(running.database_url)
    stubs.inject("market", error_rate=1.0)
    with TestClient(create_app(running)) as client:
        body = submit(client, keys["terminal"], application_for("clean_owner")).json()
        assert body["status"] == "pending_verification"
        stubs.reset()
        deadline = time.monotonic() + 10
        while _read(client, keys["staff"], body["id"])["status"] == "pending_verification":
            assert time.monotonic() < deadline, "the worker did not resolve the application"
            time.sleep(0.02)
        assert _read(client, keys["staff"], body["id"])["status"] == "issued"


def test_a_parked_application_is_queued_in_the_same_transaction(
    app_client: TestClient, keys: dict[str, str], stubs: StubServers
) -> None:
    stubs.inject("market", outage=True)
    body = submit(app_client, keys["terminal"], application_for("clean_owner")).json()
    with app_client.app.state.context.db.reading() as conn:  # type: ignore[attr-defined]
        (queued,) = conn.execute(select(pending_verifications)).all()
    assert queued.application_id == body["id"]
    assert queued.attempts == 0
