"""The request gate: a pure ASGI middleware that settles who is calling, the media type and
the size of a request before a byte of its body is read.

It steps in at the app's first ``receive()`` of a request that declares a body, when routing
has picked the route but nothing of the body has been pulled: a route that checks a key gets
the key checked there (401 or 429, body untouched); then the body must be JSON (415) and declare
no more than the limit (413). While the app reads, the bytes are counted and a chunked body is
cut off past the limit, so memory never holds more than the limit and one chunk. A refusal
replaces whatever the app makes of it.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from approval.access.endpoints import KEY_CHECKS, RETRY_AFTER_SCOPE_KEY, principal_of
from approval.access.errors import BodyTooLarge, UnsupportedMediaType
from approval.endpoints import adapter_of
from approval.errors import ApprovalError
from approval.settings import Settings


class _Refused(Exception):
    """Raised into the app from ``receive()``; the gate answers instead."""


def checks_key(dependant: Any) -> bool:
    """Whether a route's dependencies include a role check (and so authenticate a key)."""
    if getattr(dependant, "call", None) in KEY_CHECKS:
        return True
    return any(checks_key(d) for d in getattr(dependant, "dependencies", ()))


def is_json(content_type: str | None) -> bool:
    """``application/json`` or ``application/*+json``, parameters such as charset allowed."""
    if not content_type:
        return False
    main, _, sub = content_type.split(";", 1)[0].strip().lower().partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


def problem_messages(exc: ApprovalError) -> list[Message]:
    body = orjson.dumps(
        {
            "type": f"urn:miaopi:problem:{exc.code}",
            "title": exc.title,
            "status": exc.status,
            "detail": exc.detail,
            "code": exc.code,
            **exc.extra,
        }
    )
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        # the body was not read: the connection cannot carry another request
        (b"connection", b"close"),
    ]
    retry_after = exc.extra.get("retry_after")
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    return [
        {"type": "http.response.start", "status": exc.status, "headers": headers},
        {"type": "http.response.body", "body": body},
    ]


class RequestGate:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # id(route) → (route, whether it checks a key); routes are few and live as long as the app
        self._routes: dict[int, tuple[object, bool]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = _Exchange(self, scope, receive, send)
        try:
            await self.app(scope, exchange.receive, exchange.send)
        except Exception:
            if exchange.started or (exchange.refusal is None and exchange.error is None):
                raise
        if exchange.error is not None and not exchange.started:
            raise exchange.error  # an unexpected failure while admitting: a 500, not a 400
        if exchange.refusal is not None and not exchange.started:
            await exchange.answer_refusal()

    def needs_key(self, route: object) -> bool:
        """Whether the route checks a key (fail closed: a body read outside a route does)."""
        cached = self._routes.get(id(route))
        if cached is not None and cached[0] is route:
            return cached[1]
        dependant = getattr(route, "dependant", None)
        needed = dependant is None or checks_key(dependant)
        self._routes[id(route)] = (route, needed)
        return needed


class _Exchange:
    """One request passing the gate."""

    def __init__(self, gate: RequestGate, scope: Scope, receive: Receive, send: Send) -> None:
        self.gate = gate
        self.scope = scope
        self._receive = receive
        self._send = send
        self.admitted = False
        self.limit: int | None = None
        self.received = 0
        self.refusal: list[Message] | None = None
        self.error: Exception | None = None
        self.started = False  # a response has begun: the app's or the refusal

    def _admit(self) -> None:
        headers: dict[bytes, bytes] = {}
        for name, value in self.scope.get("headers", ()):
            headers.setdefault(name, value)
        length = headers.get(b"content-length")
        declared = int(length) if length is not None and length.isdigit() else None
        if declared == 0 or (length is None and b"transfer-encoding" not in headers):
            return  # no body: the route's own role check authenticates
        self.limit = adapter_of(self.scope["app"], "settings", Settings).max_body_bytes
        if self.gate.needs_key(self.scope.get("route")):
            principal_of(self.scope)
        if not is_json(headers.get(b"content-type", b"").decode("latin-1")):
            raise UnsupportedMediaType("请求内容须为 JSON，请设置 Content-Type: application/json")
        if declared is not None and declared > self.limit:
            raise self._too_large(self.limit)

    @staticmethod
    def _too_large(limit: int) -> BodyTooLarge:
        return BodyTooLarge(f"请求内容过大：最多 {limit} 字节", max_bytes=limit)

    def _refuse(self, exc: ApprovalError) -> _Refused:
        self.refusal = problem_messages(exc)
        return _Refused(exc.code)

    async def receive(self) -> Message:
        if self.refusal is not None or self.error is not None:
            raise _Refused("refused")
        if not self.admitted:
            self.admitted = True
            try:
                self._admit()
            except ApprovalError as exc:
                raise self._refuse(exc) from None
            except Exception as exc:
                self.error = exc
                raise
        message = await self._receive()
        if message["type"] == "http.request" and self.limit is not None:
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                raise self._refuse(self._too_large(self.limit))
        return message

    async def send(self, message: Message) -> None:
        if not self.started and (self.refusal is not None or self.error is not None):
            return  # what the app makes of a refusal is replaced once it has finished
        if message["type"] == "http.response.start":
            self.started = True
            retry_after = self.scope.get(RETRY_AFTER_SCOPE_KEY)
            if retry_after is not None and message["status"] == 429:
                headers = [*message.get("headers", ()), (b"retry-after", str(retry_after).encode())]
                message = {**message, "headers": headers}
        await self._send(message)

    async def answer_refusal(self) -> None:
        assert self.refusal is not None
        self.started = True
        for message in self.refusal:
            await self._send(message)
