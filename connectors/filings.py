"""What a stub market-supervision registry keeps of the registrations filed to it.

The in-process stub and the stub server hold one :class:`FiledRegistrations` each, in memory:
the latest version filed per credit code. Their market answers add what was filed to what
the seed world says (:func:`market_facts_with_filings`): a current registration holds its name
(identical and similar as in :mod:`connectors.names`), a revoked one frees it, recently, for a
year (企业名称登记管理规定 Art.17), and every filed registration is one of its operator's
existing entities.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass

from connectors.base import (
    ExistingEntity,
    FilingReceipt,
    FilingRefused,
    MarketFacts,
    MarketQuery,
    RegistrationFiling,
    RegistrationStatus,
    Registry,
)
from connectors.names import split_name, trades_similar

CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
# what the register shows of a filed registration's status (登记状态)
ENTITY_STATUS = {RegistrationStatus.CURRENT: "存续", RegistrationStatus.REVOKED: "撤销"}


def china_now() -> dt.datetime:
    return dt.datetime.now(CHINA_TZ)


def china_today() -> dt.date:
    return china_now().date()


def one_year_after(day: dt.date) -> dt.date:
    """The same day a year later; from 29 February, 28 February (民法典 Art.203)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


@dataclass(frozen=True, slots=True)
class FiledRegistration:
    """The registry's record of one credit code: the latest filing and when it was recorded."""

    filing: RegistrationFiling
    recorded_at: dt.datetime

    @property
    def freed_on(self) -> dt.date | None:
        """The day the name was freed (the revocation's), None while the registration stands."""
        if self.filing.status == RegistrationStatus.CURRENT:
            return None
        return self.filing.changed_at.astimezone(CHINA_TZ).date()

    def receipt(self) -> FilingReceipt:
        return FilingReceipt(
            credit_code=self.filing.credit_code,
            version=self.filing.version,
            status=self.filing.status,
            recorded_at=self.recorded_at,
        )

    def entity(self) -> ExistingEntity:
        return ExistingEntity(
            credit_code=self.filing.credit_code,
            name=self.filing.name,
            status=ENTITY_STATUS[self.filing.status],
        )


class FiledRegistrations:
    """The filings one stub registry received, the highest version per credit code.

    Thread-safe: the stub server answers on its own thread while tests read it.
    """

    def __init__(self, now: Callable[[], dt.datetime] = china_now) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._by_code: dict[str, FiledRegistration] = {}

    def record(self, filing: RegistrationFiling) -> FilingReceipt:
        """Keep ``filing`` unless the record is newer; a repeat changes nothing and gets the
        same receipt. The same version with other particulars is refused (FilingRefused)."""
        with self._lock:
            held = self._by_code.get(filing.credit_code)
            if held is None or filing.version > held.filing.version:
                held = FiledRegistration(filing, self._now())
                self._by_code[filing.credit_code] = held
            elif (
                filing.version == held.filing.version
                and filing.particulars() != held.filing.particulars()
            ):
                raise FilingRefused(
                    Registry.MARKET,
                    f"version {filing.version} of {filing.credit_code} was filed with "
                    "other particulars",
                )
            return held.receipt()

    def get(self, credit_code: str) -> FiledRegistration | None:
        with self._lock:
            return self._by_code.get(credit_code)

    def all(self) -> list[FiledRegistration]:
        with self._lock:
            return list(self._by_code.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_code)

    def at_authority(self, authority_code: str) -> list[FiledRegistration]:
        return [r for r in self.all() if r.filing.authority_code == authority_code]

    def of_operator(self, id_key: str) -> list[FiledRegistration]:
        return [r for r in self.all() if r.filing.operator_id_number.strip().upper() == id_key]


def market_facts_with_filings(
    facts: MarketFacts, query: MarketQuery, filed: FiledRegistrations, today: dt.date
) -> MarketFacts:
    """The seed world's answer with what was filed: names held or recently freed, entities."""
    changes: dict[str, object] = {}
    operator = query.operator_id_number.strip().upper()
    own = filed.of_operator(operator)
    if own:
        codes = {r.filing.credit_code for r in own}
        changes["existing_entities"] = (
            *(e for e in facts.existing_entities if e.credit_code not in codes),
            *(r.entity() for r in own),
        )
    name = query.proposed_name
    if name is not None and name.strip():
        proposed = split_name(name)
        identical_to = facts.identical_to
        similar = facts.similar_name_exists
        freed: FiledRegistration | None = None
        for record in filed.at_authority(query.authority_code):
            if record.filing.name is None:
                continue
            parts = split_name(record.filing.name)
            freed_on = record.freed_on
            if parts.key == proposed.key:
                if freed_on is None:
                    identical_to = identical_to or record.filing.name
                elif today < one_year_after(freed_on) and (
                    freed is None or freed_on > (freed.freed_on or freed_on)
                ):
                    freed = record
            elif freed_on is None and trades_similar(parts.trade, proposed.trade):
                similar = True
        if identical_to is not None:
            changes |= {
                "identical_name_exists": True,
                "identical_to": identical_to,
                "similar_name_exists": False,
            }
        elif similar:
            changes["similar_name_exists"] = True
        if freed is not None:
            changes |= {
                "recently_freed_name": freed.filing.name,
                "recently_freed_on": freed.freed_on,
            }
    return facts.model_copy(update=changes) if changes else facts
