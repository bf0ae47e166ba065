"""The typed interface of every registry Miaopi queries.

Connectors return facts or raise :class:`RegistryUnavailable`; they never decide.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field


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


class RegistrationStatus(StrEnum):
    CURRENT = "current"  # 存续
    REVOKED = "revoked"  # 撤销登记 (条例 Art.40); a wrong revocation is annulled (Art.42)


class RegistrationFiling(RegistryQuery):
    """A write to the market-supervision registry: one registration as it stands now.

    Each filing is the whole state of the registration, numbered per credit code by the
    authority that made it: the registry keeps the highest version it was sent, so a repeat is
    a no-op and an older state arriving late does not overwrite a newer one.
    """

    credit_code: str = Field(pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$")
    version: int = Field(ge=1)
    status: RegistrationStatus
    name: str | None = Field(default=None, max_length=80)
    operator_id_number: str = Field(max_length=32)
    operator_name: str = Field(max_length=50)
    authority_code: str = Field(pattern=r"^\d{6}$")
    registered_on: dt.date  # the licence's issue date: the business's founding date (条例 Art.21)
    changed_at: dt.datetime  # when the registration took this status

    def particulars(self) -> dict[str, object]:
        """What a repeat of this filing must say again: everything but the purpose (times
        compare as instants, whatever their zone)."""
        return self.model_dump(exclude={"purpose"})


class FilingReceipt(_Frozen):
    """The registry's record of a credit code after a filing: the version it holds.

    A repeat of a filing gets the same receipt; a filing older than the record gets the
    record's (higher) version back.
    """

    credit_code: str
    version: int
    status: RegistrationStatus
    recorded_at: dt.datetime


class FilingRefused(RegistryUnavailable):
    """The registry would not record the filing (a conflicting one with the same version, a
    malformed or unauthorised request): sending the same filing again will not help by itself."""


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


@runtime_checkable
class RegistrationFilingClient(Protocol):
    """A registry that takes registrations filed to it (the market-supervision registry)."""

    async def file(self, filing: RegistrationFiling) -> FilingReceipt: ...


MarketSupervisionRegistry = RegistryClient[MarketQuery, MarketFacts]
FoodDrugRegistry = RegistryClient[FoodQuery, FoodFacts]
RealEstateRegistry = RegistryClient[PropertyQuery, PropertyFacts]
PopulationRegistry = RegistryClient[PopulationQuery, PopulationFacts]
