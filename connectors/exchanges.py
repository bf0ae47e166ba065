"""Evidence of every exchange with a registry, and the per-registry metrics.

A caller that must keep the evidence (the submit path, the verification worker) opens
:func:`recording`; every exchange started inside it — also in tasks it spawns — is appended to
its list as soon as the request leaves, and completed when the answer (or failure) comes back.
An exchange cut off by the caller's deadline stays ``no_answer``. Nothing is written here:
the caller stores the list in its own transaction.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from prometheus_client import Counter, Gauge, Histogram

from connectors.base import QueryPurpose, Registry

REQUESTS = Counter(
    "miaopi_registry_requests",
    "Requests to each registry, by outcome",
    ["registry", "outcome"],
)
LATENCY = Histogram(
    "miaopi_registry_request_seconds",
    "Latency of each registry request (one attempt)",
    ["registry"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2),
)
BREAKER_STATE = Gauge(
    "miaopi_registry_breaker_state",
    "Circuit breaker per registry: 0 closed, 1 half-open, 2 open",
    ["registry"],
)
BREAKER_STATES = {"closed": 0, "half-opened": 1, "opened": 2}

OK = "ok"
NO_ANSWER = "no_answer"


@dataclass(slots=True)
class Exchange:
    registry: Registry
    operation: str
    case_id: str
    acting_system: str
    legal_basis: str
    message_id: str
    request_hash: str
    attempt: int
    at: dt.datetime
    started: float = field(default_factory=time.perf_counter)
    status: str = NO_ANSWER
    http_status: int | None = None
    response_hash: str | None = None
    latency_ms: int | None = None

    def finish(
        self, status: str, *, http_status: int | None = None, response_hash: str | None = None
    ) -> None:
        elapsed = time.perf_counter() - self.started
        self.status, self.http_status, self.response_hash = status, http_status, response_hash
        self.latency_ms = round(elapsed * 1000)
        REQUESTS.labels(self.registry.value, status).inc()
        LATENCY.labels(self.registry.value).observe(elapsed)

    def elapsed_ms(self) -> int:
        if self.latency_ms is not None:
            return self.latency_ms
        return round((time.perf_counter() - self.started) * 1000)


_current: ContextVar[list[Exchange] | None] = ContextVar("miaopi_exchanges", default=None)


@contextmanager
def recording() -> Iterator[list[Exchange]]:
    """Collect the exchanges started in this context (and the tasks it creates)."""
    log: list[Exchange] = []
    token = _current.set(log)
    try:
        yield log
    finally:
        _current.reset(token)


def is_recording() -> bool:
    return _current.get() is not None


def start(
    registry: Registry,
    operation: str,
    purpose: QueryPurpose,
    *,
    message_id: str,
    request_hash: str,
    attempt: int = 1,
) -> Exchange:
    exchange = Exchange(
        registry=registry,
        operation=operation,
        case_id=purpose.case_id,
        acting_system=purpose.acting_system,
        legal_basis=purpose.legal_basis,
        message_id=message_id,
        request_hash=request_hash,
        attempt=attempt,
        at=dt.datetime.now(dt.UTC),
    )
    log = _current.get()
    if log is not None:
        log.append(exchange)
    return exchange


def count_fast_failure(registry: Registry, outcome: str) -> None:
    """A request refused before it left (open breaker): counted, but no exchange happened."""
    REQUESTS.labels(registry.value, outcome).inc()


def set_breaker_state(registry: Registry, state: str) -> None:
    BREAKER_STATE.labels(registry.value).set(BREAKER_STATES.get(state, 0))
