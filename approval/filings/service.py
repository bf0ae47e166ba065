"""What a stored filing says to the registry, what its answer means, and when to try again."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from approval.clock import CHINA_TZ
from connectors.base import FilingReceipt, RegistrationFiling, RegistrationStatus
from connectors.registries import MARKET


class FilingOutcome(StrEnum):
    RECORDED = "recorded"  # the registry holds this version
    SUPERSEDED = "superseded"  # it holds a newer one (sent by a later row, or another worker)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter, capped, and never giving up: a registry that is down
    delays filings, it never drops them."""

    first_seconds: float
    max_seconds: float

    def delay(self, attempts: int, rng: random.Random | None = None) -> float:
        """Half fixed, half random, doubling with each attempt made (``attempts`` ≥ 1)."""
        ceiling = min(self.max_seconds, self.first_seconds * 2.0 ** max(attempts - 1, 0))
        return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)

    def refused_delay(self, rng: random.Random | None = None) -> float:
        """A refusal (a conflict, a key the registry does not know) needs a person: try again
        rarely, so the row stays visible and goes through once the cause is fixed."""
        return self.delay(64, rng)


def filing_of(row: Any) -> RegistrationFiling:
    """The filing a stored row stands for, with the purpose and legal basis of filings."""
    return RegistrationFiling(
        purpose=MARKET.filing_purpose(row.application_id),
        credit_code=row.credit_code,
        version=row.version,
        status=RegistrationStatus(row.status),
        name=row.name,
        operator_id_number=row.operator_id_number,
        operator_name=row.operator_name,
        authority_code=row.authority_code,
        registered_on=row.registered_on,
        changed_at=_aware(row.changed_at),
    )


def outcome_of(filing: RegistrationFiling, receipt: FilingReceipt) -> FilingOutcome | None:
    """What the receipt says of this filing; None: it does not acknowledge it (try again)."""
    if receipt.credit_code != filing.credit_code:
        return None
    if receipt.version > filing.version:
        return FilingOutcome.SUPERSEDED
    if receipt.version == filing.version and receipt.status == filing.status:
        return FilingOutcome.RECORDED
    return None


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; every stored time is on the service clock's zone
    return value if value.tzinfo is not None else value.replace(tzinfo=CHINA_TZ)
