"""An application in flight when a ruleset is activated is decided by the one it arrived under."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
from pathlib import Path

from approval.access.service import create_key
from approval.context import build_context
from approval.decisions.registries import Registries
from approval.engine.ruleset import Ruleset
from approval.kernel.principal import Principal, Role
from approval.migrate import upgrade_to_head
from approval.settings import PROJECT_ROOT, Settings
from connectors.base import MarketFacts, MarketQuery, Registry
from connectors.registries import MARKET
from connectors.stub import build_stub_registries
from tests.fixtures import application_for


class HeldMarket:
    """The market registry, answering only when the test lets it."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.asked = asyncio.Event()
        self.answer = asyncio.Event()

    async def lookup(self, query: MarketQuery) -> MarketFacts:
        self.asked.set()
        await self.answer.wait()
        return await self.inner.lookup(query)  # type: ignore[attr-defined, no-any-return]


def test_the_ruleset_in_force_at_arrival_decides(tmp_path: Path) -> None:
    stubs = build_stub_registries(PROJECT_ROOT / "connectors" / "seed")
    market = HeldMarket(stubs[Registry.MARKET])
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'flight.sqlite3'}",
        signing_key_path=tmp_path / "key.pem",
        fixed_today=dt.date(2026, 11, 26),
    )
    upgrade_to_head(settings.database_url)
    ctx = build_context(settings, Registries(stubs).replace(MARKET, market))
    # the candidate rejects every application that has no name
    stricter = tmp_path / "rules"
    shutil.copytree(PROJECT_ROOT / "rules", stricter)
    name_rules = stricter / "name.yaml"
    name_rules.write_text(
        name_rules.read_text().replace("    outcome: flag\n", "    outcome: reject\n", 1)
    )
    candidate = Ruleset.load(stricter)
    with ctx.db.transaction() as conn:
        create_key(conn, "staff", None, None, dt.datetime.now(dt.UTC))
        key_id = conn.exec_driver_sql("SELECT id FROM api_keys").scalar_one()
    principal = Principal(key_id, Role.STAFF, None)
    body = application_for("clean_owner")
    original = ctx.ruleset

    async def scenario() -> tuple[dict[str, object], dict[str, object]]:
        from approval.intake.service import submit

        in_flight = asyncio.create_task(submit(ctx.intake, principal, _json(body), None))
        await market.asked.wait()
        ctx.ruleset = candidate  # published while the first application waits for a registry
        market.answer.set()
        _, first = await in_flight
        _, second = await submit(ctx.intake, principal, _json({**body, "employees": 5}), None)
        return first, second

    first, second = asyncio.run(scenario())
    assert (first["decision"], first["ruleset_version"]) == ("approve", original.version)
    assert (second["decision"], second["ruleset_version"]) == ("reject", candidate.version)
    ctx.ruleset = original
    candidate.close()
    ctx.close()


def _json(body: object) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()
