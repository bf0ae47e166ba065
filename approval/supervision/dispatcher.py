"""The outbox dispatcher: a background task of ``serve`` or a process of its own.

Any number may run: each step claims rows with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (on
SQLite one writer at a time), and posts outside any transaction.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from approval.calendar import WorkingCalendar
from approval.catalog.scope import ScopeCatalog
from approval.clock import Clock
from approval.context import AppContext
from approval.database import Database
from approval.settings import Settings
from approval.signing import LicenceSigner
from approval.supervision import service
from approval.supervision.departments import DepartmentMap, load_department_map

logger = logging.getLogger("miaopi.dispatch")

ROUTE_PER_TRANSACTION = 10
ROUTE_PER_STEP = 500


@dataclass
class RunReport:
    routed: int = 0
    delivered: int = 0
    failed: int = 0
    escalated: int = 0


@dataclass
class Dispatcher:
    db: Database
    clock: Clock
    signer: LicenceSigner
    catalog: ScopeCatalog
    departments: DepartmentMap
    calendar: WorkingCalendar
    webhooks: dict[str, str]
    timeout_seconds: float = 5.0
    lease: dt.timedelta = service.LEASE
    # called after each post and before its result is stored (tests stop the worker here)
    after_post: Callable[[service.Delivery], None] | None = None
    _client: httpx.Client | None = field(default=None, repr=False)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        db: Database,
        clock: Clock,
        signer: LicenceSigner,
        catalog: ScopeCatalog,
    ) -> Dispatcher:
        return cls(
            db=db,
            clock=clock,
            signer=signer,
            catalog=catalog,
            departments=load_department_map(settings.rules_dir),
            calendar=WorkingCalendar.load(settings.rules_dir / "calendar" / "holidays.yaml"),
            webhooks=dict(settings.supervision_webhooks),
            lease=dt.timedelta(seconds=settings.dispatch_lease_seconds),
        )

    def client(self) -> httpx.Client:
        if self._client is None:
            timeout = httpx.Timeout(self.timeout_seconds, connect=2.0)
            self._client = httpx.Client(timeout=timeout, follow_redirects=False)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def run_once(self) -> RunReport:
        """Route new events, deliver due webhook copies, escalate overdue claims."""
        report = RunReport()
        # Small transactions with a pause between them: on SQLite the submit path waits for
        # the write lock, and a long routing transaction would show in its latency.
        while report.routed < ROUTE_PER_STEP:
            now = self.clock.now()
            with self.db.transaction() as conn:
                routed = service.route_outbox(
                    conn,
                    now,
                    self.catalog,
                    self.departments,
                    self.webhooks,
                    self.calendar,
                    limit=ROUTE_PER_TRANSACTION,
                )
            report.routed += routed
            if routed < ROUTE_PER_TRANSACTION:
                break
            time.sleep(0.002)
        while True:
            now = self.clock.now()
            with self.db.transaction() as conn:
                deliveries = service.lease_deliveries(
                    conn, now, self.webhooks, self.signer, lease=self.lease
                )
            if not deliveries:
                break
            for delivery in deliveries:
                if self._post(delivery):
                    report.delivered += 1
                else:
                    report.failed += 1
            if report.failed:
                break  # the failed ones wait for their retry time
        with self.db.transaction() as conn:
            report.escalated = service.escalate_overdue(conn, self.clock.today(), self.clock.now())
        return report

    def _post(self, delivery: service.Delivery) -> bool:
        error: str | None = None
        try:
            response = self.client().post(
                delivery.url, content=delivery.body, headers=delivery.headers
            )
            if not response.is_success:
                error = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        if self.after_post is not None:
            self.after_post(delivery)
        now = self.clock.now()
        with self.db.transaction() as conn:
            if error is None:
                service.record_received(conn, delivery, now)
            else:
                attempts = service.attempts_of(conn, delivery.copy_id)
                service.record_failure(conn, delivery, attempts, now, error)
                logger.warning(
                    "delivery %s to %s failed: %s", delivery.copy_id, delivery.department, error
                )
        return error is None


class DispatchTask:
    """The in-process dispatcher of ``serve``: one step every ``every_seconds``.

    Stopping waits for the step under way, so the database is never closed under it.
    """

    def __init__(self, dispatcher: Dispatcher, every_seconds: float) -> None:
        self._dispatcher = dispatcher
        self._every = every_seconds
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    await asyncio.wait_for(self._stop.wait(), timeout=self._every)
                    break
                except TimeoutError:
                    pass
                try:
                    await asyncio.to_thread(self._dispatcher.run_once)
                except Exception:  # the next step tries again; nothing is lost
                    logger.warning("dispatch step failed", exc_info=True)
        finally:
            self._dispatcher.close()

    async def stop(self) -> None:
        self._stop.set()
        await self._task


def start_dispatch(context: AppContext) -> DispatchTask | None:
    """Start the in-process dispatcher unless it is switched off (``miaopi dispatch`` runs)."""
    every = context.settings.dispatch_interval_seconds
    if every <= 0:
        return None
    dispatcher = Dispatcher.from_settings(
        context.settings, context.db, context.clock, context.signer, context.reference.scope
    )
    return DispatchTask(dispatcher, every)
