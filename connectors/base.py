"""The typed interface of every registry Miaopi queries.

Connectors return facts or raise :class:`RegistryUnavailable`; they never decide.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Protocol, TypeVar

from pydantic import BaseModel, ConfigDict


class Registry(StrEnum):
    MARKET = "market"
    FOOD = "food"
    REALESTATE = "realestate"
    POPULATION = "population"


class RegistryUnavailable(Exception):
    """The registry did not answer usefully (timeout, outage, malformed answer)."""

    def __init__(self, registry: Registry, reason: str) -> None:
        super().__init__(f"{registry.value}: {reason}")
        self.registry = registry
        self.reason = reason


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class QueryPurpose(_Frozen):
    """Why a registry is queried: the case it serves and the legal basis.

    Queries must state their purpose (不动产登记暂行条例 Art.28).
    """

    case_id: str
    acting_system: str = "miaopi"
    legal_basis: str


class RegistryQuery(_Frozen):
    """A question to one registry; every question states its purpose."""

    purpose: QueryPurpose


class MarketQuery(RegistryQuery):
    operator_id_number: str
    authority_code: str
    proposed_name: str | None = None


class ExistingEntity(_Frozen):
    credit_code: str
    name: str | None
    status: str  # 存续 / 吊销未注销 / 注销 / 经营异常


class MarketFacts(_Frozen):
    """Answer of the provincial market-supervision system and the shared credit platform.

    The optional fields came later: answers stored before them read as None.
    """

    identical_name_exists: bool
    similar_name_exists: bool
    serious_dishonesty: bool
    judgment_defaulter: bool
    false_registration_banned_until: dt.date | None
    impersonation_watch: bool
    existing_entities: tuple[ExistingEntity, ...] = ()
    # the registered name the proposed one is identical to (比对规则), so a reason can name it
    identical_to: str | None = None
    # a name identical to the proposed one whose registration was revoked or deregistered less
    # than a year before the query, and when (企业名称登记管理规定 Art.17)
    recently_freed_name: str | None = None
    recently_freed_on: dt.date | None = None


class FoodQuery(RegistryQuery):
    operator_id_number: str


class FoodPermit(_Frozen):
    permit_number: str
    kind: str  # 食品经营许可 / 药品经营许可 …
    valid_until: dt.date


class FoodFacts(_Frozen):
    """Answer of the food-and-drug licensing platform about the operator."""

    permits: tuple[FoodPermit, ...] = ()
    prepackaged_filing_exists: bool = False


class PropertyQuery(RegistryQuery):
    certificate_number: str


class Lease(_Frozen):
    lessee_id_number: str
    start: dt.date
    end: dt.date


class PropertyFacts(_Frozen):
    """Answer of the real-estate register about one property certificate."""

    found: bool
    certificate_number: str
    address: str | None = None
    district_code: str | None = None
    owner_id_numbers: tuple[str, ...] = ()
    registered_use: str | None = None  # 住宅 / 商业 / 办公 / 工业 / 商住
    sealed: bool = False
    leases: tuple[Lease, ...] = ()


class PopulationQuery(RegistryQuery):
    """The people of one application, looked up by ID number: the operator first."""

    id_numbers: tuple[str, ...]


class PersonStatus(StrEnum):
    NORMAL = "normal"
    CANCELLED = "cancelled"  # 户籍注销 (emigrated, duplicate record…)
    DECEASED = "deceased"


class PersonRecord(_Frozen):
    """The population register's entry for one ID number; ``found`` false: no such entry."""

    id_number: str
    found: bool
    name: str | None = None
    status: PersonStatus | None = None
    document_reported_lost: bool = False


class PopulationFacts(_Frozen):
    """Answer of the public-security population (real-name) register, one record per ID asked."""

    people: tuple[PersonRecord, ...]

    def record(self, id_number: str) -> PersonRecord | None:
        return next((p for p in self.people if p.id_number == id_number), None)


_Query = TypeVar("_Query", bound=RegistryQuery, contravariant=True)
_Facts = TypeVar("_Facts", bound=BaseModel, covariant=True)


class RegistryClient(Protocol[_Query, _Facts]):
    """One registry as its callers see it: a question in, typed facts or unavailable out."""

    async def lookup(self, query: _Query) -> _Facts: ...


MarketSupervisionRegistry = RegistryClient[MarketQuery, MarketFacts]
FoodDrugRegistry = RegistryClient[FoodQuery, FoodFacts]
RealEstateRegistry = RegistryClient[PropertyQuery, PropertyFacts]
PopulationRegistry = RegistryClient[PopulationQuery, PopulationFacts]
