"""Two API processes on one database, two applicants for one new name at the same moment: of
each pair exactly one gets the name, the other is decided with R23 — never a 5xx, never a second
licence. Runs on SQLite (one file, two processes) and, under ``make test``, on PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from approval.access.service import create_key
from approval.database import Database
from approval.migrate import upgrade_to_head
from approval.signing import LicenceSigner
from tests.fixtures import application_for
from tests.fixtures.network import free_port
from tests.fixtures.processes import Processes, wait_until_ready

PAIRS = 12
# both applicants' premises are in 姜堰区: one registration authority
APPLICANTS = ("clean_owner", "ban_expired")
TRADES = "鼎盛 鑫源 福临 金泰 宏图 瑞祥 汇通 德顺 嘉禾 恒昌 兴隆 泰和".split()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    upgrade_to_head(database_url)
    database = Database(database_url)
    yield database
    database.dispose()


async def _race(bases: list[str], keys: list[str]) -> list[tuple[str, int, dict[str, Any]]]:
    """Each pair's two applications, sent to the two processes at once."""
    async with httpx.AsyncClient(timeout=60.0) as client:

        async def post(pair: int, side: int) -> tuple[str, int, dict[str, Any]]:
            name = f"泰州市姜堰区{TRADES[pair]}百货店"
            body = application_for(APPLICANTS[side], name=name)
            response = await client.post(
                f"{bases[side]}/v1/applications",
                content=json.dumps(body, ensure_ascii=False).encode(),
                headers={
                    "Authorization": f"Bearer {keys[side]}",
                    "Idempotency-Key": f"race-{pair}-{side}",
                    "Content-Type": "application/json",
                },
            )
            return name, response.status_code, response.json()

        return list(
            await asyncio.gather(*(post(pair, side) for pair in range(PAIRS) for side in (0, 1)))
        )


def test_of_two_simultaneous_applications_for_one_name_exactly_one_gets_it(
    tmp_path: Path, database_url: str, db: Database
) -> None:
    LicenceSigner.load_or_create(tmp_path / "signing-key.pem")
    with db.transaction() as conn:
        now = dt.datetime.now(dt.UTC)
        keys = [create_key(conn, "terminal", None, f"kiosk {n}", now) for n in (1, 2)]
    ports = [free_port(), free_port()]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    env = {
        **os.environ,
        "APPROVAL_DATABASE_URL": database_url,
        "APPROVAL_FIXED_TODAY": "2026-11-26",
        "APPROVAL_SIGNING_KEY_PATH": str(tmp_path / "signing-key.pem"),
        "APPROVAL_REGISTRY_KEYS_DIR": str(tmp_path / "registry-keys"),
        "APPROVAL_VERIFICATION_WORKER": "false",
        "APPROVAL_DISPATCH_INTERVAL_SECONDS": "0",
    }
    processes = Processes(tmp_path)
    try:
        for n, port in enumerate(ports, 1):
            processes.start(f"api-{n}", ["serve", "--port", str(port)], env)
        wait_until_ready(bases, processes)
        answers = asyncio.run(_race(bases, keys))
        processes.check_alive()
    finally:
        processes.stop()

    assert [status for _, status, _ in answers] == [201] * (2 * PAIRS), processes.logs()
    by_name: dict[str, list[dict[str, Any]]] = {}
    for name, _, body in answers:
        by_name.setdefault(name, []).append(body)
    for name, pair in by_name.items():
        decisions = sorted(body["decision"] for body in pair)
        assert decisions == ["approve", "reject"], (name, [b["reasons"] for b in pair])
        (refused,) = [body for body in pair if body["decision"] == "reject"]
        assert {reason["code"] for reason in refused["reasons"]} == {"NAME_IDENTICAL"}
        assert refused["licence"] is None

    with db.reading() as conn:
        licences = conn.exec_driver_sql("SELECT count(*) FROM licences").scalar_one()
        names = Counter(
            row.comparison_key
            for row in conn.exec_driver_sql(
                "SELECT comparison_key FROM business_names WHERE status = 'active'"
            )
        )
    assert licences == PAIRS
    assert len(names) == PAIRS
    assert set(names.values()) == {1}
