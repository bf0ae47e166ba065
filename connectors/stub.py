"""In-process stub registries answering from the synthetic seed files (:mod:`connectors.world`).

They behave like the real registries towards their callers: each answer takes ``latency_ms``,
an unavailable stub raises :class:`RegistryUnavailable` after that delay, and ``error_rate``
injects seeded intermittent failures. The seed folder is loaded once per process and shared
(:mod:`connectors.seed_world`); what a registry answers from it is its spec's ``stub_answer``.
A registry that takes filings (the market registry) keeps what was filed to it in memory, per
stub, and answers later look-ups with it too (:mod:`connectors.filings`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import uuid
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from connectors import exchanges
from connectors.base import (
    FilingReceipt,
    FilingRefused,
    RegistrationFiling,
    Registry,
    RegistryQuery,
    RegistryUnavailable,
)
from connectors.filings import FiledRegistrations, china_today
from connectors.registries import REGISTRIES, RegistrySpec, RegistryTable
from connectors.seed_world import SeedWorld, load_world
from connectors.signing import sha256_hex
from connectors.world import DEFAULT_SEED_DIR

__all__ = ["SeedWorld", "StubRegistry", "build_stub_registries", "load_world"]

_Query = TypeVar("_Query", bound=RegistryQuery)
_Facts = TypeVar("_Facts", bound=BaseModel)


class StubRegistry(Generic[_Query, _Facts]):
    """The stub of one registry: its spec's answer from the seed world, as a registry gives it."""

    def __init__(
        self,
        spec: RegistrySpec[_Query, _Facts],
        data_dir: Path | str = DEFAULT_SEED_DIR,
        *,
        latency_ms: float = 0.0,
        available: bool = True,
        error_rate: float = 0.0,
        seed: int = 0,
        today: Callable[[], dt.date] = china_today,
    ) -> None:
        if latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        if not 0.0 <= error_rate <= 1.0:
            raise ValueError("error_rate must be between 0 and 1")
        self.spec = spec
        self.registry = spec.registry
        self.world = load_world(data_dir)
        self.latency_ms = latency_ms
        self.available = available
        self.error_rate = error_rate
        self._faults = random.Random(seed)
        self.today = today
        # what was filed to this registry (one that takes filings), kept while the stub lives
        self.filings = FiledRegistrations()

    async def _respond(self) -> None:
        """Spend the latency, then fail the way the configuration says."""
        if self.latency_ms > 0:
            await asyncio.sleep(self.latency_ms / 1000)
        if not self.available:
            raise RegistryUnavailable(self.registry, "registry is not available (stub)")
        if self.error_rate > 0 and self._faults.random() < self.error_rate:
            raise RegistryUnavailable(self.registry, "injected fault (stub)")

    async def lookup(self, query: _Query) -> _Facts:
        """Answer as a registry does, leaving the evidence of the exchange when it is kept."""
        exchange = exchanges.start(
            self.registry,
            "lookup",
            query.purpose,
            message_id=uuid.uuid4().hex,
            request_hash=sha256_hex(query.model_dump_json().encode())
            if exchanges.is_recording()
            else "",
        )
        try:
            await self._respond()
        except RegistryUnavailable:
            exchange.finish("unavailable")
            raise
        facts = self.spec.stub_answer(self.world, query)
        if self.spec.filing is not None:
            facts = self.spec.filing.stub_answer(facts, query, self.filings, self.today())
        exchange.finish(
            exchanges.OK,
            response_hash=sha256_hex(facts.model_dump_json().encode())
            if exchanges.is_recording()
            else None,
        )
        return facts

    async def file(self, filing: RegistrationFiling) -> FilingReceipt:
        """Record a registration, as the registry does: idempotent by credit code and version."""
        if self.spec.filing is None:
            raise FilingRefused(self.registry, "this registry takes no filings")
        exchange = exchanges.start(
            self.registry,
            "file",
            filing.purpose,
            message_id=uuid.uuid4().hex,
            request_hash=sha256_hex(filing.model_dump_json().encode())
            if exchanges.is_recording()
            else "",
        )
        try:
            await self._respond()
            receipt = self.filings.record(filing)
        except FilingRefused:
            exchange.finish("http_4xx")
            raise
        except RegistryUnavailable:
            exchange.finish("unavailable")
            raise
        exchange.finish(
            exchanges.OK,
            response_hash=sha256_hex(receipt.model_dump_json().encode())
            if exchanges.is_recording()
            else None,
        )
        return receipt


def build_stub_registries(
    data_dir: Path | str = DEFAULT_SEED_DIR,
    latency_ms: float = 0.0,
    unavailable: AbstractSet[str] = frozenset(),
    *,
    error_rate: float = 0.0,
    seed: int = 0,
    table: RegistryTable = REGISTRIES,
    today: Callable[[], dt.date] = china_today,
) -> dict[Registry, StubRegistry[Any, Any]]:
    """One stub per registry of ``table`` on one seed folder; ``unavailable`` ones always raise.

    ``unavailable`` holds :class:`Registry` members or their values (``"market"`` …);
    ``today`` is the registries' calendar (what "less than a year ago" is measured from).
    """
    unknown = set(unavailable) - table.names()
    if unknown:
        raise ValueError(f"unknown registries: {', '.join(sorted(unknown))}")
    return {
        spec.registry: StubRegistry(
            spec,
            data_dir,
            latency_ms=latency_ms,
            available=spec.registry not in unavailable,
            error_rate=error_rate,
            seed=seed + offset,
            today=today,
        )
        for offset, spec in enumerate(table)
    }
