"""The registry table: one spec per external registry, which everything handling registries reads.

A spec names the registry and carries what differs between registries: how its question is
built from the case, the type of its answer, the legal basis stated with every query, the name
citizens see in their data-access log, the stub's answer from the seed world, (through its
name) the HTTP paths, and for a registry that takes writes (filed registrations) its filing
spec. Adding a registry is a :class:`~connectors.base.Registry` member, its query
and facts models, its seed data and its answer from them, and one spec here; the stubs, the
HTTP clients, the stub servers, the settings and the answer gathering follow the table.

The question is built from :class:`CaseParticulars`, plain values, because connectors never see
the application model: the approval side fills them in once, for every registry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from pydantic import BaseModel

from connectors.base import (
    FoodFacts,
    FoodQuery,
    MarketFacts,
    MarketQuery,
    PopulationFacts,
    PopulationQuery,
    PropertyFacts,
    PropertyQuery,
    QueryPurpose,
    Registry,
    RegistryClient,
    RegistryQuery,
)
from connectors.filings import FiledRegistrations, market_facts_with_filings
from connectors.seed_world import (
    SeedWorld,
    food_facts,
    market_facts,
    population_facts,
    property_facts,
)

_Query = TypeVar("_Query", bound=RegistryQuery)
_Facts = TypeVar("_Facts", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class CaseParticulars:
    """What the registries are asked about one application, as plain values."""

    operator_id_number: str
    authority_code: str
    proposed_name: str | None
    # None: nothing to look up in the real-estate register (online premises, no certificate)
    property_certificate: str | None
    # 家庭经营: the family members, checked against the population register with the operator
    family_id_numbers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FilingSpec(Generic[_Query, _Facts]):
    """A registry that also takes writes: the registrations this authority files to it.

    ``stub_answer`` is how a stub's answer changes with what was filed to it (given the
    registry's today: "less than a year ago" is the registry's to judge).
    """

    legal_basis: str  # stated with every filing
    stub_answer: Callable[[_Facts, _Query, FiledRegistrations, dt.date], _Facts]


@dataclass(frozen=True, slots=True)
class RegistrySpec(Generic[_Query, _Facts]):
    """Everything about one registry that its callers, stubs and clients need."""

    registry: Registry
    citizen_name: str  # zh-CN, as shown to the citizen in the data-access log
    legal_basis: str  # stated with every query (不动产登记暂行条例 Art.28)
    query_type: type[_Query]
    facts_type: type[_Facts]
    # the question about this case; None: nothing to ask this registry
    query: Callable[[QueryPurpose, CaseParticulars], _Query | None]
    stub_answer: Callable[[SeedWorld, _Query], _Facts]
    # None: a registry Miaopi only reads
    filing: FilingSpec[_Query, _Facts] | None = None

    @property
    def path(self) -> str:
        return f"/v1/{self.registry.value}/lookup"

    @property
    def filing_path(self) -> str:
        return f"/v1/{self.registry.value}/filings"

    def filing_purpose(self, case_id: str) -> QueryPurpose:
        if self.filing is None:
            raise ValueError(f"the {self.registry.value} registry takes no filings")
        return QueryPurpose(case_id=case_id, legal_basis=self.filing.legal_basis)

    def purpose(self, case_id: str) -> QueryPurpose:
        return QueryPurpose(case_id=case_id, legal_basis=self.legal_basis)


def _market_query(purpose: QueryPurpose, case: CaseParticulars) -> MarketQuery:
    return MarketQuery(
        purpose=purpose,
        operator_id_number=case.operator_id_number,
        authority_code=case.authority_code,
        proposed_name=case.proposed_name,
    )


def _food_query(purpose: QueryPurpose, case: CaseParticulars) -> FoodQuery:
    return FoodQuery(purpose=purpose, operator_id_number=case.operator_id_number)


def _property_query(purpose: QueryPurpose, case: CaseParticulars) -> PropertyQuery | None:
    if not case.property_certificate:
        return None
    return PropertyQuery(purpose=purpose, certificate_number=case.property_certificate)


def _population_query(purpose: QueryPurpose, case: CaseParticulars) -> PopulationQuery:
    return PopulationQuery(
        purpose=purpose, id_numbers=(case.operator_id_number, *case.family_id_numbers)
    )


MARKET: RegistrySpec[MarketQuery, MarketFacts] = RegistrySpec(
    registry=Registry.MARKET,
    citizen_name="省市场监管登记系统（含信用信息共享平台）",
    legal_basis="《市场主体登记管理条例》第十六条、第十九条",
    query_type=MarketQuery,
    facts_type=MarketFacts,
    query=_market_query,
    stub_answer=market_facts,
    filing=FilingSpec(
        # registration data in the one national system and shared (Arts.6–7); revocations and
        # their annulment made public (Arts.40, 42)
        legal_basis="《市场主体登记管理条例》第六条、第七条、第四十条、第四十二条",
        stub_answer=market_facts_with_filings,
    ),
)
FOOD: RegistrySpec[FoodQuery, FoodFacts] = RegistrySpec(
    registry=Registry.FOOD,
    citizen_name="食品药品经营许可平台",
    legal_basis="《市场主体登记管理条例》第十四条",
    query_type=FoodQuery,
    facts_type=FoodFacts,
    query=_food_query,
    stub_answer=food_facts,
)
REALESTATE: RegistrySpec[PropertyQuery, PropertyFacts] = RegistrySpec(
    registry=Registry.REALESTATE,
    citizen_name="不动产登记系统",
    legal_basis="《不动产登记暂行条例》第二十五条、第二十八条",
    query_type=PropertyQuery,
    facts_type=PropertyFacts,
    query=_property_query,
    stub_answer=property_facts,
)

POPULATION: RegistrySpec[PopulationQuery, PopulationFacts] = RegistrySpec(
    registry=Registry.POPULATION,
    citizen_name="公安人口信息库（实名核验）",
    legal_basis="《市场主体登记管理条例实施细则》第十六条",
    query_type=PopulationQuery,
    facts_type=PopulationFacts,
    query=_population_query,
    stub_answer=population_facts,
)

AnySpec = RegistrySpec[Any, Any]


class RegistryTable:
    """The registries Miaopi consults, in the order they are asked and stored."""

    def __init__(self, specs: tuple[AnySpec, ...]) -> None:
        names = [spec.registry for spec in specs]
        if len(set(names)) != len(names):
            raise ValueError(f"a registry is specified twice: {names}")
        self._specs = {spec.registry: spec for spec in specs}

    def __iter__(self) -> Iterator[AnySpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def __getitem__(self, registry: Registry | str) -> AnySpec:
        """The spec of ``registry`` (a member or its value); KeyError for an unknown one."""
        return self._specs[cast(Registry, registry)]

    def names(self) -> frozenset[str]:
        return frozenset(spec.registry.value for spec in self)

    def with_spec(self, spec: AnySpec) -> RegistryTable:
        return RegistryTable((*self._specs.values(), spec))


REGISTRIES = RegistryTable((MARKET, FOOD, REALESTATE, POPULATION))

# a Registry member without a spec is refused when connectors is imported, not mid-request
if {spec.registry for spec in REGISTRIES} != set(Registry):
    raise RuntimeError("every Registry member needs exactly one spec in REGISTRIES")


class Registries:
    """One client per registry of a table: a stub, an HTTP client, or a wrapper of either."""

    def __init__(
        self,
        clients: Mapping[Registry, RegistryClient[Any, Any]],
        table: RegistryTable = REGISTRIES,
    ) -> None:
        wanted = {spec.registry for spec in table}
        if set(clients) != wanted:
            missing = sorted(map(str, wanted - set(clients)))
            unknown = sorted(map(str, set(clients) - wanted))
            raise ValueError(f"registry clients missing {missing}, unknown {unknown}")
        self.table = table
        self._clients = dict(clients)

    def client(self, spec: RegistrySpec[_Query, _Facts]) -> RegistryClient[_Query, _Facts]:
        return cast(RegistryClient[_Query, _Facts], self._clients[spec.registry])

    def replace(
        self, spec: RegistrySpec[_Query, _Facts], client: RegistryClient[_Query, _Facts]
    ) -> Registries:
        """The same clients, with ``spec``'s registry answered by ``client``."""
        return Registries({**self._clients, spec.registry: client}, self.table)

    def clients(self) -> list[RegistryClient[Any, Any]]:
        return list(self._clients.values())
