"""`miaopi stub-registry` runs as a real process serving signed answers."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.base import (
    FoodQuery,
    MarketQuery,
    QueryPurpose,
    RegistrationFiling,
    RegistrationStatus,
    Registry,
)
from connectors.filings import CHINA_TZ
from connectors.http import HttpRegistryConfig, http_registry
from connectors.registries import MARKET
from connectors.signing import KeyDirectory
from tests.fixtures import personas
from tests.fixtures.network import free_port


def _serve(tmp_path: Path, registry: str) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "APPROVAL_REGISTRY_KEYS_DIR": str(tmp_path),
        "APPROVAL_FIXED_TODAY": "2026-11-26",
    }
    command = [sys.executable, "-m", "approval.cli", "stub-registry", registry, "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while True:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the stub registry did not start"
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()


@pytest.fixture
def food(tmp_path: Path) -> Iterator[str]:
    yield from _serve(tmp_path, "food")


@pytest.fixture
def market(tmp_path: Path) -> Iterator[str]:
    yield from _serve(tmp_path, "market")


def test_the_stub_registry_command_serves_signed_answers(food: str, tmp_path: Path) -> None:
    client = http_registry(Registry.FOOD, HttpRegistryConfig(base_url=food), KeyDirectory(tmp_path))
    query = FoodQuery(
        purpose=QueryPurpose(case_id="c" * 32, legal_basis="《市场主体登记管理条例》第十四条"),
        operator_id_number="110101199003074514",
    )

    async def ask() -> object:
        try:
            return await client.lookup(query)
        finally:
            await client.aclose()

    facts = asyncio.run(ask())
    assert facts is not None
    assert httpx.get(f"{food}/admin/stats").json()["ok"] == 1


def test_the_market_stub_registry_takes_filings_and_answers_with_them(
    market: str, tmp_path: Path
) -> None:
    client = http_registry(
        Registry.MARKET, HttpRegistryConfig(base_url=market), KeyDirectory(tmp_path)
    )
    owner = personas()["clean_owner"]
    revoked_on = dt.datetime(2025, 11, 27, 10, 0, tzinfo=CHINA_TZ)
    filing = RegistrationFiling(
        purpose=MARKET.filing_purpose("c" * 32),
        credit_code="92321204MA1XYW7Q5A",
        version=2,
        status=RegistrationStatus.REVOKED,
        name="泰州市姜堰区瑞澜五金店",
        operator_id_number=owner["id_number"],
        operator_name=owner["name"],
        authority_code="321204",
        registered_on=dt.date(2025, 3, 1),
        changed_at=revoked_on,
    )
    query = MarketQuery(
        purpose=QueryPurpose(case_id="d" * 32, legal_basis=MARKET.legal_basis),
        operator_id_number=owner["id_number"],
        authority_code="321204",
        proposed_name="瑞澜五金商行",
    )

    async def exchange() -> tuple[Any, Any]:
        try:
            return await client.file(filing), await client.lookup(query)
        finally:
            await client.aclose()

    receipt, facts = asyncio.run(exchange())
    assert (receipt.version, receipt.status) == (2, RegistrationStatus.REVOKED)
    # freed a day less than a year before 26 November 2026: the registry's calendar is
    # Miaopi's (APPROVAL_FIXED_TODAY), not the machine's
    assert (facts.recently_freed_name, facts.recently_freed_on) == (
        "泰州市姜堰区瑞澜五金店",
        revoked_on.date(),
    )
    assert [e.status for e in facts.existing_entities if e.credit_code == filing.credit_code] == [
        "撤销"
    ]
    assert [f["version"] for f in httpx.get(f"{market}/admin/filings").json()] == [2]
