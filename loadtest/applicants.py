"""Synthetic applicants from the seeded registry world, for the load scenarios.

- ``clean_applicants()``: adults who own an unsealed commercial property and are on no list and
  run no other business; their applications are approved at once.
- ``ADVERSE``: personas whose applications are rejected or sent to manual review.

Applications are built as ``tests/fixtures/__init__.py`` builds them (the reference date of the
seeded world is 2026-11-26: serve with ``APPROVAL_FIXED_TODAY=2026-11-26``).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from functools import cache
from pathlib import Path
from typing import Any

SEED = Path(__file__).resolve().parent.parent / "connectors" / "seed"
REFERENCE_DAY = dt.date(2026, 11, 26)

# personas (connectors/seed/personas.json) whose applications are not approved at once
ADVERSE = ("child_15", "banned", "dishonest", "minor_16", "residential_owner", "no_rights")

# business scopes a small shop asks for; F2001 (prepackaged food) adds a filing condition
SCOPES = (["F1001"], ["F1001"], ["F1001", "F2001"])


def _load(name: str) -> Any:
    return json.loads((SEED / name).read_text(encoding="utf-8"))


@cache
def personas() -> dict[str, dict[str, Any]]:
    loaded: dict[str, dict[str, Any]] = _load("personas.json")
    return loaded


@cache
def properties() -> dict[str, dict[str, Any]]:
    return {row["certificate_number"]: row for row in _load("properties.json")}


def _adult(birth_date: str) -> bool:
    born = dt.date.fromisoformat(birth_date)
    return (REFERENCE_DAY.year - born.year, REFERENCE_DAY.month, REFERENCE_DAY.day) >= (
        18,
        born.month,
        born.day,
    )


@cache
def clean_applicants() -> list[dict[str, Any]]:
    """People of the world whose own commercial property makes a clean application."""
    lists = _load("lists.json")
    listed: set[str] = set()
    for entries in lists.values():
        for entry in entries:
            listed.add(entry["id_number"] if isinstance(entry, dict) else entry)
    operators = {b["operator_id_number"] for b in _load("businesses.json")}
    people = {p["id_number"]: p for p in _load("people.json")}
    found = []
    for prop in properties().values():
        if prop["registered_use"] != "商业" or prop["sealed"] or len(prop["owner_id_numbers"]) != 1:
            continue
        person = people.get(prop["owner_id_numbers"][0])
        if person is None or person["id_number"] in listed | operators:
            continue
        if not _adult(person["birth_date"]):
            continue
        found.append({**person, "certificate_number": prop["certificate_number"]})
    return found


def application(person: dict[str, Any], rng: random.Random | None = None) -> dict[str, Any]:
    """A complete application by this person at their property (scope and size vary)."""
    rng = rng or random.Random()
    prop = properties()[person["certificate_number"]]
    scope = rng.choice(SCOPES)
    mobile = f"138{rng.randrange(10**8):08d}"
    return {
        "operator": {
            "name": person["name"],
            "id_type": "resident_id",
            "id_number": person["id_number"],
            "residence": prop["address"],
            "mobile": mobile,
        },
        "identity_evidence": {
            "face_match_score": round(rng.uniform(0.86, 0.99), 2),
            "liveness_passed": True,
        },
        "organisation_form": "individual",
        "name": None,
        "premises": {
            "kind": "physical",
            "address": prop["address"],
            "district_code": prop["district_code"],
            "property_certificate_number": prop["certificate_number"],
        },
        "scope": scope,
        "capital_yuan": rng.choice((10_000, 30_000, 50_000, 100_000)),
        "employees": rng.randrange(1, 8),
        "contact": {"name": person["name"], "mobile": mobile},
        "commitments": {
            "truthfulness": True,
            "no_trading_before_permit": len(scope) > 1,
        },
    }


def persona_application(name: str, rng: random.Random | None = None) -> dict[str, Any]:
    return application(personas()[name], rng)
