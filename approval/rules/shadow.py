"""Shadow mode on the submit path: remember each decision for the candidate to be tried on.

``observe`` is all the submit path pays: one attribute test when no candidate is shadowed, an
append otherwise. The candidate is evaluated, and disagreements written, by the background
poller (approval.rules.live), never inside a request.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

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

    def observe(self, application_id: str, determined: Any) -> None:
        """Called after each live determination (approval.intake.service.Determination)."""
        if self.candidate is None or determined.outcome is None:
            return
        fired: list[str] = next(
            (e["detail"]["rules"] for e in determined.events if e["kind"] == "decided"), []
        )
        self.pending.append(
            Observed(
                application_id,
                determined.facts,
                determined.ruleset_version,
                determined.outcome,
                tuple(fired),
            )
        )

    def drain(self) -> list[Observed]:
        taken = []
        while self.pending:
            taken.append(self.pending.popleft())
        return taken
