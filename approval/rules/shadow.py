"""Shadow mode on the submit path: remember each decision for the candidate to be tried on.

``on_decided`` (a ``Decided`` subscriber) is all the submit path pays: one attribute test when
no candidate is shadowed, an append otherwise. The candidate is evaluated, and disagreements
written, by the background poller (approval.rules.live), never inside a request.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from approval.applications.lifecycle import Decided
from approval.engine.ruleset import Ruleset


@dataclass(frozen=True, slots=True)
class Observed:
    application_id: str
    facts: dict[str, Any]
    version: str
    verdict: str
    fired: tuple[str, ...]


@dataclass
class ShadowQueue:
    candidate: Ruleset | None = None
    pending: deque[Observed] = field(default_factory=lambda: deque(maxlen=100_000))

    def on_decided(self, _conn: Connection, event: Decided) -> None:
        """A subscriber to ``Decided``: a decision the rules made (at submission or by the
        verification worker) is remembered in memory, nothing more, inside the transaction."""
        if self.candidate is None or event.ruleset_version is None or event.outcome is None:
            return
        self.pending.append(
            Observed(
                event.application_id,
                dict(event.facts or {}),
                event.ruleset_version,
                event.outcome,
                event.fired,
            )
        )

    def drain(self) -> list[Observed]:
        taken = []
        while self.pending:
            taken.append(self.pending.popleft())
        return taken
