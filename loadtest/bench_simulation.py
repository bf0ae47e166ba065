"""A backtest over 10,000 stored applications, facts derived again, against the stored-facts run.

Fills a fresh SQLite store with 10,000 applications: a few real submissions of the seeded
personas (so submissions, registry answers and facts are stored as in production) copied with
their registry answers, each under its own name (some with 百货, some with other words, some
without a name) and face score. Then simulates a candidate that adds 百货 to the prohibited words
against the shipped rules, and prints:
- applications, seconds and applications/s with facts derived again (what ``simulate`` does);
- the baseline: the same simulation on the stored facts, without deriving them again.

Target: 10,000 applications in under 30 s (on the 2-core machine).

Usage: python loadtest/bench_simulation.py [--applications 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from approval.access.service import create_key  # noqa: E402
from approval.authorities import AUTHORITIES  # noqa: E402
from approval.clock import CHINA_TZ  # noqa: E402
from approval.context import AppContext, build_context  # noqa: E402
from approval.database import applications, registry_answers, row_writer  # noqa: E402
from approval.intake.service import submit  # noqa: E402
from approval.kernel.principal import Principal, Role  # noqa: E402
from approval.migrate import upgrade_to_head  # noqa: E402
from approval.rules import service  # noqa: E402
from approval.rules import simulation as simulation_module  # noqa: E402
from approval.rules.recompute import NotRecomputed  # noqa: E402
from approval.rules.simulation import compiled, simulate  # noqa: E402
from approval.settings import Settings  # noqa: E402
from tests.fixtures import application_for  # noqa: E402

TODAY = dt.date(2026, 11, 26)
AUTHORITY = "市场监督管理局"
TARGET_SECONDS = 30.0
OBSCENE = "words: [色情, 赌场, 博彩, 算命, 风水大师]"
FOOD = {
    "scope": ["F1001", "F2001"],
    "commitments": {"truthfulness": True, "no_trading_before_permit": True},
}
TEMPLATES = {
    "approve": application_for("clean_owner"),
    "approve_with_conditions": application_for("clean_tenant", **FOOD),
    "reject": application_for("child_15"),
    "manual_review": application_for("minor_16"),
}
WEIGHTS = {"approve": 80, "approve_with_conditions": 12, "reject": 4, "manual_review": 4}
TRADE = "周兴旺福顺发记祥和美佳宏达鑫荣盛泰安康乐德仁华新"
INDUSTRIES = ("百货店", "百货商行", "五金店", "服装店", "便利店", "水果店")


def _templates(context: AppContext, principal: Principal) -> dict[str, dict[str, Any]]:
    """One stored row and its registry answers per first decision, from a real submission."""
    found = {}
    for decision, body in TEMPLATES.items():
        encoded = json.dumps(body, ensure_ascii=False).encode()
        _, answer = asyncio.run(submit(context.intake, principal, encoded, uuid.uuid4().hex))
        assert answer["decision"] == decision, (decision, answer["reasons"])
        with context.db.reading() as conn:
            row = conn.execute(applications.select().where(applications.c.id == answer["id"]))
            stored = {
                k: v for k, v in row.one()._mapping.items() if applications.c[k].computed is None
            }
            answers = [
                dict(r._mapping)
                for r in conn.execute(
                    select(registry_answers).where(
                        registry_answers.c.application_id == answer["id"]
                    )
                )
            ]
        found[decision] = {"row": stored, "answers": answers}
    return found


def _name(rng: random.Random, district: str) -> str | None:
    if rng.random() < 0.3:
        return None
    trade = "".join(rng.sample(TRADE, 2))
    return f"{district}{trade}{rng.choice(INDUSTRIES)}"


def fill(context: AppContext, key_id: str, count: int, seed: int = 13) -> int:
    """Store ``count`` applications with their registry answers; return how many names hold 百货."""
    principal = Principal(key_id, Role.TERMINAL, None)
    templates = _templates(context, principal)
    rng = random.Random(seed)
    kinds = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()), k=count)
    app_writer = answer_writer = None
    with_word, batch = 0, 2_000
    for start in range(0, count, batch):
        rows, answer_rows = [], []
        for n in range(start, min(start + batch, count)):
            template = templates[kinds[n]]
            application_id = uuid.uuid4().hex
            created = dt.datetime.combine(
                TODAY - dt.timedelta(days=rng.randrange(90)), dt.time(9), CHINA_TZ
            )
            payload = json.loads(json.dumps(template["row"]["payload"]))
            division = AUTHORITIES[payload["premises"]["district_code"]].removesuffix(AUTHORITY)
            payload["name"] = _name(rng, division)
            payload["identity_evidence"]["face_match_score"] = round(rng.uniform(0.86, 0.99), 2)
            with_word += "百货" in (payload["name"] or "")
            rows.append(
                {
                    **template["row"],
                    "id": application_id,
                    "created_at": created,
                    "updated_at": created,
                    "decided_at": created,
                    "idempotency_key": f"sim-{n}",
                    "payload": payload,
                }
            )
            answer_rows += [
                {**a, "application_id": application_id, "fetched_at": created}
                for a in template["answers"]
            ]
        with context.db.transaction() as conn:
            app_writer = app_writer or row_writer(applications, conn.dialect)
            answer_writer = answer_writer or row_writer(registry_answers, conn.dialect)
            app_writer.insert(conn, rows)
            answer_writer.insert(conn, answer_rows)
    return with_word


def _run(context: AppContext, files: dict[str, str], candidate_files: dict[str, str]) -> Any:
    with compiled(files) as baseline, compiled(candidate_files) as candidate:
        started = time.perf_counter()
        with context.db.reading() as conn:
            report = simulate(conn, baseline, candidate, flip_limit=100)
        return report, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=10_000)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="miaopi-simulation-"))
    settings = Settings(
        database_url=f"sqlite:///{work / 'simulation.sqlite3'}",
        signing_key_path=work / "key.pem",
        fixed_today=TODAY,
    )
    try:
        started = time.perf_counter()
        upgrade_to_head(settings.database_url)
        context = build_context(settings)
        with context.db.transaction() as conn:
            create_key(conn, "terminal", None, "bench-simulation", context.clock.now())
            key_id = conn.exec_driver_sql("SELECT id FROM api_keys").scalar_one()
        with_word = fill(context, key_id, args.applications)
        context.db.checkpoint()
        filled = time.perf_counter() - started

        files = service.files_from_dir(settings.rules_dir)
        candidate_files = dict(files)
        prohibited = "words/prohibited.yaml"
        candidate_files[prohibited] = files[prohibited].replace(
            OBSCENE, OBSCENE.replace("]", ", 百货]")
        )
        report, seconds = _run(context, files, candidate_files)
        # the baseline: the same simulation on the stored facts, nothing derived again
        stored_only = NotRecomputed("benchmark")
        with mock.patch.object(simulation_module, "inputs_of", return_value=stored_only):
            stored_report, stored_seconds = _run(context, files, candidate_files)
        context.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    count = report["applications"]
    print(f"store: {count} applications ({with_word} names with 百货) in {filled:.1f} s")
    print(
        f"simulation, facts derived again: {count} applications in {seconds:.1f} s "
        f"({count / seconds:.0f} applications/s); {report['flipped']} flip "
        f"{report['flips_by_direction']}, not derived again {report['not_recomputed']['count']}"
    )
    print(
        f"baseline, stored facts: {stored_report['applications']} applications in "
        f"{stored_seconds:.1f} s ({stored_report['applications'] / stored_seconds:.0f} "
        f"applications/s); {stored_report['flipped']} flip"
    )
    verdict = "ok" if seconds < TARGET_SECONDS * count / 10_000 else "SLOW"
    print(f"target: 10,000 applications in under {TARGET_SECONDS:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
