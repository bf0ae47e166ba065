"""Decision latency with the registries reached over HTTP: stubs at 0 ms and at 50 ms, one run.

The three registries are queried concurrently under one deadline, so a registry answering in
50 ms should add about 50 ms to the decision, not 150 ms. Starts the three stub registry
servers on 127.0.0.1 (threads of this process), builds the service on a fresh SQLite file and
times ``submit`` (parse → three signed queries → decide → licence → one write transaction)
for a clean application, sequentially. Prints p50/p95 of:

- baseline: in-process stub registries (no network);
- HTTP stubs at 0 ms;
- HTTP stubs at 50 ms (fixed latency on all three), and the difference to 0 ms.

Usage: python loadtest/bench_registries.py [--count 200]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from approval.context import AppContext, build_context  # noqa: E402
from approval.intake.service import submit  # noqa: E402
from approval.kernel.principal import Principal, Role  # noqa: E402
from approval.migrate import upgrade_to_head  # noqa: E402
from approval.settings import RegistryEndpoint, Settings  # noqa: E402
from approval.verification.connections import close_registries  # noqa: E402
from connectors.base import Registry  # noqa: E402
from connectors.signing import KeyDirectory  # noqa: E402
from connectors.stub import load_world  # noqa: E402
from connectors.stub_server import RunningStub, build_stub_app, start_in_thread  # noqa: E402
from tests.fixtures import application_for  # noqa: E402

TERMINAL = Principal(key_id="bench", role=Role.TERMINAL, subject=None)


def _context(folder: Path, name: str, **changes: Any) -> AppContext:
    settings = Settings(
        database_url=f"sqlite:///{folder / f'{name}.sqlite3'}",
        fixed_today=dt.date(2026, 11, 26),
        signing_key_path=folder / "signing-key.pem",
        registry_keys_dir=folder / "registry-keys",
        verification_worker=False,
        **changes,
    )
    upgrade_to_head(settings.database_url)
    ctx = build_context(settings)
    with ctx.db.transaction() as conn:
        conn.exec_driver_sql(
            "INSERT INTO api_keys (id, key_hash, role, created_at) VALUES "
            "('bench', 'bench', 'terminal', '2026-11-26 00:00:00')"
        )
    return ctx


async def _time_submissions(ctx: AppContext, count: int) -> list[float]:
    body = json.dumps(application_for("clean_owner")).encode()
    timings = []
    for i in range(count + 10):
        started = time.perf_counter()
        status, answer = await submit(ctx.intake, TERMINAL, body, f"bench-{i}")
        elapsed = (time.perf_counter() - started) * 1000
        if status != 201 or answer["status"] != "issued":
            raise SystemExit(f"unexpected answer: {status} {answer['status']}")
        if i >= 10:  # warm-up excluded
            timings.append(elapsed)
    await close_registries(ctx.registries)
    return timings


def _summary(timings: list[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        keys = KeyDirectory(folder / "registry-keys")
        world = load_world()
        stubs: dict[Registry, RunningStub] = {
            r: start_in_thread(build_stub_app(r, keys, world)) for r in Registry
        }
        try:
            endpoints = {
                f"registry_{r.value}": RegistryEndpoint(url=s.url, read_timeout_ms=1000)
                for r, s in stubs.items()
            }
            results: dict[str, tuple[float, float]] = {}
            baseline = _context(folder, "baseline")
            results["in-process stubs (baseline)"] = _summary(
                asyncio.run(_time_submissions(baseline, args.count))
            )
            baseline.close()
            for latency in (0, 50):
                for stub in stubs.values():
                    stub.app.set_faults({"latency_ms": latency})
                ctx = _context(folder, f"http-{latency}", **endpoints)
                results[f"HTTP stubs at {latency} ms"] = _summary(
                    asyncio.run(_time_submissions(ctx, args.count))
                )
                ctx.close()
        finally:
            for stub in stubs.values():
                stub.stop()
    print(f"decision latency, {args.count} sequential clean submissions each")
    for label, (p50, p95) in results.items():
        print(f"  {label:<30} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms")
    added = results["HTTP stubs at 50 ms"][0] - results["HTTP stubs at 0 ms"][0]
    verdict = "concurrent" if added < 100 else "NOT concurrent"
    print(f"  three registries at 50 ms add {added:.1f} ms at p50 ({verdict}; sequential ≈ 150 ms)")


if __name__ == "__main__":
    main()
