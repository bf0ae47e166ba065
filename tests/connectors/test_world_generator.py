from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidComponent

from connectors.names import split_name
from connectors.world import (
    DEFAULT_SEED,
    DEFAULT_SEED_DIR,
    PERSONA_KEYS,
    REFERENCE_DATE,
    SEED_FILES,
    TAIZHOU_DISTRICTS,
    age_on,
    ban_end,
    load_personas,
    write_world,
)

CERTIFICATE = re.compile(
    r"^苏\((20\d\d)\)(泰州市|泰州市姜堰区|兴化市|靖江市|泰兴市)不动产权第\d{7}号$"
)


def _load(name: str) -> Any:
    return json.loads((DEFAULT_SEED_DIR / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def people() -> dict[str, dict[str, Any]]:
    return {p["id_number"]: p for p in _load("people.json")}


@pytest.fixture(scope="module")
def properties() -> dict[str, dict[str, Any]]:
    return {p["certificate_number"]: p for p in _load("properties.json")}


@pytest.fixture(scope="module")
def businesses() -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = _load("businesses.json")
    return result


@pytest.fixture(scope="module")
def lists() -> dict[str, Any]:
    result: dict[str, Any] = _load("lists.json")
    return result


@pytest.fixture(scope="module")
def facts(
    people: dict[str, dict[str, Any]],
    properties: dict[str, dict[str, Any]],
    businesses: list[dict[str, Any]],
    lists: dict[str, Any],
) -> dict[str, Any]:
    return {"people": people, "properties": properties, "businesses": businesses} | lists


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    first = write_world(tmp_path / "a", seed=7)
    second = write_world(tmp_path / "b", seed=7)
    other = write_world(tmp_path / "c", seed=8)

    assert [p.name for p in first] == list(SEED_FILES)
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()
    assert first[0].read_bytes() != other[0].read_bytes()


def test_committed_seed_is_what_the_cli_generates(tmp_path: Path) -> None:
    # A different hash seed in a fresh process: output must not depend on set or dict hashing.
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run(
        [sys.executable, "-m", "connectors.world", str(tmp_path), "--seed", str(DEFAULT_SEED)],
        check=True,
        env=env,
        capture_output=True,
    )
    for name in SEED_FILES:
        assert (tmp_path / name).read_bytes() == (DEFAULT_SEED_DIR / name).read_bytes(), name


def test_seed_folder_stays_small() -> None:
    total = sum((DEFAULT_SEED_DIR / name).stat().st_size for name in SEED_FILES)
    assert total < 2_000_000


def test_population_sizes(
    people: dict[str, Any], properties: dict[str, Any], businesses: list[Any]
) -> None:
    assert len(people) == 2_000
    assert len(properties) == 1_500
    assert len(businesses) == 800


def test_every_id_number_carries_its_check_digit_sex_and_birth_date(
    people: dict[str, dict[str, Any]],
) -> None:
    for id_number, person in people.items():
        assert re.fullmatch(r"32\d{15}[\dX]", id_number)
        assert ric.calc_check_digit(id_number) == id_number[-1]
        assert ric.get_birth_date(id_number) == dt.date.fromisoformat(person["birth_date"])
        assert person["sex"] == ("男" if int(id_number[16]) % 2 else "女")
        assert dt.date(1950, 1, 1) <= ric.get_birth_date(id_number) <= dt.date(2010, 12, 31)
        assert 2 <= len(person["name"]) <= 3


def test_only_the_genuine_1978_persona_fails_the_division_year_check(
    people: dict[str, dict[str, Any]],
) -> None:
    genuine = load_personas()["genuine_1978_321281"].id_number
    failing = []
    for id_number in people:
        try:
            ric.validate(id_number)
        except InvalidComponent:
            failing.append(id_number)
    assert failing == [genuine]
    assert genuine.startswith("3212811978")


def test_population_has_minors_and_people_from_elsewhere_in_jiangsu(
    people: dict[str, dict[str, Any]],
) -> None:
    ages = [age_on(dt.date.fromisoformat(p["birth_date"]), REFERENCE_DATE) for p in people.values()]
    assert sum(age < 18 for age in ages) >= 20
    current = [i for i in people if i[:6] in TAIZHOU_DISTRICTS]
    assert len(current) >= 300
    elsewhere = [i for i in people if i.startswith(("3201", "321002", "321023", "322423"))]
    assert 20 <= len(elsewhere) <= 400


def test_every_referenced_person_exists(
    people: dict[str, Any],
    properties: dict[str, dict[str, Any]],
    businesses: list[dict[str, Any]],
    lists: dict[str, Any],
) -> None:
    food = _load("food.json")
    referenced = {
        *(o for p in properties.values() for o in p["owner_id_numbers"]),
        *(lease["lessee_id_number"] for p in properties.values() for lease in p["leases"]),
        *(b["operator_id_number"] for b in businesses),
        *lists["serious_dishonesty"],
        *lists["judgment_defaulter"],
        *lists["impersonation_watch"],
        *(ban["id_number"] for ban in lists["false_registration_bans"]),
        *(p["operator_id_number"] for p in food["permits"]),
        *food["prepackaged_filings"],
    }
    assert referenced <= people.keys()


def test_properties_look_like_register_entries(properties: dict[str, dict[str, Any]]) -> None:
    uses = [p["registered_use"] for p in properties.values()]
    assert set(uses) == {"住宅", "商业", "办公", "工业", "商住"}
    assert uses.count("住宅") > uses.count("商业") > uses.count("工业")
    assert 5 <= sum(p["sealed"] for p in properties.values()) <= 100
    for number, prop in properties.items():
        assert CERTIFICATE.fullmatch(number), number
        district = TAIZHOU_DISTRICTS[prop["district_code"]]
        assert prop["address"].startswith(f"江苏省泰州市{district.name}")
        assert 1 <= len(prop["owner_id_numbers"]) <= 2
        for lease in prop["leases"]:
            start, end = dt.date.fromisoformat(lease["start"]), dt.date.fromisoformat(lease["end"])
            assert start < end
            assert lease["lessee_id_number"] not in prop["owner_id_numbers"]


def test_every_credit_code_is_a_valid_individual_business_code(
    businesses: list[dict[str, Any]],
) -> None:
    codes = [b["credit_code"] for b in businesses]
    assert len(set(codes)) == len(codes)
    for business in businesses:
        code = business["credit_code"]
        assert uscc.validate(code) == code
        assert code.startswith("92" + business["authority_code"])
        assert business["authority_code"] in TAIZHOU_DISTRICTS
        assert business["status"] in {"存续", "吊销未注销", "注销", "经营异常"}


def test_names_are_unique_per_authority_and_start_with_the_division(
    businesses: list[dict[str, Any]],
) -> None:
    seen: set[tuple[str, str, str]] = set()
    for business in businesses:
        if business["name"] is None:
            continue
        district = TAIZHOU_DISTRICTS[business["authority_code"]]
        assert business["name"].startswith(district.name_prefix)
        key = (business["authority_code"], *split_name(business["name"]).key)
        assert key not in seen
        seen.add(key)


def test_bans_and_food_permits_have_plausible_dates(lists: dict[str, Any]) -> None:
    revoked = [dt.date.fromisoformat(b["revoked_on"]) for b in lists["false_registration_bans"]]
    assert all(day <= REFERENCE_DATE for day in revoked)
    assert any(ban_end(day) > REFERENCE_DATE for day in revoked)
    assert any(ban_end(day) <= REFERENCE_DATE for day in revoked)
    permits = _load("food.json")["permits"]
    assert any(p["kind"] == "药品经营许可" for p in permits)
    for permit in permits:
        if permit["kind"] == "食品经营许可":
            assert re.fullmatch(r"JY[12]3212\d{9}", permit["permit_number"])


def test_ban_end_is_three_years_and_handles_29_february() -> None:
    assert ban_end(dt.date(2024, 5, 20)) == dt.date(2027, 5, 20)
    assert ban_end(dt.date(2024, 2, 29)) == dt.date(2027, 2, 28)


class TestPersonas:
    """Each persona has exactly the situation its name promises, read from the seed files."""

    @staticmethod
    def _lists_of(id_number: str, facts: dict[str, Any]) -> set[str]:
        names = {"serious_dishonesty", "judgment_defaulter", "impersonation_watch"}
        on = {name for name in names if id_number in facts[name]}
        if any(b["id_number"] == id_number for b in facts["false_registration_bans"]):
            on.add("false_registration_bans")
        return on

    @staticmethod
    def _current_lessees(prop: dict[str, Any]) -> set[str]:
        return {
            lease["lessee_id_number"]
            for lease in prop["leases"]
            if lease["start"] <= REFERENCE_DATE.isoformat() <= lease["end"]
        }

    def test_all_personas_exist_with_their_person_and_property(self, facts: dict[str, Any]) -> None:
        personas = load_personas()
        assert set(personas.people) == set(PERSONA_KEYS)
        for persona in personas.people.values():
            person = facts["people"][persona.id_number]
            assert person["name"] == persona.name
            assert persona.certificate_number in facts["properties"]

    @pytest.mark.parametrize(
        ("key", "use", "relation", "minimum_age", "maximum_age", "listed_on", "sealed"),
        [
            ("clean_owner", "商业", "owner", 18, None, set(), False),
            ("clean_tenant", "商业", "tenant", 18, None, set(), False),
            ("residential_owner", "住宅", "owner", 18, None, set(), False),
            ("minor_16", "商业", "owner", 16, 17, set(), False),
            ("child_15", "商业", "owner", None, 15, set(), False),
            ("dishonest", "商业", "owner", 18, None, {"serious_dishonesty"}, False),
            ("defaulter", "商业", "owner", 18, None, {"judgment_defaulter"}, False),
            ("banned", "商业", "owner", 18, None, {"false_registration_bans"}, False),
            ("ban_expired", "商业", "owner", 18, None, {"false_registration_bans"}, False),
            ("watched", "商业", "owner", 18, None, {"impersonation_watch"}, False),
            ("sealed_owner", "商业", "owner", 18, None, set(), True),
            ("no_rights", "商业", "none", 18, None, set(), False),
            ("expired_lease_tenant", "商业", "none", 18, None, set(), False),
            ("revoked_entity_operator", "商业", "owner", 18, None, set(), False),
            ("food_permit_holder", "商业", "owner", 18, None, set(), False),
            ("genuine_1978_321281", "商业", "owner", 18, None, set(), False),
        ],
    )
    def test_persona_has_its_stated_situation(
        self,
        facts: dict[str, Any],
        key: str,
        use: str,
        relation: str,
        minimum_age: int | None,
        maximum_age: int | None,
        listed_on: set[str],
        sealed: bool,
    ) -> None:
        persona = load_personas()[key]
        prop = facts["properties"][persona.certificate_number]
        owners = set(prop["owner_id_numbers"])
        tenants = self._current_lessees(prop)
        age = age_on(persona.birth_date, REFERENCE_DATE)

        assert prop["registered_use"] == use
        assert prop["sealed"] is sealed
        assert self._lists_of(persona.id_number, facts) == listed_on
        if minimum_age is not None:
            assert age >= minimum_age
        if maximum_age is not None:
            assert age <= maximum_age
        if relation == "owner":
            assert persona.id_number in owners
        elif relation == "tenant":
            assert persona.id_number in tenants
            assert persona.id_number not in owners
        else:
            assert persona.id_number not in owners | tenants

    def test_ban_is_running_or_over_on_the_reference_date(self, facts: dict[str, Any]) -> None:
        personas = load_personas()
        ends = {
            b["id_number"]: ban_end(dt.date.fromisoformat(b["revoked_on"]))
            for b in facts["false_registration_bans"]
        }
        assert ends[personas["banned"].id_number] > REFERENCE_DATE
        assert ends[personas["ban_expired"].id_number] <= REFERENCE_DATE

    def test_genuine_1978_has_a_right_check_digit_but_a_division_newer_than_its_birth(
        self,
    ) -> None:
        id_number = load_personas()["genuine_1978_321281"].id_number
        assert id_number[:10] == "3212811978"
        assert ric.calc_check_digit(id_number) == id_number[-1]
        with pytest.raises(InvalidComponent):
            ric.validate(id_number)

    def test_expired_lease_tenant_once_leased_the_property(self, facts: dict[str, Any]) -> None:
        persona = load_personas()["expired_lease_tenant"]
        leases = facts["properties"][persona.certificate_number]["leases"]
        assert [lease["lessee_id_number"] for lease in leases] == [persona.id_number]
        assert leases[0]["end"] < REFERENCE_DATE.isoformat()

    def test_existing_name_is_held_by_a_registered_business(self, facts: dict[str, Any]) -> None:
        existing = load_personas().existing_name
        match = [b for b in facts["businesses"] if b["credit_code"] == existing.credit_code]
        assert len(match) == 1
        assert match[0]["name"] == existing.name
        assert match[0]["authority_code"] == existing.authority_code
        assert match[0]["status"] == "存续"
