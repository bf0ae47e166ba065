"""A changed threshold simulated over 10,000 stored applications flips exactly the right ones."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from approval.access.service import create_key
from approval.database import Database, api_keys, applications
from approval.migrate import upgrade_to_head
from approval.review.tables import review_cases
from approval.rules import service
from approval.rules.simulation import compiled, simulate
from tests.engine.conftest import RULES_DIR

COUNT = 10_000
NOW = dt.datetime(2026, 11, 26, 9, tzinfo=dt.UTC)


def _verdict(facts: dict[str, Any], uncertain_below: float) -> str:
    """The shipped rules' decision on the facts this test varies, written out by hand."""
    score, age = facts["identity.face_match_score"], facts["operator.age"]
    if age < 16:
        return "reject"
    if not facts["identity.liveness_passed"] or score < uncertain_below or age < 18:
        return "manual_review"
    if facts["scope.post_permit_count"] > 0:
        return "approve_with_conditions"
    return "approve"


@pytest.fixture
def store(tmp_path: Path, baseline_facts: dict[str, Any]) -> Iterator[tuple[Database, list[Any]]]:
    url = f"sqlite:///{tmp_path / 'sim.sqlite3'}"
    upgrade_to_head(url)
    db = Database(url)
    rng = random.Random(3)
    generated = []
    with db.transaction() as conn:
        create_key(conn, "staff", None, None, NOW)
        key_id = conn.execute(select(api_keys.c.id)).scalar_one()
        rows = []
        for n in range(COUNT):
            facts = {
                **baseline_facts,
                "operator.age": rng.randint(14, 70),
                "identity.face_match_score": round(rng.uniform(0.5, 1.0), 2),
                "identity.liveness_passed": rng.random() < 0.95,
                "scope.post_permit_count": rng.choice([0, 0, 1]),
                "commitments.no_trading_before_permit": True,
            }
            generated.append((f"app{n:05d}", facts))
            rows.append(
                {
                    "id": f"app{n:05d}",
                    "created_at": NOW + dt.timedelta(seconds=n),
                    "updated_at": NOW,
                    "channel": "staff",
                    "key_id": key_id,
                    "request_hash": "-",
                    "status": "decided",
                    "operator_id_number": "-",
                    "authority_code": "321202",
                    "payload": {},
                    "facts": facts,
                    "outcome": _verdict(facts, 0.8),
                    "reasons": [],
                    "conditions": [],
                }
            )
        conn.execute(insert(applications), rows)
    yield db, generated
    db.dispose()


def test_simulated_threshold_change_flips_exactly_the_right_applications(
    store: tuple[Database, list[Any]],
) -> None:
    db, generated = store
    files = service.files_from_dir(RULES_DIR)
    old = "identity.face_match_score < 0.8"
    files["identity.yaml"] = files["identity.yaml"].replace(old, "identity.face_match_score < 0.85")
    seen: list[tuple[int, int]] = []
    with compiled(service.files_from_dir(RULES_DIR)) as baseline, compiled(files) as candidate:
        with db.reading() as conn:
            report = simulate(conn, baseline, candidate, progress=lambda d, t: seen.append((d, t)))
    expected = {
        app_id: (_verdict(facts, 0.8), _verdict(facts, 0.85))
        for app_id, facts in generated
        if _verdict(facts, 0.8) != _verdict(facts, 0.85)
    }
    assert report["applications"] == COUNT
    assert len(expected) > 100  # the change matters
    assert {f["application_id"]: (f["before"], f["after"]) for f in report["flips"]} == expected
    assert report["flipped"] == len(expected)
    assert report["differs_from_stored_outcome"] == len(expected)
    for verdict in ("approve", "approve_with_conditions", "manual_review", "reject"):
        assert report["before"][verdict]["count"] == sum(
            _verdict(f, 0.8) == verdict for _, f in generated
        )
        assert report["after"][verdict]["count"] == sum(
            _verdict(f, 0.85) == verdict for _, f in generated
        )
    flip = report["flips"][0]
    assert flip["why_after"][0]["rule_id"] == "R06-FACE-UNCERTAIN"
    assert flip["why_after"][0]["fired"] is True
    assert seen[-1] == (COUNT, COUNT)


def test_simulation_reports_disagreements_with_staffs_final_decisions(
    store: tuple[Database, list[Any]],
) -> None:
    db, generated = store
    manual = [
        (app_id, facts) for app_id, facts in generated if _verdict(facts, 0.8) == "manual_review"
    ]
    staff = {
        app_id: ("approve" if n % 2 else "reject") for n, (app_id, _) in enumerate(manual[:300])
    }
    with db.transaction() as conn:
        conn.execute(
            insert(review_cases),
            [
                {
                    "application_id": app_id,
                    "opened_on": NOW.date(),
                    "due_on": NOW.date(),
                    "decided_at": NOW,
                    "decision": decision,
                }
                for app_id, decision in staff.items()
            ],
        )
    files = service.files_from_dir(RULES_DIR)
    old = "identity.face_match_score < 0.8"
    files["identity.yaml"] = files["identity.yaml"].replace(old, "identity.face_match_score < 0.7")
    with compiled(service.files_from_dir(RULES_DIR)) as baseline, compiled(files) as candidate:
        with db.reading() as conn:
            report = simulate(conn, baseline, candidate)
    facts_of = dict(generated)
    # the candidate approves more: only staff's rejections can be at risk
    risky = {
        app_id
        for app_id, decision in staff.items()
        if decision == "reject"
        and _verdict(facts_of[app_id], 0.7) in {"approve", "approve_with_conditions"}
    }
    assert report["staff_decided"] == report["staff"]["decided"] == len(staff)
    assert {d["application_id"] for d in report["staff"]["risky"]} == risky
    assert report["staff"]["tightening"] == []
    assert report["staff"]["unchanged"] == len(staff) - len(risky)
    assert 0 < len(risky) < len(staff)
    # stored with no submission: decided on the stored facts, and counted so
    assert report["not_recomputed"] == {"count": COUNT, "reasons": {"no_payload": COUNT}}
