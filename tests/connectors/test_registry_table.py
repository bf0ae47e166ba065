"""The registry table: every registry is one spec, and everything handling registries follows it."""

from __future__ import annotations

import asyncio
import datetime as dt
from enum import StrEnum
from typing import Any, cast

import pytest
from pydantic import BaseModel, ConfigDict

from approval.decisions.registries import ask_registries
from approval.intake.service import answer_rows
from approval.settings import Settings
from connectors import exchanges
from connectors.base import QueryPurpose, Registry, RegistryQuery, RegistryUnavailable
from connectors.registries import (
    FOOD,
    MARKET,
    POPULATION,
    REALESTATE,
    REGISTRIES,
    CaseParticulars,
    Registries,
    RegistrySpec,
    RegistryTable,
)
from connectors.seed_world import SeedWorld
from connectors.stub import build_stub_registries
from tests.fixtures import personas


class _NotYetARegistry(StrEnum):
    # a registry the enum does not know: adding a real one adds its member there too
    TAX = "tax"


class TaxQuery(RegistryQuery):
    operator_id_number: str


class TaxFacts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    arrears: bool


def _tax_answer(world: SeedWorld, query: TaxQuery) -> TaxFacts:
    return TaxFacts(arrears=query.operator_id_number in world.judgment_defaulters)


def _tax_query(purpose: QueryPurpose, case: CaseParticulars) -> TaxQuery:
    return TaxQuery(purpose=purpose, operator_id_number=case.operator_id_number)


TAX: RegistrySpec[TaxQuery, TaxFacts] = RegistrySpec(
    registry=cast(Registry, _NotYetARegistry.TAX),
    citizen_name="税务征管系统",
    legal_basis="《税收征收管理法》第十五条",
    query_type=TaxQuery,
    facts_type=TaxFacts,
    query=_tax_query,
    stub_answer=_tax_answer,
)
WITH_TAX = REGISTRIES.with_spec(TAX)
NOW = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)


def _ask(registries: Registries, id_number: str) -> Any:
    return asyncio.run(
        ask_registries(
            registries,
            case_id="c" * 32,
            operator_id_number=id_number,
            authority_code="321202",
            proposed_name=None,
            property_certificate=None,
            deadline_seconds=5,
        )
    )


def test_the_table_holds_every_registry_once_in_the_order_asked() -> None:
    assert [spec.registry for spec in REGISTRIES] == [
        Registry.MARKET,
        Registry.FOOD,
        Registry.REALESTATE,
        Registry.POPULATION,
    ]
    assert {spec.registry for spec in REGISTRIES} == set(Registry)
    assert REGISTRIES["food"] is FOOD
    assert REGISTRIES["population"] is POPULATION
    assert [s.path for s in (MARKET, FOOD, REALESTATE, POPULATION)] == [
        "/v1/market/lookup",
        "/v1/food/lookup",
        "/v1/realestate/lookup",
        "/v1/population/lookup",
    ]
    with pytest.raises(ValueError, match="twice"):
        RegistryTable((MARKET, FOOD, MARKET))


def test_a_client_is_needed_for_every_registry_of_the_table() -> None:
    stubs = build_stub_registries()
    with pytest.raises(ValueError, match="tax"):
        Registries(stubs, WITH_TAX)
    del stubs[Registry.FOOD]
    with pytest.raises(ValueError, match="food"):
        Registries(stubs)


def test_an_extra_spec_gets_a_stub_with_no_other_change() -> None:
    stubs = build_stub_registries(table=WITH_TAX)
    defaulter = personas()["defaulter"]["id_number"]
    purpose = TAX.purpose("c" * 32)
    assert purpose.legal_basis == "《税收征收管理法》第十五条"
    query = TaxQuery(purpose=purpose, operator_id_number=defaulter)
    with exchanges.recording() as log:
        assert asyncio.run(stubs[TAX.registry].lookup(query)) == TaxFacts(arrears=True)
    assert [(x.registry, x.legal_basis, x.status) for x in log] == [
        ("tax", "《税收征收管理法》第十五条", exchanges.OK)
    ]

    down = build_stub_registries(unavailable=frozenset({"tax"}), table=WITH_TAX)
    with pytest.raises(RegistryUnavailable):
        asyncio.run(down[TAX.registry].lookup(query))
    assert down[Registry.MARKET].available


def test_an_extra_spec_is_asked_answered_and_stored_with_the_others() -> None:
    clean = personas()["clean_owner"]["id_number"]
    registries = Registries(build_stub_registries(table=WITH_TAX), WITH_TAX)
    with exchanges.recording() as log:
        answers = _ask(registries, clean)

    assert [a.registry for a in answers.answers] == [
        "market",
        "food",
        "realestate",
        "population",
        "tax",
    ]
    assert answers.facts(TAX) == TaxFacts(arrears=False)
    assert answers.facts(MARKET) is not None
    assert answers.unavailable == []
    # no certificate given: the real-estate register is not asked
    assert sorted(x.registry for x in log) == ["food", "market", "population", "tax"]

    rows = answer_rows("a" * 32, answers, NOW)
    assert [(r["registry"], r["available"], r["answer"]) for r in rows][-1] == (
        "tax",
        True,
        {"arrears": False},
    )
    assert (rows[2]["registry"], rows[2]["answer"]) == ("realestate", None)


def test_an_extra_registry_that_is_down_is_unavailable_like_the_others() -> None:
    clean = personas()["clean_owner"]["id_number"]
    stubs = build_stub_registries(unavailable=frozenset({"tax"}), table=WITH_TAX)
    answers = _ask(Registries(stubs, WITH_TAX), clean)
    assert answers.unavailable == ["tax"]
    assert answers.facts(TAX) is None


def test_each_registry_of_the_table_is_reached_as_its_settings_say(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APPROVAL_REGISTRY_FOOD", '{"url": "http://127.0.0.1:8102"}')
    settings = Settings(registry_realestate={"url": "http://127.0.0.1:8103", "retries": 1})
    assert settings.registry_endpoint(Registry.FOOD).url == "http://127.0.0.1:8102"
    assert settings.registry_endpoint(Registry.REALESTATE).retries == 1
    assert settings.registry_endpoint(Registry.MARKET).url is None
