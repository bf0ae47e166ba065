"""The public statistics on a large store, and what they cost everyone else, in one run.

Fills a fresh SQLite store with 100,000 applications (real submissions of the seeded personas
as templates, so rows have their real size; a realistic mix of statuses, first decisions,
channels, items, processing times and ratings), starts ``miaopi serve`` on a free port and
prints:
- ``GET /v1/stats`` latency, median and p99 over sequential calls;
- ``GET /healthz`` p99 alone (the baseline), and while 4 clients call ``/v1/stats`` without pause.

Targets: stats median <= 100 ms; healthz p99 under load <= 2 x healthz p99 alone.

The healthz figures are the median, over 3 rounds taken in turn, of the p99 of 500 probes.

Usage: python loadtest/bench_stats.py [--applications 100000] [--calls 30] [--probes 500]
       [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from approval.access.service import create_key  # noqa: E402
from approval.catalog.items import REGISTRATION  # noqa: E402
from approval.clock import CHINA_TZ  # noqa: E402
from approval.context import AppContext, build_context  # noqa: E402
from approval.database import applications, row_writer  # noqa: E402
from approval.feedback.tables import ratings  # noqa: E402
from approval.intake.service import submit  # noqa: E402
from approval.kernel.principal import Principal, Role  # noqa: E402
from approval.migrate import upgrade_to_head  # noqa: E402
from approval.settings import Settings  # noqa: E402
from tests.fixtures import application_for  # noqa: E402
from tests.fixtures.network import free_port  # noqa: E402

TODAY = dt.date(2026, 11, 26)
FOOD = {"scope": ["H2001"], "commitments": {"truthfulness": True, "no_trading_before_permit": True}}
TEMPLATES = {
    "approve": application_for("clean_owner"),
    "approve_with_conditions": application_for("clean_tenant", **FOOD),
    "reject": application_for("child_15"),
    "manual_review": application_for("minor_16"),
}
# (weight, status now, outcome now, first decision answered, template, processing seconds)
KINDS: list[tuple[float, str, str | None, str | None, str, Callable[[random.Random], float]]] = [
    (72.0, "issued", "approve", "approve", "approve", lambda r: r.lognormvariate(-2.5, 0.6)),
    (12.0, "issued", "approve_with_conditions", "approve_with_conditions",
     "approve_with_conditions", lambda r: r.lognormvariate(-2.4, 0.6)),
    (6.0, "decided", "reject", "reject", "reject", lambda r: r.lognormvariate(-2.6, 0.5)),
    # manual review: waiting, then approved or refused by staff within days
    (1.5, "decided", "manual_review", "manual_review", "manual_review", lambda r: 0.1),
    (3.0, "issued", "approve", "manual_review", "manual_review",
     lambda r: r.uniform(1800, 3 * 86400)),
    (1.0, "decided", "reject", "manual_review", "manual_review",
     lambda r: r.uniform(1800, 4 * 86400)),
    # a registry did not answer: still waiting, or decided later by the worker
    (1.0, "pending_verification", None, None, "approve", lambda r: 0.0),
    (2.5, "issued", "approve", None, "approve", lambda r: r.uniform(5, 7200)),
    (1.0, "revoked", "approve", "approve", "approve", lambda r: r.lognormvariate(-2.5, 0.6)),
]  # fmt: skip
CHANNELS = (("terminal", 55), ("mobile", 30), ("window", 10), ("bank", 5))
ITEMS = ((REGISTRATION, 90), ("SCJG-GT-002", 5), ("SCJG-GT-003", 3), ("SCJG-SP-002", 2))
SCORES = ((5, 70), (4, 18), (3, 6), (2, 3), (1, 3))


def _templates(context: AppContext, principal: Principal) -> dict[str, dict[str, Any]]:
    """One stored row per first decision, from a real submission."""
    ids = {}
    for decision, body in TEMPLATES.items():
        encoded = json.dumps(body, ensure_ascii=False).encode()
        _, answer = asyncio.run(submit(context.intake, principal, encoded, uuid.uuid4().hex))
        assert answer["decision"] == decision, answer["decision"]
        ids[decision] = answer["id"]
    with context.db.reading() as conn:
        rows = conn.execute(applications.select().where(applications.c.id.in_(ids.values())))
        # without the columns the database computes itself
        by_id = {
            row.id: {k: v for k, v in row._mapping.items() if applications.c[k].computed is None}
            for row in rows
        }
    return {decision: by_id[i] for decision, i in ids.items()}


def fill(context: AppContext, key_id: str, count: int, seed: int = 10) -> int:
    """Store ``count`` applications and their ratings; return the number of ratings."""
    principal = Principal(key_id, Role.TERMINAL, None)
    templates = _templates(context, principal)
    rng = random.Random(seed)
    kinds = rng.choices(KINDS, weights=[k[0] for k in KINDS], k=count)
    channels = rng.choices([c for c, _ in CHANNELS], weights=[w for _, w in CHANNELS], k=count)
    items = rng.choices([i for i, _ in ITEMS], weights=[w for _, w in ITEMS], k=count)
    due_dates: dict[tuple[dt.date, int], dt.date] = {}
    writer, rating_writer = None, None
    rated, batch = 0, 5_000
    for start in range(0, count, batch):
        rows, scores = [], []
        for n in range(start, min(start + batch, count)):
            _, status, outcome, first, template_name, seconds = kinds[n]
            template = templates[template_name]
            item = context.catalog.item(items[n])
            if item is None or channels[n] not in item.channels:
                item = context.catalog.items[REGISTRATION]
            day = TODAY - dt.timedelta(days=rng.randrange(120))
            created = dt.datetime.combine(day, dt.time(8, 30), CHINA_TZ) + dt.timedelta(
                seconds=rng.uniform(0, 9 * 3600)
            )
            decided = None if status == "pending_verification" else created
            if decided is not None:
                decided += dt.timedelta(seconds=seconds(rng))
            waits = first in (None, "manual_review")
            limit = item.legal_limit_days if waits else item.promised_limit_days
            due = due_dates.get((day, limit))
            if due is None:
                due = due_dates[(day, limit)] = context.calendar.add_working_days(day, limit)
            application_id = uuid.uuid4().hex
            answer = {**template["response"], "id": application_id, "decision": first}
            rows.append(
                {
                    **template,
                    "id": application_id,
                    "created_at": created,
                    "updated_at": decided or created,
                    "channel": channels[n],
                    "idempotency_key": f"stats-{n}",
                    "status": status,
                    "outcome": outcome,
                    "decided_at": decided,
                    "response": answer,
                    "item_code": item.code,
                    "due_date": due,
                }
            )
            completed = status in ("issued", "decided") and outcome != "manual_review"
            if completed and rng.random() < 0.35:
                score = rng.choices([s for s, _ in SCORES], weights=[w for _, w in SCORES])[0]
                scores.append(
                    {
                        "application_id": application_id,
                        "rating": score,
                        "comment": None,
                        "key_id": key_id,
                        "created_at": decided,
                    }
                )
        with context.db.transaction() as conn:
            writer = writer or row_writer(applications, conn.dialect)
            rating_writer = rating_writer or row_writer(ratings, conn.dialect)
            writer.insert(conn, rows)
            if scores:
                rating_writer.insert(conn, scores)
        rated += len(scores)
    return rated


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _timed_get(client: httpx.Client, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"GET {path}: {response.status_code} {response.text[:300]}")
    return elapsed


def _wait_until_ready(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the service did not start:\n{log.read_text()}")


def _healthz_p99(base: str, probes: int) -> float:
    with httpx.Client(base_url=base, timeout=300) as client:
        for _ in range(20):
            _timed_get(client, "/healthz")
        # evenly spaced probes, as a load balancer's health check would send them
        samples = []
        for _ in range(probes):
            samples.append(_timed_get(client, "/healthz"))
            time.sleep(0.005)
    return _percentile(samples, 0.99)


def _stats_callers(base: str, ready: Any, stop: Any, latencies: Any) -> None:
    """4 clients calling /v1/stats without pause (in a process of their own, so that the
    probe's timings are not the callers' own)."""
    answered = threading.Barrier(5)

    def caller() -> None:
        seen = []
        with httpx.Client(base_url=base, timeout=300) as client:
            seen.append(_timed_get(client, "/v1/stats"))
            answered.wait()
            while not stop.is_set():
                seen.append(_timed_get(client, "/v1/stats"))
        latencies.put(seen[1:])

    threads = [threading.Thread(target=caller) for _ in range(4)]
    for thread in threads:
        thread.start()
    answered.wait()  # every caller has had an answer: the load is on
    ready.set()
    for thread in threads:
        thread.join()


def _under_load(base: str, probes: int) -> tuple[float, list[float]]:
    spawn = multiprocessing.get_context("spawn")
    ready, stop, latencies = spawn.Event(), spawn.Event(), spawn.Queue()
    callers = spawn.Process(target=_stats_callers, args=(base, ready, stop, latencies))
    callers.start()
    try:
        if not ready.wait(timeout=120):
            raise SystemExit("the stats callers did not start")
        loaded = _healthz_p99(base, probes)
    finally:
        stop.set()
    seen = [value for _ in range(4) for value in latencies.get(timeout=120)]
    callers.join(timeout=60)
    return loaded, seen


def measure(base: str, calls: int, probes: int, rounds: int) -> dict[str, float]:
    with httpx.Client(base_url=base, timeout=300) as client:
        first = client.get("/v1/stats").json()
        assert first["applications"] > 0, first
        stats = [_timed_get(client, "/v1/stats") for _ in range(calls)]
    # alone and under load in turn, so that other work on the machine weighs on both alike
    alone, loaded, under_load = [], [], []
    for _ in range(rounds):
        alone.append(_healthz_p99(base, probes))
        p99, seen = _under_load(base, probes)
        loaded.append(p99)
        under_load += seen
    return {
        "applications": first["applications"],
        "stats_p50": statistics.median(stats),
        "stats_p99": _percentile(stats, 0.99),
        "stats_loaded_p50": statistics.median(under_load),
        "healthz_alone": statistics.median(alone),
        "healthz_loaded": statistics.median(loaded),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--probes", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="miaopi-stats-"))
    env = {
        **os.environ,
        "APPROVAL_DATABASE_URL": f"sqlite:///{work / 'stats.sqlite3'}",
        "APPROVAL_SIGNING_KEY_PATH": str(work / "key.pem"),
        "APPROVAL_FIXED_TODAY": TODAY.isoformat(),
        # the API alone: supervision dispatch and re-verification are not what is measured
        "APPROVAL_DISPATCH_INTERVAL_SECONDS": "0",
        "APPROVAL_VERIFICATION_WORKER": "false",
    }
    settings = Settings(
        database_url=env["APPROVAL_DATABASE_URL"],
        signing_key_path=work / "key.pem",
        fixed_today=TODAY,
    )
    try:
        started = time.perf_counter()
        upgrade_to_head(settings.database_url)
        context = build_context(settings)
        with context.db.transaction() as conn:
            create_key(conn, "terminal", None, "bench-stats", context.clock.now())
            key_id = conn.exec_driver_sql("SELECT id FROM api_keys").scalar_one()
        rated = fill(context, key_id, args.applications)
        context.db.checkpoint()  # a store at rest: its pages in the file, not in the WAL
        context.close()
        filled = time.perf_counter() - started

        port = free_port()
        log = work / "server.log"
        miaopi = str(Path(sys.executable).parent / "miaopi")
        with log.open("w") as out:
            server = subprocess.Popen(
                [miaopi, "serve"],
                env={**env, "APPROVAL_PORT": str(port)},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_ready(base, server, log)
            figures = measure(base, args.calls, args.probes, args.rounds)
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    stats_ok = figures["stats_p50"] <= 100
    ratio = figures["healthz_loaded"] / figures["healthz_alone"]

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    print(f"Miaopi statistics benchmark, {dt.datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} CPUs")
    print(
        f"store     {figures['applications']:,.0f} applications, {rated:,} ratings "
        f"(filled in {filled:.0f} s)"
    )
    print(
        f"stats     GET /v1/stats   median {figures['stats_p50']:7.1f} ms   "
        f"p99 {figures['stats_p99']:7.1f} ms   (target median <= 100 ms)  {verdict(stats_ok)}"
    )
    print(f"          under 4 callers median {figures['stats_loaded_p50']:7.1f} ms   (each call)")
    print(f"healthz   alone           p99 {figures['healthz_alone']:7.2f} ms   (baseline)")
    print(
        f"healthz   4 stats callers p99 {figures['healthz_loaded']:7.2f} ms   "
        f"ratio {ratio:.2f}   (target <= 2.00)  {verdict(ratio <= 2)}"
    )


if __name__ == "__main__":
    main()
