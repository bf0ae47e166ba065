"""`miaopi stub-registry` runs as a real process serving signed answers."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from connectors.base import FoodQuery, QueryPurpose, Registry
from connectors.http import HttpRegistryConfig, http_registry
from connectors.signing import KeyDirectory
from tests.fixtures.network import free_port


def test_the_stub_registry_command_serves_signed_answers(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "APPROVAL_REGISTRY_KEYS_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "approval.cli", "stub-registry", "food", "--port", str(port)]
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
        client = http_registry(
            Registry.FOOD, HttpRegistryConfig(base_url=url), KeyDirectory(tmp_path)
        )
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
        assert httpx.get(f"{url}/admin/stats").json()["ok"] == 1
    finally:
        process.terminate()
        process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()
