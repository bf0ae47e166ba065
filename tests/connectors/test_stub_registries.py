from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

from connectors.base import (
    FoodQuery,
    MarketFacts,
    MarketQuery,
    PropertyFacts,
    PropertyQuery,
    QueryPurpose,
    Registry,
    RegistryUnavailable,
)
from connectors.names import split_name
from connectors.registries import FOOD, MARKET, REALESTATE
from connectors.stub import StubRegistry, build_stub_registries, load_world
from connectors.world import (
    DEFAULT_SEED_DIR,
    REFERENCE_DATE,
    TAIZHOU_DISTRICTS,
    Personas,
    load_personas,
    write_world,
)

Stubs = dict[Registry, StubRegistry[Any, Any]]

T = TypeVar("T")
PURPOSE = QueryPurpose(case_id="test-case", legal_basis="个体工商户登记管理办法 第二十二条")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


@pytest.fixture(scope="module")
def personas() -> Personas:
    return load_personas()


@pytest.fixture(scope="module")
def registries() -> Stubs:
    return build_stub_registries(DEFAULT_SEED_DIR)


def market(
    registries: Stubs, id_number: str, authority: str = "321202", name: str | None = None
) -> MarketFacts:
    query = MarketQuery(
        purpose=PURPOSE, operator_id_number=id_number, authority_code=authority, proposed_name=name
    )
    return run(registries[Registry.MARKET].lookup(query))


def premises(registries: Stubs, certificate_number: str) -> PropertyFacts:
    query = PropertyQuery(purpose=PURPOSE, certificate_number=certificate_number)
    return run(registries[Registry.REALESTATE].lookup(query))


def current_lessees(facts: PropertyFacts, day: dt.date = REFERENCE_DATE) -> set[str]:
    return {lease.lessee_id_number for lease in facts.leases if lease.start <= day <= lease.end}


CLEAN_KEYS = (
    "clean_owner",
    "clean_tenant",
    "residential_owner",
    "minor_16",
    "child_15",
    "sealed_owner",
    "no_rights",
    "expired_lease_tenant",
    "genuine_1978_321281",
)


class TestMarketFactsForPersonas:
    @pytest.mark.parametrize("key", CLEAN_KEYS)
    def test_clean_personas_have_no_flags_and_no_entities(
        self, registries: Stubs, personas: Personas, key: str
    ) -> None:
        facts = market(registries, personas[key].id_number)
        assert facts == MarketFacts(
            identical_name_exists=False,
            similar_name_exists=False,
            serious_dishonesty=False,
            judgment_defaulter=False,
            false_registration_banned_until=None,
            impersonation_watch=False,
        )

    def test_dishonest_is_on_the_serious_dishonesty_list_only(
        self, registries: Stubs, personas: Personas
    ) -> None:
        facts = market(registries, personas["dishonest"].id_number)
        assert facts.serious_dishonesty
        assert not facts.judgment_defaulter
        assert not facts.impersonation_watch
        assert facts.false_registration_banned_until is None

    def test_defaulter_is_a_judgment_defaulter_only(
        self, registries: Stubs, personas: Personas
    ) -> None:
        facts = market(registries, personas["defaulter"].id_number)
        assert facts.judgment_defaulter
        assert not facts.serious_dishonesty
        assert not facts.impersonation_watch
        assert facts.false_registration_banned_until is None

    def test_watched_is_on_the_impersonation_watch(
        self, registries: Stubs, personas: Personas
    ) -> None:
        facts = market(registries, personas["watched"].id_number)
        assert facts.impersonation_watch
        assert not facts.serious_dishonesty
        assert not facts.judgment_defaulter

    def test_ban_end_is_three_years_after_revocation_even_when_over(
        self, registries: Stubs, personas: Personas
    ) -> None:
        bans = json.loads((DEFAULT_SEED_DIR / "lists.json").read_text(encoding="utf-8"))
        revoked = {b["id_number"]: b["revoked_on"] for b in bans["false_registration_bans"]}
        for key, running in (("banned", True), ("ban_expired", False)):
            id_number = personas[key].id_number
            until = market(registries, id_number).false_registration_banned_until
            revoked_on = dt.date.fromisoformat(revoked[id_number])
            assert until == revoked_on.replace(year=revoked_on.year + 3)
            assert (until > REFERENCE_DATE) is running

    def test_existing_entities_are_the_operators_businesses(
        self, registries: Stubs, personas: Personas
    ) -> None:
        revoked = market(registries, personas["revoked_entity_operator"].id_number)
        assert [e.status for e in revoked.existing_entities] == ["吊销未注销"]
        holder = market(registries, personas["food_permit_holder"].id_number)
        assert [e.status for e in holder.existing_entities] == ["存续"]
        assert holder.existing_entities[0].name is not None
        assert holder.existing_entities[0].name.endswith("小吃店")

    def test_id_number_with_lower_case_x_is_the_same_person(self, registries: Stubs) -> None:
        lists = json.loads((DEFAULT_SEED_DIR / "lists.json").read_text(encoding="utf-8"))
        with_x = [i for i in lists["judgment_defaulter"] if i.endswith("X")]
        assert with_x, "the seed should list someone whose ID ends in X"
        assert market(registries, with_x[0].lower()).judgment_defaulter


class TestNameMatching:
    def test_the_existing_name_is_identical_at_its_authority(
        self, registries: Stubs, personas: Personas
    ) -> None:
        existing = personas.existing_name
        clean = personas["clean_owner"].id_number
        facts = market(registries, clean, existing.authority_code, existing.name)
        assert facts.identical_name_exists
        assert not facts.similar_name_exists

    def test_spacing_punctuation_and_region_placement_do_not_make_a_new_name(
        self, registries: Stubs, personas: Personas
    ) -> None:
        existing = personas.existing_name
        prefix = TAIZHOU_DISTRICTS[existing.authority_code].name_prefix
        body = existing.name.removeprefix(prefix)
        clean = personas["clean_owner"].id_number
        for variant in (
            f" {prefix} {body[:2]}·{body[2:]} ",
            f"{body}（{prefix}）",
            f"{body[:2]}({prefix}){body[2:]}",
            body,
        ):
            facts = market(registries, clean, existing.authority_code, variant)
            assert facts.identical_name_exists, variant

    def test_another_organisation_form_or_word_order_is_the_same_name(
        self, registries: Stubs, personas: Personas
    ) -> None:
        existing = personas.existing_name
        prefix = TAIZHOU_DISTRICTS[existing.authority_code].name_prefix
        parts = split_name(existing.name)
        clean = personas["clean_owner"].id_number
        for form in ("商行", "经营部", "行"):
            for variant in (
                f"{prefix}{parts.trade}{parts.industry}{form}",
                f"{parts.industry}{parts.trade}{form}",
            ):
                facts = market(registries, clean, existing.authority_code, variant)
                assert facts.identical_name_exists, variant
                assert facts.identical_to == existing.name
                assert not facts.similar_name_exists, variant

    def test_an_answer_without_an_identical_name_names_none(
        self, registries: Stubs, personas: Personas
    ) -> None:
        facts = market(
            registries, personas["clean_owner"].id_number, "321202", "泰州市海陵区翠竹轩茶馆"
        )
        assert facts.identical_to is None
        assert facts.recently_freed_name is None
        assert facts.recently_freed_on is None

    def test_the_same_name_at_another_authority_is_not_identical(
        self, registries: Stubs, personas: Personas
    ) -> None:
        existing = personas.existing_name
        body = existing.name.removeprefix(TAIZHOU_DISTRICTS[existing.authority_code].name_prefix)
        elsewhere = next(d for d in TAIZHOU_DISTRICTS.values() if d.code != existing.authority_code)
        facts = market(
            registries,
            personas["clean_owner"].id_number,
            elsewhere.code,
            elsewhere.name_prefix + body,
        )
        assert not facts.identical_name_exists

    def test_same_trade_name_with_another_industry_or_containing_it_is_similar(
        self, registries: Stubs, personas: Personas
    ) -> None:
        existing = personas.existing_name
        prefix = TAIZHOU_DISTRICTS[existing.authority_code].name_prefix
        parts = split_name(existing.name)
        other_industry = "花店" if parts.suffix != "花店" else "茶馆"
        clean = personas["clean_owner"].id_number
        for variant in (
            f"{prefix}{parts.trade}{other_industry}",
            f"{prefix}{parts.trade}家{parts.suffix}",
        ):
            facts = market(registries, clean, existing.authority_code, variant)
            assert facts.similar_name_exists, variant
            assert not facts.identical_name_exists, variant

    def test_an_unrelated_name_is_neither_identical_nor_similar(
        self, registries: Stubs, personas: Personas
    ) -> None:
        facts = market(
            registries, personas["clean_owner"].id_number, "321202", "泰州市海陵区翠竹轩茶馆"
        )
        assert not facts.identical_name_exists
        assert not facts.similar_name_exists

    def test_a_deregistered_business_no_longer_holds_its_name(
        self, registries: Stubs, personas: Personas
    ) -> None:
        rows = json.loads((DEFAULT_SEED_DIR / "businesses.json").read_text(encoding="utf-8"))
        active = {(b["authority_code"], b["name"]) for b in rows if b["status"] != "注销"}
        gone = next(
            b
            for b in rows
            if b["status"] == "注销"
            and b["name"] is not None
            and (b["authority_code"], b["name"]) not in active
        )
        facts = market(
            registries, personas["clean_owner"].id_number, gone["authority_code"], gone["name"]
        )
        assert not facts.identical_name_exists


class TestPropertyFactsForPersonas:
    @pytest.mark.parametrize(
        "key",
        ["clean_owner", "minor_16", "child_15", "dishonest", "genuine_1978_321281", "banned"],
    )
    def test_owners_of_clean_commercial_premises(
        self, registries: Stubs, personas: Personas, key: str
    ) -> None:
        persona = personas[key]
        facts = premises(registries, persona.certificate_number)
        assert facts.found
        assert facts.certificate_number == persona.certificate_number
        assert persona.id_number in facts.owner_id_numbers
        assert facts.registered_use == "商业"
        assert not facts.sealed
        assert facts.district_code is not None
        assert facts.district_code.startswith("3212")

    def test_clean_tenant_has_a_current_lease_on_someone_elses_shop(
        self, registries: Stubs, personas: Personas
    ) -> None:
        persona = personas["clean_tenant"]
        facts = premises(registries, persona.certificate_number)
        assert facts.registered_use == "商业"
        assert persona.id_number not in facts.owner_id_numbers
        assert persona.id_number in current_lessees(facts)

    def test_residential_owner_owns_a_home(self, registries: Stubs, personas: Personas) -> None:
        persona = personas["residential_owner"]
        facts = premises(registries, persona.certificate_number)
        assert facts.registered_use == "住宅"
        assert persona.id_number in facts.owner_id_numbers

    def test_sealed_owner_owns_a_sealed_shop(self, registries: Stubs, personas: Personas) -> None:
        persona = personas["sealed_owner"]
        facts = premises(registries, persona.certificate_number)
        assert facts.sealed
        assert persona.id_number in facts.owner_id_numbers

    @pytest.mark.parametrize("key", ["no_rights", "expired_lease_tenant"])
    def test_persona_without_a_current_right_to_the_shop(
        self, registries: Stubs, personas: Personas, key: str
    ) -> None:
        persona = personas[key]
        facts = premises(registries, persona.certificate_number)
        assert facts.found
        assert facts.registered_use == "商业"
        assert persona.id_number not in facts.owner_id_numbers
        assert persona.id_number not in current_lessees(facts)

    def test_unknown_certificate_is_not_found_and_echoed(self, registries: Stubs) -> None:
        number = "苏(2021)泰州市不动产权第9999999号"
        facts = premises(registries, number)
        assert facts == PropertyFacts(found=False, certificate_number=number)

    def test_full_width_brackets_and_spaces_find_the_same_property(
        self, registries: Stubs, personas: Personas
    ) -> None:
        number = personas["clean_owner"].certificate_number
        typed = " " + number.replace("(", "（").replace(")", "）") + " "
        assert premises(registries, typed) == premises(registries, number)


class TestFoodFacts:
    def test_food_permit_holder_has_a_valid_catering_permit(
        self, registries: Stubs, personas: Personas
    ) -> None:
        query = FoodQuery(
            purpose=PURPOSE, operator_id_number=personas["food_permit_holder"].id_number
        )
        facts = run(registries[Registry.FOOD].lookup(query))
        assert len(facts.permits) == 1
        permit = facts.permits[0]
        assert permit.kind == "食品经营许可"
        assert permit.permit_number.startswith("JY2")
        assert permit.valid_until > REFERENCE_DATE
        assert not facts.prepackaged_filing_exists

    def test_operator_without_permits_or_filing(
        self, registries: Stubs, personas: Personas
    ) -> None:
        query = FoodQuery(purpose=PURPOSE, operator_id_number=personas["clean_owner"].id_number)
        facts = run(registries[Registry.FOOD].lookup(query))
        assert facts.permits == ()
        assert not facts.prepackaged_filing_exists

    def test_prepackaged_filing_is_reported(self, registries: Stubs) -> None:
        food = json.loads((DEFAULT_SEED_DIR / "food.json").read_text(encoding="utf-8"))
        query = FoodQuery(purpose=PURPOSE, operator_id_number=food["prepackaged_filings"][0])
        assert run(registries[Registry.FOOD].lookup(query)).prepackaged_filing_exists


class TestRegistryBehaviour:
    def test_unavailable_registry_raises_after_its_latency(self, personas: Personas) -> None:
        stub = StubRegistry(REALESTATE, latency_ms=30, available=False)
        query = PropertyQuery(
            purpose=PURPOSE, certificate_number=personas["clean_owner"].certificate_number
        )
        started = time.perf_counter()
        with pytest.raises(RegistryUnavailable) as raised:
            run(stub.lookup(query))
        assert time.perf_counter() - started >= 0.027
        assert raised.value.registry is Registry.REALESTATE

    def test_factory_marks_only_the_named_registries_unavailable(self, personas: Personas) -> None:
        stubs = build_stub_registries(DEFAULT_SEED_DIR, unavailable=frozenset({Registry.MARKET}))
        persona = personas["clean_owner"]
        with pytest.raises(RegistryUnavailable) as raised:
            market(stubs, persona.id_number)
        assert raised.value.registry is Registry.MARKET
        assert premises(stubs, persona.certificate_number).found
        food = run(
            stubs[Registry.FOOD].lookup(
                FoodQuery(purpose=PURPOSE, operator_id_number=persona.id_number)
            )
        )
        assert food.permits == ()

    def test_factory_accepts_registry_names_and_refuses_unknown_ones(self) -> None:
        stubs = build_stub_registries(DEFAULT_SEED_DIR, unavailable=frozenset({"food"}))
        assert not stubs[Registry.FOOD].available
        assert stubs[Registry.MARKET].available
        assert stubs[Registry.REALESTATE].available
        with pytest.raises(ValueError, match="markt"):
            build_stub_registries(DEFAULT_SEED_DIR, unavailable=frozenset({"markt"}))

    def test_latency_is_applied(self, personas: Personas) -> None:
        stubs = build_stub_registries(DEFAULT_SEED_DIR, latency_ms=50)
        started = time.perf_counter()
        facts = premises(stubs, personas["clean_owner"].certificate_number)
        assert time.perf_counter() - started >= 0.045
        assert facts.found

    def test_concurrent_lookups_overlap_their_latency(self, personas: Personas) -> None:
        stubs = build_stub_registries(DEFAULT_SEED_DIR, latency_ms=100)
        persona = personas["clean_owner"]

        async def all_three() -> None:
            await asyncio.gather(
                stubs[Registry.MARKET].lookup(
                    MarketQuery(
                        purpose=PURPOSE,
                        operator_id_number=persona.id_number,
                        authority_code="321202",
                    )
                ),
                stubs[Registry.FOOD].lookup(
                    FoodQuery(purpose=PURPOSE, operator_id_number=persona.id_number)
                ),
                stubs[Registry.REALESTATE].lookup(
                    PropertyQuery(purpose=PURPOSE, certificate_number=persona.certificate_number)
                ),
            )

        started = time.perf_counter()
        run(all_three())
        assert 0.095 <= time.perf_counter() - started < 0.29

    def test_error_rate_fails_some_answers_reproducibly(self, personas: Personas) -> None:
        query = FoodQuery(purpose=PURPOSE, operator_id_number=personas["clean_owner"].id_number)

        def outcomes(seed: int) -> list[bool]:
            stub = StubRegistry(FOOD, error_rate=0.5, seed=seed)
            results = []
            for _ in range(40):
                try:
                    run(stub.lookup(query))
                except RegistryUnavailable:
                    results.append(False)
                else:
                    results.append(True)
            return results

        first = outcomes(3)
        assert first == outcomes(3)
        assert 5 <= first.count(False) <= 35

    def test_error_rate_one_always_fails(self, personas: Personas) -> None:
        stub = StubRegistry(MARKET, error_rate=1.0)
        query = MarketQuery(
            purpose=PURPOSE,
            operator_id_number=personas["clean_owner"].id_number,
            authority_code="321202",
        )
        for _ in range(5):
            with pytest.raises(RegistryUnavailable):
                run(stub.lookup(query))

    @pytest.mark.parametrize(("latency_ms", "error_rate"), [(-1.0, 0.0), (0.0, 1.5), (0.0, -0.1)])
    def test_nonsense_options_are_refused(self, latency_ms: float, error_rate: float) -> None:
        with pytest.raises(ValueError, match="must"):
            StubRegistry(REALESTATE, latency_ms=latency_ms, error_rate=error_rate)

    def test_one_world_is_loaded_per_folder(self, tmp_path: Path) -> None:
        a = build_stub_registries(DEFAULT_SEED_DIR)
        b = build_stub_registries(str(DEFAULT_SEED_DIR / ".." / "seed"), latency_ms=5)
        assert (
            a[Registry.MARKET].world is b[Registry.REALESTATE].world is load_world(DEFAULT_SEED_DIR)
        )

        write_world(tmp_path, seed=11)
        other = build_stub_registries(tmp_path)
        assert other[Registry.MARKET].world is not a[Registry.MARKET].world
        assert len(other[Registry.REALESTATE].world.properties) == len(
            a[Registry.REALESTATE].world.properties
        )

    def test_a_world_from_another_seed_answers_for_its_own_personas(self, tmp_path: Path) -> None:
        write_world(tmp_path, seed=99)
        personas = load_personas(tmp_path)
        stubs = build_stub_registries(tmp_path)
        owner = personas["clean_owner"]
        facts = premises(stubs, owner.certificate_number)
        assert owner.id_number in facts.owner_id_numbers
        assert market(stubs, personas["dishonest"].id_number).serious_dishonesty
