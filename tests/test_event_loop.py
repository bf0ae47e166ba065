"""No request waits on the database on the event loop, and neither does the registry fan-out.

The engine's check-outs and statements are watched; any that happens on a thread running an
event loop is recorded with the project code that asked for it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import create_app
from approval.context import AppContext
from approval.database import Database
from approval.decisions.registries import ask_registries
from approval.objections.bans import with_local_bans
from approval.settings import Settings
from approval.supervision import repository as supervision
from approval.verification.worker import run_once
from connectors.registries import MARKET, Registries
from connectors.stub import build_stub_registries
from tests.conftest import TODAY, submit
from tests.fixtures import application_for, personas
from tests.fixtures.loop import database_use_on_the_loop

# On the loop by design, elsewhere: the API key look-up on a cache miss (approval/access), and
# the last, short pass of the WAL checkpoint (api.py)
BY_DESIGN = ("approval/access/", "_checkpoint_regularly")
PERMIT = {"truthfulness": True, "no_trading_before_permit": True}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # background work on the loop is not a request's: the worker and dispatcher stay off
    quiet = {"verification_worker": False, "dispatch_interval_seconds": 0}
    return settings.model_copy(update=quiet)


@pytest.fixture
def stored(client: TestClient, keys: dict[str, str]) -> dict[str, str]:
    application = submit(client, keys["terminal"], application_for("clean_tenant")).json()
    bundle = client.post(
        "/v1/bundles/BUNDLE-RESTAURANT/applications",
        json={"application": application_for("clean_owner", scope=["H2001"], commitments=PERMIT)},
        headers={"Authorization": f"Bearer {keys['terminal']}", "Idempotency-Key": "loop-1"},
    ).json()
    return {"application": application["id"], "bundle": bundle["id"]}


REQUESTS: dict[str, tuple[str, str, str, dict[str, Any] | None]] = {
    "statistics": ("GET", "/v1/stats", "", None),
    "statistics page": ("GET", "/v1/stats/page", "", None),
    "overdue": ("GET", "/v1/overdue", "staff", None),
    "bundle": ("GET", "/v1/bundles/applications/{bundle}", "terminal", None),
    "rating": ("POST", "/v1/applications/{application}/rating", "terminal", {"rating": 5}),
    # a new authority: its first approval reserves a block of credit-code serials
    "submit": (
        "POST",
        "/v1/applications",
        "terminal",
        application_for(
            "residential_owner", commitments={"truthfulness": True, "residential_use_consent": True}
        ),
    ),
    "bundle submit": (
        "POST",
        "/v1/bundles/BUNDLE-GROCERY/applications",
        "terminal",
        {
            "application": application_for(
                "clean_tenant", scope=["F1001", "F2001"], commitments=PERMIT
            )
        },
    ),
}


@pytest.mark.parametrize("name", REQUESTS)
def test_the_endpoint_works_off_the_event_loop(
    client: TestClient, keys: dict[str, str], stored: dict[str, str], name: str
) -> None:
    method, path, role, body = REQUESTS[name]
    headers = {"Authorization": f"Bearer {keys[role]}", "Idempotency-Key": name} if role else {}
    context: AppContext = client.app.state.context  # type: ignore[attr-defined]
    with database_use_on_the_loop(context.db.engine) as use:
        response = client.request(method, path.format(**stored), json=body, headers=headers)
    assert response.status_code in (200, 201, 204), response.text
    assert use.apart_from(*BY_DESIGN) == []


def test_the_ban_read_in_the_registry_fan_out_is_off_the_event_loop(
    client: TestClient, settings: Settings
) -> None:
    person = personas()["clean_owner"]
    db = Database(settings.database_url)
    with db.transaction() as conn:
        supervision.insert_ban(
            conn,
            id_number=person["id_number"],
            banned_on=TODAY,
            banned_until=TODAY + dt.timedelta(days=3 * 365),
        )
    registries = with_local_bans(Registries(build_stub_registries(settings.registry_data_dir)), db)

    def ask() -> Any:
        return ask_registries(
            registries,
            case_id="loop-case",
            operator_id_number=person["id_number"],
            authority_code="321202",
            proposed_name=None,
            property_certificate=None,
            deadline_seconds=30,
        )

    try:
        with database_use_on_the_loop(db.engine) as use:
            answers = asyncio.run(ask())
    finally:
        db.dispose()
    market = answers.facts(MARKET)
    assert market is not None
    assert market.false_registration_banned_until == TODAY + dt.timedelta(days=3 * 365)
    assert use.origins == []


def test_the_watch_sees_a_database_call_made_on_the_loop(settings: Settings) -> None:
    db = Database(settings.database_url)

    async def on_the_loop() -> None:
        _read(db)

    async def on_a_worker_thread() -> None:
        await asyncio.to_thread(_read, db)

    try:
        with database_use_on_the_loop(db.engine) as use:
            asyncio.run(on_the_loop())
        assert [o.split(" from ")[0] for o in use.origins] == [
            "connection check-out",
            "statement SELECT",
        ]
        assert "test_event_loop.py" not in use.origins[0]  # the project's code that asked
        with database_use_on_the_loop(db.engine) as use:
            asyncio.run(on_a_worker_thread())
        assert use.origins == []
    finally:
        db.dispose()


def _read(db: Database) -> None:
    with db.reading() as conn:
        conn.exec_driver_sql("SELECT 1")


@pytest.mark.parametrize("later", [dt.timedelta(seconds=5), dt.timedelta(days=30)])
def test_the_verification_worker_works_off_the_event_loop(
    settings: Settings, keys: dict[str, str], later: dt.timedelta
) -> None:
    """A parked application retried (still down) or given up (manual review), inside serve's
    own loop: claim, reschedule, conclusion and the bundle subscriber all run on threads."""
    down = settings.model_copy(update={"unavailable_registries": frozenset({"market"})})
    with TestClient(create_app(down)) as client:
        parked = submit(client, keys["terminal"], application_for("clean_owner")).json()
        assert parked["status"] == "pending_verification"
        context: AppContext = client.app.state.context  # type: ignore[attr-defined]
        with database_use_on_the_loop(context.db.engine) as use:
            claimed = asyncio.run(run_once(context, now=context.clock.now() + later))
        assert claimed == 1
        assert use.origins == []
