"""HTTP clients of the registries of the table, behind the same Protocol as the in-process stubs.

Each request is signed and states its purpose; each answer must carry the registry's signature
over the hash of the request it answers, or it is not an answer. Timeouts are split (connect,
read); idempotent reads are retried at most twice with full-jitter exponential backoff
(tenacity), and only on transport failures and 5xx — never on a 4xx or a bad answer; a circuit
breaker per registry (purgatory) fails fast while the registry is down and lets a probe through
after its reset time. The overall deadline per application is the caller's
(``ask_registries``). Every attempt leaves an :class:`~connectors.exchanges.Exchange`.

Filings (writes to a registry that takes them) travel the same way, signed and with their
purpose: they are idempotent by credit code and version, so they are retried like reads.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState
from pydantic import BaseModel, ValidationError
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from connectors import exchanges, signing
from connectors.base import (
    FilingReceipt,
    FilingRefused,
    QueryPurpose,
    RegistrationFiling,
    Registry,
    RegistryQuery,
    RegistryUnavailable,
)
from connectors.registries import REGISTRIES, RegistrySpec

_Query = TypeVar("_Query", bound=RegistryQuery)
_Facts = TypeVar("_Facts", bound=BaseModel)
_Answer = TypeVar("_Answer", bound=BaseModel)

MAX_RETRIES = 2


def lookup_path(registry: Registry) -> str:
    return REGISTRIES[registry].path


def query_body(query: BaseModel) -> bytes:
    """The request body: the question only; its purpose travels in signed headers."""
    return json.dumps(
        query.model_dump(mode="json", exclude={"purpose"}),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


@dataclass(frozen=True, slots=True)
class HttpRegistryConfig:
    base_url: str
    connect_timeout_s: float = 0.2
    read_timeout_s: float = 0.6
    retries: int = MAX_RETRIES
    backoff_s: float = 0.05
    backoff_max_s: float = 0.4
    breaker_threshold: int = 5
    breaker_reset_s: float = 30.0
    client_name: str = "miaopi"

    def __post_init__(self) -> None:
        if not 0 <= self.retries <= MAX_RETRIES:
            raise ValueError(f"retries must be between 0 and {MAX_RETRIES}")
        if self.breaker_threshold < 1:
            raise ValueError("breaker_threshold must be at least 1")


class _Transient(RegistryUnavailable):
    """Worth another attempt: no connection, no answer in time, or a 5xx."""


class _Refused(RegistryUnavailable):
    """The registry refused the request (4xx): retrying will not help; not an outage."""


class HttpRegistry(Generic[_Query, _Facts]):
    """The client of one registry over HTTP: its spec says the path and the answer's type."""

    def __init__(
        self,
        spec: RegistrySpec[_Query, _Facts],
        config: HttpRegistryConfig,
        client_key: Ed25519PrivateKey,
        registry_key: Ed25519PublicKey,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.spec = spec
        self.registry = spec.registry
        self.config = config
        self._client_key = client_key
        self._registry_key = registry_key
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self._http_loop: asyncio.AbstractEventLoop | None = None
        self.breaker_state = "closed"
        self._breakers = AsyncCircuitBreakerFactory(
            default_threshold=config.breaker_threshold,
            default_ttl=config.breaker_reset_s,
            exclude=[_Refused],
        )
        self._breakers.add_listener(self._on_breaker_event)
        exchanges.set_breaker_state(self.registry, "closed")

    def _on_breaker_event(self, _name: str, kind: str, event: Any) -> None:
        if kind == "state_changed":
            self.breaker_state = event.state
            exchanges.set_breaker_state(self.registry, event.state)

    def _client(self) -> httpx.AsyncClient:
        """One connection pool per event loop (a pool cannot move between loops)."""
        loop = asyncio.get_running_loop()
        if self._http is None or self._http_loop is not loop:
            timeout = httpx.Timeout(
                connect=self.config.connect_timeout_s,
                read=self.config.read_timeout_s,
                write=self.config.read_timeout_s,
                pool=self.config.connect_timeout_s,
            )
            self._http = httpx.AsyncClient(
                base_url=self.config.base_url, timeout=timeout, transport=self._transport
            )
            self._http_loop = loop
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def lookup(self, query: _Query) -> _Facts:
        return await self._call(
            self.spec.path, "lookup", query.purpose, query_body(query), self.spec.facts_type
        )

    async def file(self, filing: RegistrationFiling) -> FilingReceipt:
        """File a registration (a write, idempotent by credit code and version: retried like
        a read). A refusal (4xx, or a receipt for another credit code) is FilingRefused."""
        if self.spec.filing is None:
            raise FilingRefused(self.registry, "this registry takes no filings")
        try:
            receipt = await self._call(
                self.spec.filing_path, "file", filing.purpose, query_body(filing), FilingReceipt
            )
        except _Refused as exc:
            raise FilingRefused(self.registry, exc.reason) from None
        if receipt.credit_code != filing.credit_code:
            raise FilingRefused(self.registry, "receipt for another credit code")
        return receipt

    async def _call(
        self,
        path: str,
        operation: str,
        purpose: QueryPurpose,
        body: bytes,
        answer_type: type[_Answer],
    ) -> _Answer:
        message_id = uuid.uuid4().hex
        attempts = 0

        async def attempt() -> _Answer:
            nonlocal attempts
            attempts += 1
            return await self._attempt(
                path, operation, purpose, body, message_id, attempts, answer_type
            )

        retrying = AsyncRetrying(
            stop=stop_after_attempt(1 + self.config.retries),
            wait=wait_random_exponential(
                multiplier=self.config.backoff_s, max=self.config.backoff_max_s
            ),
            retry=retry_if_exception_type(_Transient),
            reraise=True,
        )
        try:
            breaker = await self._breakers.get_breaker(self.registry.value)
            async with breaker:
                return await retrying(attempt)
        except OpenedState:
            exchanges.count_fast_failure(self.registry, "circuit_open")
            raise RegistryUnavailable(self.registry, "circuit open: registry failing") from None

    async def _attempt(
        self,
        path: str,
        operation: str,
        purpose: QueryPurpose,
        body: bytes,
        message_id: str,
        attempt: int,
        answer_type: type[_Answer],
    ) -> _Answer:
        request = signing.SignedRequest(
            method="POST",
            path=path,
            timestamp=str(int(time.time())),
            nonce=uuid.uuid4().hex,
            message_id=message_id,
            client=self.config.client_name,
            issue=purpose.case_id,
            user_id=purpose.acting_system,
            legal_basis=signing.encode_header(purpose.legal_basis),
            body_hash=signing.sha256_hex(body),
        )
        request_hash = request.hash()
        headers = {
            "content-type": "application/json",
            signing.CLIENT: request.client,
            signing.MESSAGE_ID: message_id,
            signing.NONCE: request.nonce,
            signing.TIMESTAMP: request.timestamp,
            signing.ISSUE: request.issue,
            signing.USER_ID: request.user_id,
            signing.LEGAL_BASIS: request.legal_basis,
            signing.SIGNATURE: signing.sign(self._client_key, request.canonical()),
        }
        exchange = exchanges.start(
            self.registry,
            operation,
            purpose,
            message_id=message_id,
            request_hash=request_hash,
            attempt=attempt,
        )
        try:
            response = await self._client().post(path, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            exchange.finish("timeout")
            raise _Transient(self.registry, f"timeout ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            exchange.finish("connect_error")
            raise _Transient(self.registry, f"transport error ({type(exc).__name__})") from None
        content = response.content
        response_hash = signing.sha256_hex(content)
        status = response.status_code
        if status >= 500:
            exchange.finish("http_5xx", http_status=status, response_hash=response_hash)
            raise _Transient(self.registry, f"HTTP {status}")
        signed = self._answer_is_signed(response, request_hash)
        if status >= 400:
            exchange.finish("http_4xx", http_status=status, response_hash=response_hash)
            raise _Refused(self.registry, f"HTTP {status}")
        if not signed:
            exchange.finish("bad_signature", http_status=status, response_hash=response_hash)
            raise RegistryUnavailable(self.registry, "answer signature invalid")
        try:
            answer = answer_type.model_validate_json(content)
        except ValidationError:
            exchange.finish("malformed", http_status=status, response_hash=response_hash)
            raise RegistryUnavailable(self.registry, "malformed answer") from None
        exchange.finish(exchanges.OK, http_status=status, response_hash=response_hash)
        return answer

    def _answer_is_signed(self, response: httpx.Response, request_hash: str) -> bool:
        if response.headers.get(signing.REQUEST_HASH) != request_hash:
            return False
        canonical = signing.response_canonical(
            request_hash,
            response.status_code,
            response.headers.get(signing.TIMESTAMP, ""),
            response.content,
        )
        return signing.verify(
            self._registry_key, canonical, response.headers.get(signing.SIGNATURE)
        )


def http_registry(
    registry: Registry,
    config: HttpRegistryConfig,
    keys: signing.KeyDirectory,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> HttpRegistry[Any, Any]:
    """The client of ``registry``, signing with our key and trusting the registry's key."""
    return HttpRegistry(
        REGISTRIES[registry],
        config,
        keys.private(signing.CLIENT_KEY_NAME),
        keys.public(registry.value),
        transport=transport,
    )
