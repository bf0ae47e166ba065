"""A stub registry as a real HTTP service, with faults injected at start or at run time.

``miaopi stub-registry market --port 8101`` serves the seeded world (:mod:`connectors.seed_world`)
for one registry over HTTP, as the real one would: requests must be signed by Miaopi's client
key and state their purpose; answers are signed with the registry's key. Behaviour is set by
:class:`Faults`, at start (CLI flags) or at run time::

    PUT  /admin/faults   {"latency": "uniform", "latency_ms": 20, "latency_max_ms": 80}
    GET  /admin/faults   the current behaviour
    GET  /admin/stats    requests seen, by what was answered
    GET  /admin/filings  the registrations filed to it (the market registry), latest versions
    POST /admin/reset    faults off, counters zero (what was filed stays)

The market registry also takes filings (``POST /v1/market/filings``, signed like a look-up):
it keeps them in memory and answers later look-ups with them (:mod:`connectors.filings`).

The admin endpoints are for tests and drills: bind the stub to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import socket
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Literal

import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectors import signing
from connectors.base import FilingRefused, RegistrationFiling, Registry
from connectors.filings import FiledRegistrations, china_today
from connectors.registries import REGISTRIES, AnySpec
from connectors.seed_world import SeedWorld

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

CLOCK_SKEW_SECONDS = 300
_NONCES_KEPT = 10_000
_HANG_LIMIT_SECONDS = 60.0


class Faults(BaseModel):
    """How the stub misbehaves; rates are probabilities per request."""

    model_config = ConfigDict(extra="forbid")

    latency: Literal["fixed", "uniform", "long_tail"] = "fixed"
    latency_ms: float = Field(default=0.0, ge=0, description="fixed / uniform low / tail median")
    latency_max_ms: float = Field(default=0.0, ge=0, description="uniform high / tail cap")
    error_rate: float = Field(default=0.0, ge=0, le=1, description="answer 500/503")
    timeout_rate: float = Field(default=0.0, ge=0, le=1, description="never answer")
    malformed_rate: float = Field(default=0.0, ge=0, le=1, description="signed, broken body")
    bad_signature_rate: float = Field(default=0.0, ge=0, le=1, description="wrong signature")
    outage: bool = Field(default=False, description="every request gets 503 at once")
    seed: int = 0


def _delay_seconds(faults: Faults, rng: random.Random) -> float:
    if faults.latency == "uniform":
        high = max(faults.latency_max_ms, faults.latency_ms)
        return rng.uniform(faults.latency_ms, high) / 1000
    if faults.latency == "long_tail":
        # Pareto (alpha 2) scaled so most answers are near latency_ms and a few far above it
        value = faults.latency_ms * rng.paretovariate(2.0)
        if faults.latency_max_ms > 0:
            value = min(value, faults.latency_max_ms)
        return value / 1000
    return faults.latency_ms / 1000


class StubRegistryApp:
    """The ASGI app of one stub registry."""

    def __init__(
        self,
        spec: AnySpec,
        world: SeedWorld,
        registry_key: Ed25519PrivateKey,
        client_key: Ed25519PublicKey,
        faults: Faults | None = None,
        today: Callable[[], dt.date] = china_today,
    ) -> None:
        self.spec = spec
        self.registry = spec.registry
        self.world = world
        self._key = registry_key
        self._client_key = client_key
        self.faults = faults or Faults()
        self._rng = random.Random(self.faults.seed)
        self.stats: Counter[str] = Counter()
        self._nonces: OrderedDict[str, None] = OrderedDict()
        self._path = spec.path
        self.today = today
        # what was filed to this registry (one that takes filings), kept while the process lives
        self.filings = FiledRegistrations()

    def set_faults(self, changes: dict[str, Any]) -> Faults:
        faults = Faults.model_validate({**self.faults.model_dump(), **changes})
        if faults.seed != self.faults.seed:
            self._rng = random.Random(faults.seed)
        self.faults = faults
        return faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        method, path = scope["method"], scope["path"]
        body = await _read_body(receive)
        if path == self._path and method == "POST":
            await self._exchange(scope, body, receive, send, self._path, self._answer_lookup)
        elif self.spec.filing is not None and path == self.spec.filing_path and method == "POST":
            await self._exchange(
                scope, body, receive, send, self.spec.filing_path, self._answer_filing
            )
        elif path == "/admin/filings" and method == "GET":
            await _send_json(
                send,
                200,
                [
                    {
                        **r.filing.model_dump(mode="json", exclude={"purpose"}),
                        "recorded_at": r.recorded_at.isoformat(),
                    }
                    for r in self.filings.all()
                ],
            )
        elif path == "/admin/faults" and method == "GET":
            await _send_json(send, 200, self.faults.model_dump())
        elif path == "/admin/faults" and method == "PUT":
            try:
                faults = self.set_faults(json.loads(body or b"{}"))
            except (ValidationError, ValueError, TypeError) as exc:
                await _send_json(send, 422, {"error": str(exc)[:500]})
                return
            await _send_json(send, 200, faults.model_dump())
        elif path == "/admin/stats" and method == "GET":
            await _send_json(send, 200, {"requests": sum(self.stats.values()), **self.stats})
        elif path == "/admin/reset" and method == "POST":
            self.faults = Faults()
            self.stats.clear()
            await _send_json(send, 200, self.faults.model_dump())
        elif path == "/healthz" and method == "GET":
            await _send_json(send, 200, {"status": "ok", "registry": self.registry.value})
        else:
            await _send_json(send, 404, {"error": "not found"})

    def _answer_lookup(self, body: bytes, purpose: dict[str, str]) -> tuple[int, bytes]:
        query = self.spec.query_type.model_validate({**json.loads(body), "purpose": purpose})
        facts = self.spec.stub_answer(self.world, query)
        if self.spec.filing is not None:
            facts = self.spec.filing.stub_answer(facts, query, self.filings, self.today())
        return 200, facts.model_dump_json().encode()

    def _answer_filing(self, body: bytes, purpose: dict[str, str]) -> tuple[int, bytes]:
        filing = RegistrationFiling.model_validate({**json.loads(body), "purpose": purpose})
        try:
            receipt = self.filings.record(filing)
        except FilingRefused as exc:
            return 409, json.dumps({"error": exc.reason}, ensure_ascii=False).encode()
        return 200, receipt.model_dump_json().encode()

    async def _exchange(
        self,
        scope: Scope,
        body: bytes,
        receive: Receive,
        send: Send,
        path: str,
        answer: Callable[[bytes, dict[str, str]], tuple[int, bytes]],
    ) -> None:
        """One signed request, with the faults configured: checked, answered, signed."""
        faults, rng = self.faults, self._rng
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        request = signing.SignedRequest(
            method="POST",
            path=path,
            timestamp=headers.get(signing.TIMESTAMP, ""),
            nonce=headers.get(signing.NONCE, ""),
            message_id=headers.get(signing.MESSAGE_ID, ""),
            client=headers.get(signing.CLIENT, ""),
            issue=headers.get(signing.ISSUE, ""),
            user_id=headers.get(signing.USER_ID, ""),
            legal_basis=headers.get(signing.LEGAL_BASIS, ""),
            body_hash=signing.sha256_hex(body),
        )
        request_hash = request.hash()
        if faults.outage:
            self.stats["outage"] += 1
            await self._send_signed(send, 503, b'{"error":"registry down"}', request_hash)
            return
        delay = _delay_seconds(faults, rng)
        if delay > 0:
            await asyncio.sleep(delay)
        if rng.random() < faults.timeout_rate:
            self.stats["timeout"] += 1
            await _wait_for_disconnect(receive)
            return
        if rng.random() < faults.error_rate:
            self.stats["error"] += 1
            status = rng.choice((500, 503))
            await self._send_signed(send, status, b'{"error":"injected"}', request_hash)
            return
        refusal = self._refusal(request, headers.get(signing.SIGNATURE))
        if refusal is not None:
            self.stats["refused"] += 1
            await self._send_signed(
                send, 401, json.dumps({"error": refusal}).encode(), request_hash
            )
            return
        purpose = {
            "case_id": request.issue,
            "acting_system": request.user_id,
            "legal_basis": signing.decode_header(request.legal_basis),
        }
        try:
            status, content = answer(body, purpose)
        except (ValidationError, ValueError, TypeError):
            self.stats["bad_request"] += 1
            await self._send_signed(send, 400, b'{"error":"bad query"}', request_hash)
            return
        if status != 200:
            self.stats["conflict"] += 1
            await self._send_signed(send, status, content, request_hash)
            return
        if rng.random() < faults.malformed_rate:
            self.stats["malformed"] += 1
            await self._send_signed(send, 200, content[: len(content) // 2], request_hash)
            return
        if rng.random() < faults.bad_signature_rate:
            self.stats["bad_signature"] += 1
            await self._send_signed(send, 200, content, request_hash, forge=True)
            return
        self.stats["ok"] += 1
        await self._send_signed(send, 200, content, request_hash)

    def _refusal(self, request: signing.SignedRequest, signature: str | None) -> str | None:
        """Why a request is not answered: unsigned, stale, replayed or without purpose."""
        if not (request.issue and request.user_id and request.legal_basis):
            return "purpose required (case, acting system, legal basis)"
        if not signing.verify(self._client_key, request.canonical(), signature):
            return "signature invalid"
        try:
            skew = abs(time.time() - int(request.timestamp))
        except ValueError:
            return "timestamp invalid"
        if skew > CLOCK_SKEW_SECONDS:
            return "timestamp outside the allowed clock skew"
        if request.nonce in self._nonces:
            return "replayed request"
        self._nonces[request.nonce] = None
        if len(self._nonces) > _NONCES_KEPT:
            self._nonces.popitem(last=False)
        return None

    async def _send_signed(
        self, send: Send, status: int, body: bytes, request_hash: str, *, forge: bool = False
    ) -> None:
        timestamp = str(int(time.time()))
        signed_body = body + b" " if forge else body
        signature = signing.sign(
            self._key, signing.response_canonical(request_hash, status, timestamp, signed_body)
        )
        await _send(
            send,
            status,
            body,
            [
                (signing.REQUEST_HASH, request_hash),
                (signing.TIMESTAMP, timestamp),
                (signing.SIGNATURE, signature),
            ],
        )


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def _wait_for_disconnect(receive: Receive) -> None:
    """Hold the request without answering until the client gives up (or a minute passes)."""
    try:
        async with asyncio.timeout(_HANG_LIMIT_SECONDS):
            while (await receive())["type"] != "http.disconnect":
                pass
    except TimeoutError:
        pass


async def _send(
    send: Send, status: int, body: bytes, headers: list[tuple[str, str]] | None = None
) -> None:
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in headers or []]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def _send_json(send: Send, status: int, payload: Any) -> None:
    await _send(send, status, json.dumps(payload, ensure_ascii=False).encode())


def build_stub_app(
    registry: Registry,
    keys: signing.KeyDirectory,
    world: SeedWorld,
    faults: Faults | None = None,
    today: Callable[[], dt.date] = china_today,
) -> StubRegistryApp:
    return StubRegistryApp(
        REGISTRIES[registry],
        world,
        keys.private(registry.value),
        keys.public(signing.CLIENT_KEY_NAME),
        faults,
        today,
    )


def _config(app: StubRegistryApp, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="off",
        ws="none",
        http="h11",
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=1,
    )


def serve(app: StubRegistryApp, host: str, port: int) -> None:
    """Serve until interrupted (the ``miaopi stub-registry`` command)."""
    uvicorn.Server(_config(app, host, port)).run()


@dataclass
class RunningStub:
    """A stub server on a thread of this process (tests, benchmarks)."""

    app: StubRegistryApp
    server: uvicorn.Server
    thread: threading.Thread
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


def start_in_thread(app: StubRegistryApp, port: int = 0) -> RunningStub:
    """Start on 127.0.0.1 (``port`` 0: a free one) and return once it accepts connections."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    bound_port = sock.getsockname()[1]
    server = uvicorn.Server(_config(app, "127.0.0.1", bound_port))

    def run() -> None:
        try:
            server.run(sockets=[sock])
        finally:
            sock.close()

    thread = threading.Thread(target=run, name=f"stub-{app.registry.value}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"stub {app.registry.value} did not start")
        time.sleep(0.005)
    return RunningStub(app, server, thread, bound_port)
