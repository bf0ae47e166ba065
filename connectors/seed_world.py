"""The synthetic seed files as read-only indexes, and what each registry answers from them.

The in-process stubs (:mod:`connectors.stub`) and the stub servers (:mod:`connectors.stub_server`)
answer from the same world; the seed folder is loaded once per process and shared.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import unicodedata
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from connectors.base import (
    ExistingEntity,
    FoodFacts,
    FoodPermit,
    FoodQuery,
    MarketFacts,
    MarketQuery,
    PersonRecord,
    PersonStatus,
    PopulationFacts,
    PopulationQuery,
    PropertyFacts,
    PropertyQuery,
)
from connectors.names import split_name, trades_similar
from connectors.world import DEFAULT_SEED_DIR, ban_end

# A deregistered (注销) business no longer holds its name; the cooling-off period is not a
# fact this registry answers.
_NAME_HOLDING_STATUSES = frozenset(("存续", "吊销未注销", "经营异常"))


def id_key(id_number: str) -> str:
    return id_number.strip().upper()


def certificate_key(certificate_number: str) -> str:
    """Certificates are typed with full-width or half-width brackets and stray spaces."""
    return "".join(unicodedata.normalize("NFKC", certificate_number).split())


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _BusinessRow(_Row):
    credit_code: str
    name: str | None
    status: str
    operator_id_number: str
    authority_code: str


class _PersonRow(_Row):
    id_number: str
    name: str
    sex: str
    birth_date: dt.date
    status: PersonStatus
    document_reported_lost: bool


class _BanRow(_Row):
    id_number: str
    revoked_on: dt.date


class _ListsFile(_Row):
    serious_dishonesty: list[str]
    judgment_defaulter: list[str]
    false_registration_bans: list[_BanRow]
    impersonation_watch: list[str]


class _PermitRow(_Row):
    operator_id_number: str
    permit_number: str
    kind: str
    valid_until: dt.date


class _FoodFile(_Row):
    permits: list[_PermitRow]
    prepackaged_filings: list[str]


@dataclass(frozen=True)
class SeedWorld:
    """The seed files as read-only indexes, shared by every stub on the same folder."""

    people: Mapping[str, PersonRecord]
    properties: Mapping[str, PropertyFacts]
    entities_by_operator: Mapping[str, tuple[ExistingEntity, ...]]
    names_by_authority: Mapping[str, tuple[str, ...]]
    trades_by_authority: Mapping[str, tuple[str, ...]]
    # (authority, 字号, 行业) → the name registered with them (比对规则: one per key)
    names_by_key: Mapping[tuple[str, str, str], str]
    serious_dishonesty: frozenset[str]
    judgment_defaulters: frozenset[str]
    impersonation_watch: frozenset[str]
    banned_until: Mapping[str, dt.date]
    permits_by_operator: Mapping[str, tuple[FoodPermit, ...]]
    prepackaged_filings: frozenset[str]

    def identical_name(self, authority_code: str, name: str) -> str | None:
        """The name registered at the authority that ``name`` is identical to, if any."""
        return self.names_by_key.get((authority_code, *split_name(name).key))

    def identical_name_exists(self, authority_code: str, name: str) -> bool:
        return self.identical_name(authority_code, name) is not None

    def similar_name_exists(self, authority_code: str, name: str) -> bool:
        """As :func:`names_similar` against every name there, on 字号 split once at load."""
        if self.identical_name_exists(authority_code, name):
            return False
        trade = split_name(name).trade
        return any(
            trades_similar(trade, existing)
            for existing in self.trades_by_authority.get(authority_code, ())
        )


def _read(data_dir: Path, file_name: str) -> Any:
    return json.loads((data_dir / file_name).read_text(encoding="utf-8"))


def _read_world(data_dir: Path) -> SeedWorld:
    properties = {
        certificate_key(row["certificate_number"]): PropertyFacts.model_validate(
            {**row, "found": True}
        )
        for row in _read(data_dir, "properties.json")
    }
    people = {
        id_key(row.id_number): PersonRecord(
            id_number=row.id_number,
            found=True,
            name=row.name,
            status=row.status,
            document_reported_lost=row.document_reported_lost,
        )
        for row in map(_PersonRow.model_validate, _read(data_dir, "people.json"))
    }
    businesses = [_BusinessRow.model_validate(row) for row in _read(data_dir, "businesses.json")]
    lists = _ListsFile.model_validate(_read(data_dir, "lists.json"))
    food = _FoodFile.model_validate(_read(data_dir, "food.json"))

    entities: defaultdict[str, list[ExistingEntity]] = defaultdict(list)
    names: defaultdict[str, list[str]] = defaultdict(list)
    by_key: dict[tuple[str, str, str], str] = {}
    for b in businesses:
        entities[id_key(b.operator_id_number)].append(
            ExistingEntity(credit_code=b.credit_code, name=b.name, status=b.status)
        )
        if b.name is not None and b.status in _NAME_HOLDING_STATUSES:
            names[b.authority_code].append(b.name)
            by_key.setdefault((b.authority_code, *split_name(b.name).key), b.name)

    banned_until: dict[str, dt.date] = {}
    for ban in lists.false_registration_bans:
        key, until = id_key(ban.id_number), ban_end(ban.revoked_on)
        banned_until[key] = max(until, banned_until.get(key, until))

    permits: defaultdict[str, list[FoodPermit]] = defaultdict(list)
    for p in food.permits:
        permits[id_key(p.operator_id_number)].append(
            FoodPermit(permit_number=p.permit_number, kind=p.kind, valid_until=p.valid_until)
        )

    return SeedWorld(
        people=people,
        properties=properties,
        entities_by_operator={k: tuple(v) for k, v in entities.items()},
        names_by_authority={k: tuple(v) for k, v in names.items()},
        trades_by_authority={
            k: tuple(t for n in v if (t := split_name(n).trade)) for k, v in names.items()
        },
        names_by_key=by_key,
        serious_dishonesty=frozenset(map(id_key, lists.serious_dishonesty)),
        judgment_defaulters=frozenset(map(id_key, lists.judgment_defaulter)),
        impersonation_watch=frozenset(map(id_key, lists.impersonation_watch)),
        banned_until=banned_until,
        permits_by_operator={k: tuple(v) for k, v in permits.items()},
        prepackaged_filings=frozenset(map(id_key, food.prepackaged_filings)),
    )


@functools.lru_cache(maxsize=8)
def _cached_world(resolved_dir: Path) -> SeedWorld:
    return _read_world(resolved_dir)


def load_world(data_dir: Path | str = DEFAULT_SEED_DIR) -> SeedWorld:
    """The indexed seed world for ``data_dir``, read once per folder and process."""
    return _cached_world(Path(data_dir).resolve())


def market_facts(world: SeedWorld, query: MarketQuery) -> MarketFacts:
    """What the market-supervision system answers about this operator and name."""
    operator = id_key(query.operator_id_number)
    name = query.proposed_name
    authority = query.authority_code
    identical_to = world.identical_name(authority, name) if name is not None else None
    return MarketFacts(
        identical_name_exists=identical_to is not None,
        similar_name_exists=name is not None and world.similar_name_exists(authority, name),
        serious_dishonesty=operator in world.serious_dishonesty,
        judgment_defaulter=operator in world.judgment_defaulters,
        false_registration_banned_until=world.banned_until.get(operator),
        impersonation_watch=operator in world.impersonation_watch,
        existing_entities=world.entities_by_operator.get(operator, ()),
        identical_to=identical_to,
    )


def food_facts(world: SeedWorld, query: FoodQuery) -> FoodFacts:
    operator = id_key(query.operator_id_number)
    return FoodFacts(
        permits=world.permits_by_operator.get(operator, ()),
        prepackaged_filing_exists=operator in world.prepackaged_filings,
    )


def property_facts(world: SeedWorld, query: PropertyQuery) -> PropertyFacts:
    facts = world.properties.get(certificate_key(query.certificate_number))
    if facts is None:
        return PropertyFacts(found=False, certificate_number=query.certificate_number)
    return facts


def population_facts(world: SeedWorld, query: PopulationQuery) -> PopulationFacts:
    """The population register's record of each ID number asked, in the order asked."""
    return PopulationFacts(
        people=tuple(
            world.people.get(id_key(id_number)) or PersonRecord(id_number=id_number, found=False)
            for id_number in query.id_numbers
        )
    )
