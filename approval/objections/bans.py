"""The Miaopi-side false-registration ban list, merged into the market registry's answer.

A revocation here bans the responsible person at once, before the provincial register knows:
the market answer's ``false_registration_banned_until`` becomes the later of the two dates, so
rule R10 (through the fact ``registries.market.false_registration_ban_active``) reads both and
the stored registry answer shows what the rules saw.
"""

from __future__ import annotations

from dataclasses import dataclass

from approval.database import Database
from approval.decisions.registries import Registries
from approval.supervision import repository
from connectors.base import MarketFacts, MarketQuery, MarketSupervisionRegistry


@dataclass(frozen=True, slots=True)
class MarketWithLocalBans:
    inner: MarketSupervisionRegistry
    db: Database

    async def lookup(self, query: MarketQuery) -> MarketFacts:
        facts = await self.inner.lookup(query)
        # one indexed read; no network, so it stays inside the registries' deadline
        with self.db.reading() as conn:
            local = repository.latest_ban_until(conn, query.operator_id_number)
        remote = facts.false_registration_banned_until
        if local is None or (remote is not None and remote >= local):
            return facts
        return facts.model_copy(update={"false_registration_banned_until": local})


def with_local_bans(registries: Registries, db: Database) -> Registries:
    return Registries(
        market=MarketWithLocalBans(registries.market, db),
        food=registries.food,
        realestate=registries.realestate,
    )
