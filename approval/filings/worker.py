"""The filing worker: sends the outbox's registrations to the market-supervision registry.

It claims due rows under leases (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), files each with the
registry outside any transaction, and records the receipt, or the next attempt with backoff.
Everything it knows is in the table, so a restarted or second worker carries on; a filing is
marked filed only on the registry's receipt, and sent again until then (the registry keeps
the highest version per credit code, so a resend is harmless). The versions of one credit code
go in order; a failure holds back the later ones until the next round.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from approval.clock import Clock
from approval.context import AppContext
from approval.database import Database
from approval.filings import repository
from approval.filings.service import RetryPolicy, filing_of, outcome_of
from approval.verification.service import store_exchanges
from connectors.base import (
    FilingReceipt,
    FilingRefused,
    RegistrationFilingClient,
    RegistryUnavailable,
)
from connectors.exchanges import recording

logger = logging.getLogger("miaopi.filing")

BATCH = 20


@dataclass
class FilingReport:
    claimed: int = 0
    filed: int = 0
    failed: int = 0


class _LostClaim(Exception):
    """Another worker took the row over (our lease ran out): leave it to them."""


@dataclass
class FilingWorker:
    db: Database
    clock: Clock
    client: RegistrationFilingClient
    retry: RetryPolicy
    lease: dt.timedelta = dt.timedelta(seconds=60)
    batch: int = BATCH
    rng: random.Random = field(default_factory=random.Random)

    async def run_once(self, now: dt.datetime | None = None) -> FilingReport:
        """Claim the due filings and send them; ``now`` stands in for the clock (tests)."""
        at = now or self.clock.now()
        token = uuid.uuid4().hex

        def claim() -> list[Any]:
            with self.db.transaction() as conn:
                return repository.claim_due(conn, at, at + self.lease, token, self.batch)

        claimed = await asyncio.to_thread(claim)
        report = FilingReport(claimed=len(claimed))
        by_code: dict[str, list[Any]] = {}
        for row in claimed:
            by_code.setdefault(row.credit_code, []).append(row)
        results = await asyncio.gather(
            *(self._file_in_order(rows, token, at) for rows in by_code.values()),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                logger.error("filing round failed: %s", type(result).__name__)
                continue
            filed, failed = result
            report.filed += filed
            report.failed += failed
        return report

    async def _file_in_order(
        self, rows: Sequence[Any], token: str, now: dt.datetime
    ) -> tuple[int, int]:
        rows = sorted(rows, key=lambda r: r.version)
        filed = 0
        for index, row in enumerate(rows):
            try:
                retry = await self._file(row, token, now)
            except _LostClaim:
                return filed, 0  # another worker has these rows now
            if retry is None:
                filed += 1
                continue
            delay, reason = retry
            later = now + dt.timedelta(seconds=delay)
            await asyncio.to_thread(self._reschedule, rows[index:], token, later, reason)
            return filed, 1
        return filed, 0

    def _reschedule(self, rows: Sequence[Any], token: str, at: dt.datetime, reason: str) -> None:
        """The first row failed; the later versions of its credit code wait with it."""
        first, *held_back = rows
        with self.db.transaction() as conn:
            repository.reschedule(conn, first.id, token, at, reason)
            for waiting in held_back:
                repository.reschedule(conn, waiting.id, token, at, f"after v{first.version}")

    async def _file(self, row: Any, token: str, now: dt.datetime) -> tuple[float, str] | None:
        """Send one filing and store its receipt (None); or the delay and reason to try again.
        Raises _LostClaim if another worker's claim replaced ours meanwhile."""
        filing = filing_of(row)
        receipt: FilingReceipt | None = None
        retry: tuple[float, str] | None = None
        with recording() as log:
            try:
                receipt = await self.client.file(filing)
            except FilingRefused as exc:
                logger.error(
                    "the registry refused filing %s v%d: %s",
                    row.credit_code,
                    row.version,
                    exc.reason,
                )
                retry = (self.retry.refused_delay(self.rng), f"refused: {exc.reason}")
            except RegistryUnavailable as exc:
                retry = (self.retry.delay(row.attempts, self.rng), exc.reason)
        outcome = outcome_of(filing, receipt) if receipt is not None else None
        if receipt is not None and outcome is None:
            retry = (
                self.retry.delay(row.attempts, self.rng),
                f"the receipt does not acknowledge version {row.version}",
            )

        def store() -> None:
            with self.db.transaction() as conn:
                if outcome is not None and receipt is not None:
                    answer = receipt.model_dump(mode="json")
                    if not repository.mark_filed(conn, row.id, token, now, outcome.value, answer):
                        raise _LostClaim()
                store_exchanges(conn, log, row.application_id, row.operator_id_number, now)

        await asyncio.to_thread(store)
        return None if outcome is not None else retry


@dataclass
class FilingRunner:
    """The worker as run inside ``serve`` (lifespan): started, then stopped cleanly."""

    worker: FilingWorker
    every_seconds: float
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    def start(self) -> FilingRunner:
        self.task = asyncio.create_task(self._run(), name="miaopi-filing")
        return self

    async def _run(self) -> None:
        while not self.stop_event.is_set():
            try:
                report = await self.worker.run_once()
            except Exception as exc:  # the database may be busy or down: next round
                logger.error("filing round failed: %s", type(exc).__name__)
                report = FilingReport()
            if report.claimed < self.worker.batch or report.failed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop_event.wait(), self.every_seconds)

    async def stop(self) -> None:
        """Stop after the filing under way: a receipt is stored, or the row is sent again."""
        self.stop_event.set()
        if self.task is not None:
            await self.task


def filing_worker(ctx: AppContext) -> FilingWorker | None:
    """The worker of this context, or None when its market registry takes no filings."""
    if ctx.filer is None:
        return None
    settings = ctx.settings
    return FilingWorker(
        db=ctx.db,
        clock=ctx.clock,
        client=ctx.filer,
        retry=RetryPolicy(settings.filing_backoff_seconds, settings.filing_backoff_max_seconds),
        lease=dt.timedelta(seconds=settings.filing_lease_seconds),
    )


def start_filing(ctx: AppContext) -> FilingRunner | None:
    """Start the worker inside ``serve`` unless it is switched off (``miaopi worker`` runs it).

    On SQLite, the one process that serves a database first frees the claims a killed
    predecessor left, instead of waiting out their leases."""
    every = ctx.settings.filing_interval_seconds
    worker = filing_worker(ctx)
    if every <= 0 or worker is None:
        return None
    if ctx.db.engine.dialect.name == "sqlite":
        with ctx.db.transaction() as conn:
            released = repository.release_claims(conn)
        if released:
            logger.info("released %d filing claims left by a previous process", released)
    return FilingRunner(worker, every).start()
