"""Ask every registry of the table at once, under one deadline; a silent one is *unavailable*."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from connectors.base import Registry, RegistryUnavailable
from connectors.registries import (
    REGISTRIES,
    CaseParticulars,
    Registries,
    RegistrySpec,
    RegistryTable,
)

__all__ = ["RegistryAnswer", "RegistryAnswers", "Registries", "ask_registries"]

_Facts = TypeVar("_Facts", bound=BaseModel)


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

    @classmethod
    def from_stored(
        cls,
        registry: str,
        available: bool,
        answer: Any,
        detail: str | None,
        latency_ms: int = 0,
        table: RegistryTable = REGISTRIES,
    ) -> RegistryAnswer:
        """The answer again from its stored row (the inverse of :meth:`stored`), its facts
        rebuilt as the registry's spec types them. KeyError for a registry not in the table,
        pydantic's ValidationError for an answer that no longer fits its facts model."""
        spec = table[registry]
        facts = spec.facts_type.model_validate(answer) if answer is not None else None
        if not available:
            # an unavailable registry answered nothing, whatever the row holds
            return cls(spec.registry, None, detail or "unavailable", latency_ms)
        return cls(spec.registry, facts, None, latency_ms)


@dataclass(frozen=True, slots=True)
class RegistryAnswers:
    """One answer per registry of the table, in its order."""

    answers: tuple[RegistryAnswer, ...]

    def facts(self, spec: RegistrySpec[Any, _Facts]) -> _Facts | None:
        """What ``spec``'s registry answered; None when it did not, or was not asked."""
        for answer in self.answers:
            if answer.registry == spec.registry and isinstance(answer.facts, spec.facts_type):
                return answer.facts
        return None

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
    family_id_numbers: tuple[str, ...] = (),
) -> RegistryAnswers:
    case = CaseParticulars(
        operator_id_number=operator_id_number,
        authority_code=authority_code,
        proposed_name=proposed_name,
        property_certificate=property_certificate,
        family_id_numbers=family_id_numbers,
    )
    calls: dict[Registry, Awaitable[Any] | None] = {}
    for spec in registries.table:
        query = spec.query(spec.purpose(case_id), case)
        calls[spec.registry] = registries.client(spec).lookup(query) if query is not None else None
    tasks = {r: asyncio.ensure_future(_timed(r, call)) for r, call in calls.items()}
    done, pending = await asyncio.wait(tasks.values(), timeout=deadline_seconds)
    for task in pending:
        task.cancel()
    deadline_ms = round(deadline_seconds * 1000)
    return RegistryAnswers(
        tuple(
            task.result()
            if task in done
            else RegistryAnswer(registry, None, "no answer within the deadline", deadline_ms)
            for registry, task in tasks.items()
        )
    )
