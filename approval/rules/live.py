"""The running ruleset of one process, kept equal to the active version in the database.

Each process polls the active (and shadow) version ids every few seconds: one small query off
the request path. When the active version changes, the new one is compiled (under its own
versioned durable_rules name) and swapped into the context by one attribute assignment. The
submit path takes ``ctx.ruleset`` once when an application arrives, so an application in flight
finishes on the version it started with; the replaced ruleset is freed only after a grace
period longer than any request.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
import time
from typing import Any

from sqlalchemy.exc import IntegrityError

from approval.context import AppContext
from approval.decisions.determination import RulesInForce, ScheduledRules
from approval.decisions.service import decide
from approval.engine.ruleset import Ruleset
from approval.rules import repository, service
from approval.rules.shadow import Observed

logger = logging.getLogger("miaopi.rules")


class LiveRules:
    def __init__(self, context: AppContext, grace_seconds: float = 30.0) -> None:
        self.context = context
        self.grace_seconds = grace_seconds
        self._retired: list[tuple[float, Ruleset]] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        """Store the rules on disk as the active version if none is, then follow the database."""
        ctx = self.context
        try:
            with ctx.db.transaction() as conn:
                service.bootstrap(conn, ctx.settings.rules_dir, ctx.clock.now())
        except IntegrityError:
            pass  # another process stored it first, at the same start: follow that one
        self.poll_once()

    def poll_once(self) -> bool:
        """Follow the database once; True when the running ruleset was swapped."""
        with self._lock:
            ctx = self.context
            now = ctx.clock.now()
            with ctx.db.reading() as conn:
                upcoming = service.effective_moment(conn)
            if upcoming is not None and upcoming[1] <= now:
                with ctx.db.transaction() as conn:
                    service.activate_due(conn, now)
                upcoming = None
            with ctx.db.reading() as conn:
                active, shadow = repository.live_versions(conn)
            swapped = False
            if active is not None and active != ctx.ruleset.version:
                self._swap(active)
                swapped = True
            self._follow_schedule(upcoming)
            self._follow_shadow(shadow)
            self._record_shadow()
            self._free_retired(time.monotonic())
            return swapped

    def _load(self, version: str) -> RulesInForce:
        with self.context.db.reading() as conn:
            files = dict(service.stored_files(conn, version)[1])
        return service.load_files(files)

    def _swap(self, version: str) -> None:
        ctx = self.context
        upcoming = ctx.upcoming
        if upcoming is not None and upcoming.rules.ruleset.version == version:
            rules, ctx.upcoming = upcoming.rules, None  # compiled ahead of its moment
        else:
            rules = self._load(version)
        old = ctx.ruleset
        ctx.reference = rules.reference
        # one assignment: the next application decides on the new version
        ctx.ruleset = rules.ruleset
        self._retired.append((time.monotonic(), old))
        logger.info("ruleset %s is now active (was %s)", version[:12], old.version[:12])

    def _follow_schedule(self, upcoming: tuple[str, dt.datetime] | None) -> None:
        """Compile a scheduled version ahead: from its moment the context decides with it."""
        ctx = self.context
        current = ctx.upcoming
        if current is not None and upcoming is not None:
            if (current.rules.ruleset.version, current.effective_from) == upcoming:
                return
        if current is not None:
            ctx.upcoming = None
            self._retired.append((time.monotonic(), current.rules.ruleset))
        if upcoming is not None:
            version, moment = upcoming
            ctx.upcoming = ScheduledRules(moment, self._load(version))

    def _follow_shadow(self, shadow: str | None) -> None:
        queue = self.context.shadow
        current = queue.candidate
        if (current.version if current else None) == shadow:
            return
        queue.candidate = self._load(shadow).ruleset if shadow else None
        if current is not None:
            self._retired.append((time.monotonic(), current))

    def _record_shadow(self) -> None:
        queue = self.context.shadow
        candidate = queue.candidate
        observed = queue.drain()
        if candidate is None or not observed:
            return
        rows = [row for item in observed if (row := _disagreement(candidate, item, self.context))]
        if rows:
            with self.context.db.transaction() as conn:
                repository.insert_disagreements(conn, rows)

    def _free_retired(self, now: float) -> None:
        keep = []
        for retired_at, ruleset in self._retired:
            if now - retired_at >= self.grace_seconds:
                ruleset.close()
            else:
                keep.append((retired_at, ruleset))
        self._retired = keep

    async def run(self, every_seconds: float) -> None:
        while True:
            await asyncio.sleep(every_seconds)
            try:
                await asyncio.to_thread(self.poll_once)
            except Exception:  # the database may be busy: try again next time
                logger.warning("ruleset poll failed", exc_info=True)

    def close(self) -> None:
        with self._lock:
            for _, ruleset in self._retired:
                ruleset.close()
            self._retired = []
            if self.context.shadow.candidate is not None:
                self.context.shadow.candidate.close()
                self.context.shadow.candidate = None
            if self.context.upcoming is not None:
                self.context.upcoming.rules.ruleset.close()
                self.context.upcoming = None


def _disagreement(candidate: Ruleset, item: Observed, ctx: AppContext) -> dict[str, Any] | None:
    decision = decide(candidate, item.facts)
    if decision.verdict.value == item.verdict:
        return None
    return {
        "application_id": item.application_id,
        "active_version": item.version,
        "candidate_version": candidate.version,
        "active_outcome": item.verdict,
        "candidate_outcome": decision.verdict.value,
        "active_rules": list(item.fired),
        "candidate_rules": [r.id for r in decision.fired],
        "recorded_at": ctx.clock.now(),
    }
