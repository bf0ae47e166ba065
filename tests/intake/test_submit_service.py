"""Submission as a service: its narrow dependencies wired by hand (stub registries, a fixed clock,
a lifecycle with no subscribers), no app and no HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from approval.applications.lifecycle import Decided, LicenceIssued, Lifecycle
from approval.calendar import WorkingCalendar
from approval.catalog.items import load_catalog
from approval.clock import FixedDateClock
from approval.context import load_reference_data
from approval.database import Database, api_keys, applications, licences
from approval.decisions.determination import RulesInForce
from approval.decisions.registries import Registries
from approval.engine.ruleset import Ruleset
from approval.intake.service import Intake, submit
from approval.kernel.principal import Principal, Role
from approval.licences.serials import CreditSerials
from approval.licences.service import LicenceIssuer
from approval.settings import Settings
from approval.signing import LicenceSigner
from connectors.base import Registry
from connectors.stub import build_stub_registries
from tests.fixtures import application_for
from tests.fixtures.database import migrated_database

RULES = Path(__file__).resolve().parents[2] / "rules"
TODAY = dt.date(2026, 12, 3)


@pytest.fixture(scope="module")
def rules() -> Iterator[RulesInForce]:
    ruleset = Ruleset.load(RULES)
    yield RulesInForce(ruleset, load_reference_data(Settings(rules_dir=RULES)))
    ruleset.close()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with migrated_database(tmp_path) as database:
        yield database


def _intake(db: Database, rules: RulesInForce, published: list[Any], down: set[str]) -> Intake:
    lifecycle = Lifecycle()
    lifecycle.subscribe(Decided, lambda _conn, event: published.append(event))
    lifecycle.subscribe(LicenceIssued, lambda _conn, event: published.append(event))
    return Intake(
        db=db,
        clock=FixedDateClock(TODAY),
        settings=Settings(rules_dir=RULES, database_url=db.url),
        registries=Registries(build_stub_registries(unavailable=down)),
        rules_in_force=lambda: rules,
        issuer=LicenceIssuer(CreditSerials(db.transaction), LicenceSigner.generate()),
        catalog=load_catalog(RULES / "catalog"),
        calendar=WorkingCalendar.load(RULES / "calendar" / "holidays.yaml"),
        lifecycle=lifecycle,
    )


def _count(db: Database, table: Any) -> int:
    with db.reading() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


WINDOW = Principal("window-key", Role.STAFF, None)


def test_an_approval_is_stored_issued_and_published_in_one_unit_of_work(
    db: Database, rules: RulesInForce
) -> None:
    published: list[Any] = []
    intake = _intake(db, rules, published, set())
    _seed_key(db)
    body = orjson.dumps(application_for("clean_owner"))
    status, answer = asyncio.run(submit(intake, WINDOW, body, "fakes-1"))
    assert (status, answer["status"], answer["decision"]) == (201, "issued", "approve")
    assert [type(e) for e in published] == [Decided, LicenceIssued]
    assert (_count(db, applications), _count(db, licences)) == (1, 1)


def test_a_registry_that_does_not_answer_parks_the_application_and_issues_nothing(
    db: Database, rules: RulesInForce
) -> None:
    published: list[Any] = []
    intake = _intake(db, rules, published, {Registry.REALESTATE.value})
    _seed_key(db)
    body = orjson.dumps(application_for("clean_owner"))
    _, answer = asyncio.run(submit(intake, WINDOW, body, "fakes-2"))
    assert (answer["status"], answer["decision"]) == ("pending_verification", None)
    assert [type(e) for e in published] == [Decided]
    assert (_count(db, applications), _count(db, licences)) == (1, 0)


def _seed_key(db: Database) -> None:
    with db.transaction() as conn:
        conn.execute(
            api_keys.insert().values(
                id="window-key",
                key_hash="0" * 64,
                role="staff",
                created_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
            )
        )
