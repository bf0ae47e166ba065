"""Several processes on one PostgreSQL database under concurrent load, checked in the database.

Two ``miaopi serve`` (the second with the real-estate registry down, so its applications wait
for verification), two ``miaopi worker`` and one ``miaopi dispatch`` (one department on a
webhook, received here) — all on 127.0.0.1. About 300 submissions from two terminals, some
retried with the same Idempotency-Key at the other API process (at the same moment or after the
answer). Then everything stops and the database must show: each submission stored once, one id
per idempotency key, no credit code twice, each application decided once, nothing left pending,
and each department copy delivered once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from approval.access.service import create_key
from approval.database import Database
from approval.migrate import upgrade_to_head
from approval.signing import LicenceSigner
from tests.conftest import POSTGRES_ADMIN_URL
from tests.fixtures import application_for
from tests.fixtures.network import free_port
from tests.fixtures.processes import Processes, wait_until_ready

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not POSTGRES_ADMIN_URL,
        reason="several processes share one database only on PostgreSQL: "
        "set APPROVAL_TEST_POSTGRES_URL (make test does, via scripts/postgres.sh)",
    ),
]

SUBMISSIONS = 250  # plus 50 retries with the same key: 300 requests
CONCURRENCY = 16
DRAIN_SECONDS = 20.0
WEBHOOK_DEPARTMENT = "SW"  # every licence goes to SCJG (pulled) and SW (pushed here)


class Receiver:
    """A department's webhook endpoint: counts each delivery id it is sent."""

    def __init__(self) -> None:
        self.deliveries: Counter[str] = Counter()
        lock = threading.Lock()
        deliveries = self.deliveries

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with lock:
                    deliveries[self.headers.get("X-Miaopi-Delivery", "")] += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _plan(keys: list[str]) -> list[dict[str, Any]]:
    """The submissions: mostly approvals, some rejected or reviewed; one in five retried."""
    plan = []
    for n in range(SUBMISSIONS):
        persona = (
            "child_15"
            if n % 10 == 3
            else "minor_16"
            if n % 10 == 7
            else ("clean_owner", "clean_tenant")[n % 2]
        )
        body = application_for(persona, employees=n % 40, capital_yuan=10_000 + n)
        plan.append(
            {
                "body": json.dumps(body, ensure_ascii=False).encode(),
                "key": keys[n % len(keys)],
                "idempotency_key": f"mp-{n}",
                "first": n % 2,
                # every tenth at both processes at once, every tenth+5 again after the answer
                "retry": "race" if n % 10 == 0 else "after" if n % 10 == 5 else None,
            }
        )
    return plan


async def _drive(bases: list[str], plan: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """Send every planned request; the answers as (idempotency key, body)."""
    answers: list[tuple[str, dict[str, Any]]] = []
    gate = asyncio.Semaphore(CONCURRENCY)
    limits = httpx.Limits(max_connections=CONCURRENCY * 2)
    async with httpx.AsyncClient(timeout=30.0, limits=limits) as client:

        async def post(item: dict[str, Any], base: str) -> None:
            headers = {
                "Authorization": f"Bearer {item['key']}",
                "Idempotency-Key": item["idempotency_key"],
                "Content-Type": "application/json",
            }
            async with gate:
                response = await client.post(
                    f"{base}/v1/applications", content=item["body"], headers=headers
                )
            assert response.status_code == 201, response.text
            answers.append((item["idempotency_key"], response.json()))

        async def one(item: dict[str, Any]) -> None:
            first, other = bases[item["first"]], bases[1 - item["first"]]
            if item["retry"] == "race":
                await asyncio.gather(post(item, first), post(item, other))
                return
            await post(item, first)
            if item["retry"] == "after":
                await post(item, other)

        await asyncio.gather(*(one(item) for item in plan))
    return answers


def _drained(db: Database) -> bool:
    with db.reading() as conn:
        return not conn.exec_driver_sql(
            "SELECT (SELECT count(*) FROM pending_verifications)"
            " + (SELECT count(*) FROM outbox WHERE delivered_at IS NULL)"
            " + (SELECT count(*) FROM supervision_copies"
            "    WHERE channel = 'webhook' AND delivered_at IS NULL)"
        ).scalar_one()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    upgrade_to_head(database_url)
    database = Database(database_url)
    yield database  # disposed even when the test fails: no connection left for the next test
    database.dispose()


def test_two_api_processes_two_workers_and_a_dispatcher_keep_the_books_straight(
    tmp_path: Path, database_url: str, db: Database
) -> None:
    work = tmp_path
    LicenceSigner.load_or_create(work / "signing-key.pem")  # one licence key for every process
    with db.transaction() as conn:
        now = dt.datetime.now(dt.UTC)
        keys = [create_key(conn, "terminal", None, f"kiosk {n}", now) for n in (1, 2)]

    ports = [free_port(), free_port()]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    common = {
        **os.environ,
        "APPROVAL_DATABASE_URL": database_url,
        "APPROVAL_FIXED_TODAY": "2026-11-26",
        "APPROVAL_SIGNING_KEY_PATH": str(work / "signing-key.pem"),
        "APPROVAL_REGISTRY_KEYS_DIR": str(work / "registry-keys"),
        "APPROVAL_VERIFICATION_BACKOFF_SECONDS": "0.2",
        "APPROVAL_VERIFICATION_POLL_SECONDS": "0.2",
    }
    api = {
        **common,
        "APPROVAL_VERIFICATION_WORKER": "false",  # the workers below do it
        "APPROVAL_DISPATCH_INTERVAL_SECONDS": "0",  # the dispatcher below does it
        "APPROVAL_PUBLIC_BASE_URL": bases[0],
    }
    processes = Processes(work)
    with Receiver() as receiver:
        try:
            processes.start("api-1", ["serve", "--port", str(ports[0])], api)
            processes.start(
                "api-2",
                ["serve", "--port", str(ports[1])],
                {**api, "APPROVAL_UNAVAILABLE_REGISTRIES": '["realestate"]'},
            )
            for n in (1, 2):
                processes.start(f"worker-{n}", ["worker"], common)
            webhooks = json.dumps({WEBHOOK_DEPARTMENT: receiver.url})
            processes.start(
                "dispatch",
                ["dispatch", "--every", "0.2"],
                {**common, "APPROVAL_SUPERVISION_WEBHOOKS": webhooks},
            )
            wait_until_ready(bases, processes)
            plan = _plan(keys)
            answers = asyncio.run(_drive(bases, plan))
            deadline = time.monotonic() + DRAIN_SECONDS
            while not _drained(db):
                processes.check_alive()
                assert time.monotonic() < deadline, f"not drained:\n{processes.logs()}"
                time.sleep(0.2)
            processes.check_alive()
        finally:
            processes.stop()
        delivered_to_receiver = Counter(receiver.deliveries)

    # ── the answers ──
    assert len(answers) == SUBMISSIONS + sum(1 for item in plan if item["retry"])
    ids_by_key: dict[str, set[str]] = {}
    for idempotency_key, body in answers:
        ids_by_key.setdefault(idempotency_key, set()).add(body["id"])
    assert all(len(ids) == 1 for ids in ids_by_key.values()), "a key answered two applications"
    acknowledged = {next(iter(ids)) for ids in ids_by_key.values()}
    assert len(acknowledged) == SUBMISSIONS
    waited = sum(1 for _, body in answers if body["status"] == "pending_verification")
    assert waited > 0, "no application waited for verification"

    # ── the database ──
    def rows(sql: str) -> list[Any]:
        with db.reading() as conn:
            return list(conn.exec_driver_sql(sql))

    stored = rows("SELECT id, key_id, idempotency_key, status, outcome FROM applications")
    assert {r.id for r in stored} == acknowledged, "an application lost or stored extra"
    assert len({(r.key_id, r.idempotency_key) for r in stored}) == SUBMISSIONS
    assert not [r for r in stored if r.status in ("received", "pending_verification")]
    outcomes = Counter(r.outcome for r in stored)
    assert {"approve", "reject", "manual_review"} <= set(outcomes), outcomes

    assert not rows("SELECT credit_code FROM licences GROUP BY credit_code HAVING count(*) > 1"), (
        "a credit code issued twice"
    )
    assert not rows(
        "SELECT application_id FROM licences GROUP BY application_id HAVING count(*) > 1"
    ), "an application licensed twice"
    issued = {r.id for r in stored if r.status == "issued"}
    licensed = {r.application_id for r in rows("SELECT application_id FROM licences")}
    assert licensed == issued

    decided_events = Counter(
        r.application_id
        # every decision is an audit record (a submission's timeline is stored only there)
        for r in rows("SELECT chain AS application_id FROM audit_records WHERE action = 'decided'")
    )
    assert set(decided_events) == acknowledged, "an application never decided"
    assert max(decided_events.values()) == 1, "an application decided twice"
    assert not rows(
        "SELECT aggregate_id FROM outbox GROUP BY aggregate_id, kind HAVING count(*) > 1"
    ), "an event queued twice"

    copies = rows("SELECT id, department, channel, delivered_at FROM supervision_copies")
    per_department = Counter((r.department, r.channel) for r in copies)
    assert per_department[("SCJG", "pull")] == len(issued), per_department
    pushed = {r.id for r in copies if r.channel == "webhook"}
    assert len(pushed) == len(issued)
    assert all(r.delivered_at is not None for r in copies if r.channel == "webhook")
    assert set(delivered_to_receiver) == pushed, "a copy never reached the receiver"
    assert max(delivered_to_receiver.values()) == 1, "a copy delivered twice"
