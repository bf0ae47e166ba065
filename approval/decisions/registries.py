"""Ask the three registries at once, under one deadline; a silent registry is *unavailable*."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from connectors.base import (
    FoodDrugRegistry,
    FoodFacts,
    FoodQuery,
    MarketFacts,
    MarketQuery,
    MarketSupervisionRegistry,
    PropertyFacts,
    PropertyQuery,
    QueryPurpose,
    RealEstateRegistry,
    Registry,
    RegistryUnavailable,
)

_T = TypeVar("_T")

LEGAL_BASIS = {
    Registry.MARKET: "《市场主体登记管理条例》第十六条、第十九条",
    Registry.FOOD: "《市场主体登记管理条例》第十四条",
    Registry.REALESTATE: "《不动产登记暂行条例》第二十五条、第二十八条",
}


@dataclass(frozen=True, slots=True)
class Registries:
    market: MarketSupervisionRegistry
    food: FoodDrugRegistry
    realestate: RealEstateRegistry


@dataclass(frozen=True, slots=True)
class RegistryAnswer:
    registry: Registry
    facts: BaseModel | None  # None: unavailable, or nothing to ask
    detail: str | None
    latency_ms: int

    @property
    def available(self) -> bool:
        return self.detail is None

    def stored(self) -> dict[str, Any] | None:
        return self.facts.model_dump(mode="json") if self.facts is not None else None


@dataclass(frozen=True, slots=True)
class RegistryAnswers:
    market: MarketFacts | None
    food: FoodFacts | None
    realestate: PropertyFacts | None
    answers: tuple[RegistryAnswer, ...]

    @property
    def unavailable(self) -> list[Registry]:
        return [a.registry for a in self.answers if not a.available]


async def _timed(registry: Registry, call: Awaitable[BaseModel] | None) -> RegistryAnswer:
    started = time.perf_counter()
    try:
        facts = await call if call is not None else None
        detail = None
    except RegistryUnavailable as exc:
        facts, detail = None, exc.reason[:200]
    return RegistryAnswer(registry, facts, detail, round((time.perf_counter() - started) * 1000))


async def ask_registries(
    registries: Registries,
    case_id: str,
    operator_id_number: str,
    authority_code: str,
    proposed_name: str | None,
    property_certificate: str | None,
    deadline_seconds: float,
) -> RegistryAnswers:
    def purpose(registry: Registry) -> QueryPurpose:
        return QueryPurpose(case_id=case_id, legal_basis=LEGAL_BASIS[registry])

    calls: dict[Registry, Awaitable[Any] | None] = {
        Registry.MARKET: registries.market.lookup(
            MarketQuery(
                purpose=purpose(Registry.MARKET),
                operator_id_number=operator_id_number,
                authority_code=authority_code,
                proposed_name=proposed_name,
            )
        ),
        Registry.FOOD: registries.food.lookup(
            FoodQuery(purpose=purpose(Registry.FOOD), operator_id_number=operator_id_number)
        ),
        Registry.REALESTATE: registries.realestate.lookup(
            PropertyQuery(
                purpose=purpose(Registry.REALESTATE), certificate_number=property_certificate
            )
        )
        if property_certificate
        else None,
    }
    tasks = {r: asyncio.ensure_future(_timed(r, call)) for r, call in calls.items()}
    done, pending = await asyncio.wait(tasks.values(), timeout=deadline_seconds)
    for task in pending:
        task.cancel()
    deadline_ms = round(deadline_seconds * 1000)
    answers = tuple(
        task.result()
        if task in done
        else RegistryAnswer(registry, None, "no answer within the deadline", deadline_ms)
        for registry, task in tasks.items()
    )
    by_registry = {a.registry: a.facts for a in answers}
    return RegistryAnswers(
        market=_typed(by_registry[Registry.MARKET], MarketFacts),
        food=_typed(by_registry[Registry.FOOD], FoodFacts),
        realestate=_typed(by_registry[Registry.REALESTATE], PropertyFacts),
        answers=answers,
    )


def _typed(value: object, cls: type[_T]) -> _T | None:
    return value if isinstance(value, cls) else None
