"""Memory and cost growth of the decision path, in one process.

1. Memory: resident memory sampled every 10,000 decisions over 100,000 decisions (facts →
   durable-rules → decision), then over full in-process submissions (registries, engine,
   licence, the write transaction) — it should stay flat: nothing is left behind in
   durable-rules sessions or caches.
2. Growth: the cost per submission with 10,000 and with 200,000 applications already stored —
   it should not grow with the store. The baseline is the first measurement.

Usage: python loadtest/bench_growth.py [--decisions 100000] [--submissions 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from approval.access.service import create_key  # noqa: E402
from approval.context import AppContext, build_context  # noqa: E402
from approval.database import applications, row_writer  # noqa: E402
from approval.decisions.service import decide  # noqa: E402
from approval.intake.service import submit  # noqa: E402
from approval.kernel.principal import Principal, Role  # noqa: E402
from approval.migrate import upgrade_to_head  # noqa: E402
from approval.settings import Settings  # noqa: E402
from tests.fixtures import application_for  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE / 2**20


def engine_memory(context: object, decisions: int) -> list[tuple[int, float]]:
    baseline = yaml.safe_load((ROOT / "rules" / "tests" / "baseline.yaml").read_text())["baseline"]
    samples = []
    for n in range(decisions):
        facts = {**baseline, "operator.age": 14 + n % 60, "scope.post_permit_count": n % 3}
        decide(context.ruleset, facts)  # type: ignore[attr-defined]
        if (n + 1) % 10_000 == 0:
            samples.append((n + 1, rss_mib()))
    return samples


async def submissions(context: AppContext, principal: Principal, count: int) -> float:
    bodies = [
        json.dumps(application_for("clean_owner", employees=n % 50), ensure_ascii=False).encode()
        for n in range(50)
    ]
    started = time.perf_counter()
    for n in range(count):
        await submit(context.intake, principal, bodies[n % 50], f"growth-{uuid.uuid4().hex}")
    return (time.perf_counter() - started) / count * 1000


def fill(context: object, key_id: str, rows: int, now: dt.datetime) -> None:
    """Store synthetic decided applications quickly (as the service stores them)."""
    db = context.db  # type: ignore[attr-defined]
    template = {
        "created_at": now,
        "updated_at": now,
        "channel": "terminal",
        "key_id": key_id,
        "request_hash": "0" * 64,
        "status": "decided",
        "authority_code": "321202",
        "payload": {"filled": True},
        "facts": {},
        "ruleset_version": "filled",
        "outcome": "reject",
        "reasons": [],
        "conditions": [],
        "decided_at": now,
        "response": {},
    }
    batch = 5_000
    for start in range(0, rows, batch):
        with db.transaction() as conn:
            row_writer(applications, conn.dialect).insert(
                conn,
                [
                    {
                        **template,
                        "id": uuid.uuid4().hex,
                        "idempotency_key": f"fill-{start + i}",
                        "operator_id_number": f"32120219900101{(start + i) % 10_000:04d}",
                    }
                    for i in range(min(batch, rows - start))
                ],
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--decisions", type=int, default=100_000)
    parser.add_argument("--submissions", type=int, default=20_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="miaopi-growth-"))
    settings = Settings(
        database_url=f"sqlite:///{work / 'growth.sqlite3'}",
        signing_key_path=work / "key.pem",
        fixed_today=dt.date(2026, 11, 26),
    )
    upgrade_to_head(settings.database_url)
    context = build_context(settings)
    now = context.clock.now()
    with context.db.transaction() as conn:
        create_key(conn, "staff", None, "growth", now)
        key_id = conn.exec_driver_sql("SELECT id FROM api_keys").scalar_one()
    principal = Principal(key_id, Role.STAFF, None)

    python = sys.version.split()[0]
    print(f"Miaopi growth benchmark, {dt.datetime.now():%Y-%m-%d %H:%M}, Python {python}")
    print(f"start: {rss_mib():.1f} MiB resident")
    samples = engine_memory(context, args.decisions)
    print(
        "engine decisions   " + "  ".join(f"{n // 1000}k:{mib:.1f}" for n, mib in samples) + " MiB"
    )
    first = samples[0][1]
    print(
        f"  growth after the first 10k: {samples[-1][1] - first:+.1f} MiB over {args.decisions:,}"
    )

    step = max(args.submissions // 10, 1)
    marks = []
    for _ in range(10):
        asyncio.run(submissions(context, principal, step))
        marks.append(rss_mib())
    print(
        "full submissions   "
        + "  ".join(f"{(i + 1) * step // 1000}k:{m:.1f}" for i, m in enumerate(marks))
        + " MiB"
    )
    print(
        f"  growth after the first tenth: {marks[-1] - marks[0]:+.1f} MiB over {args.submissions:,}"
    )

    with context.db.reading() as conn:
        stored = conn.exec_driver_sql("SELECT count(*) FROM applications").scalar_one()
    fill(context, key_id, max(10_000 - stored, 0), now)
    at_10k = asyncio.run(submissions(context, principal, 2_000))
    fill(context, key_id, 190_000, now)
    at_200k = asyncio.run(submissions(context, principal, 2_000))
    print(f"cost per submission with  10k stored: {at_10k:.2f} ms  (baseline)")
    print(f"cost per submission with 200k stored: {at_200k:.2f} ms  (ratio {at_200k / at_10k:.2f})")
    context.close()


if __name__ == "__main__":
    main()
