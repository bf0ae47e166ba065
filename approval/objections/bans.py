"""The Miaopi-side false-registration ban list, merged into the market registry's answer.

A revocation here bans the responsible person at once, before the provincial register knows:
the market answer's ``false_registration_banned_until`` becomes the later of the two dates, so
rule R10 (through the fact ``registries.market.false_registration_ban_active``) reads both and
the stored registry answer shows what the rules saw.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass

from approval.database import Database
from approval.supervision import repository
from connectors.base import MarketFacts, MarketQuery, MarketSupervisionRegistry
from connectors.registries import MARKET, Registries


@dataclass(frozen=True, slots=True)
class MarketWithLocalBans:
    inner: MarketSupervisionRegistry
    db: Database

    async def lookup(self, query: MarketQuery) -> MarketFacts:
        # the local read runs on a worker thread, beside the registry's answer: the event loop
        # never waits on the database, and the read costs no time inside the deadline
        facts, local = await asyncio.gather(
            self.inner.lookup(query), asyncio.to_thread(self._banned_until, query)
        )
        remote = facts.false_registration_banned_until
        if local is None or (remote is not None and remote >= local):
            return facts
        return facts.model_copy(update={"false_registration_banned_until": local})

    def _banned_until(self, query: MarketQuery) -> dt.date | None:
        with self.db.reading() as conn:
            return repository.latest_ban_until(conn, query.operator_id_number)


def with_local_bans(registries: Registries, db: Database) -> Registries:
    return registries.replace(MARKET, MarketWithLocalBans(registries.client(MARKET), db))
