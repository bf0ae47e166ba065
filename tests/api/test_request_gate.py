"""Limits before work: the key, the media type and the size are settled before a body is read."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest
from fastapi.testclient import TestClient

from api import create_app
from approval.access.service import FailedAuthentications
from approval.settings import Settings
from tests.conftest import submit
from tests.fixtures import application_for

T = TypeVar("T")
LIMIT = 256 * 1024
CHUNK = 64 * 1024
PUBLIC_WITH_BODY = {("POST", "/v1/echo")}


class RecordedBody:
    """A request body streamed in chunks, recording how much of it the server pulled."""

    def __init__(self, total: int, chunk: int = CHUNK) -> None:
        self.total = total
        self.chunk = chunk
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.pulled < self.total:
            size = min(self.chunk, self.total - self.pulled)
            self.pulled += size
            yield b" " * size


def _run(settings: Settings, exchange: Callable[[httpx.AsyncClient], Awaitable[T]]) -> T:
    """Drive a real app (with its lifespan) over ASGI, where the body is pulled lazily."""

    async def main() -> T:
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://miaopi") as client:
                return await exchange(client)

    return asyncio.run(main())


def _send(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    body: RecordedBody,
    headers: dict[str, str],
    declare_length: bool,
) -> Awaitable[httpx.Response]:
    headers = {"content-type": "application/json", "idempotency-key": "gate-1", **headers}
    if declare_length:
        headers["content-length"] = str(body.total)
    return client.request(method, path, content=body, headers=headers)


def _body_endpoints(settings: Settings) -> list[tuple[str, str]]:
    paths: dict[str, dict[str, Any]] = create_app(settings).openapi()["paths"]
    found = [
        (method.upper(), re.sub(r"\{[^}]+\}", "x", path))
        for path, operations in paths.items()
        for method, operation in operations.items()
        if "requestBody" in operation
    ]
    return sorted(set(found) - PUBLIC_WITH_BODY)


def test_every_endpoint_with_a_body_answers_401_without_reading_it(
    client: TestClient, keys: dict[str, str], settings: Settings
) -> None:
    endpoints = _body_endpoints(settings)
    assert len(endpoints) >= 15  # every feature's writes, not just submit
    patient = settings.model_copy(update={"auth_failure_limit": 1000})

    async def exchange(http: httpx.AsyncClient) -> list[tuple[str, str, str, int, int]]:
        seen = []
        for method, path in endpoints:
            for authorization in ({}, {"authorization": "Bearer mpk_terminal_wrong"}):
                for declare_length in (True, False):
                    body = RecordedBody(4 * LIMIT)
                    response = await _send(http, method, path, body, authorization, declare_length)
                    seen.append(
                        (method, path, str(authorization), response.status_code, body.pulled)
                    )
                    assert response.headers["content-type"] == "application/problem+json"
        return seen

    for method, path, authorization, status, pulled in _run(patient, exchange):
        assert (status, pulled) == (401, 0), (method, path, authorization)


def test_a_body_over_the_limit_is_413_and_is_not_read_whole(
    client: TestClient, keys: dict[str, str], settings: Settings
) -> None:
    terminal = {"authorization": f"Bearer {keys['terminal']}"}
    staff = {"authorization": f"Bearer {keys['staff']}"}

    async def exchange(http: httpx.AsyncClient) -> list[tuple[int, dict[str, Any], int, int]]:
        seen = []
        for path, headers in (("/v1/applications", terminal), ("/v1/rulesets/simulations", staff)):
            for declare_length in (True, False):
                body = RecordedBody(32 * 1024 * 1024)
                response = await _send(http, "POST", path, body, headers, declare_length)
                seen.append((response.status_code, response.json(), body.pulled, declare_length))
        return seen

    for status, problem, pulled, declared in _run(settings, exchange):
        assert status == 413
        assert problem["code"] == "body_too_large"
        assert problem["max_bytes"] == LIMIT
        # declared: refused before a byte; chunked: cut off one chunk past the limit
        assert pulled == 0 if declared else pulled <= LIMIT + CHUNK


def test_the_body_limit_is_a_setting(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, keys: dict[str, str]
) -> None:
    monkeypatch.setenv("APPROVAL_MAX_BODY_BYTES", "500")
    assert Settings().max_body_bytes == 500
    small = settings.model_copy(update={"max_body_bytes": 500})
    body = application_for("clean_owner")
    size = len(json.dumps(body).encode())
    assert 500 < size < LIMIT
    with TestClient(create_app(small)) as client:
        response = submit(client, keys["terminal"], body)
        assert response.status_code == 413
        assert response.json()["detail"] == "请求内容过大：最多 500 字节"
        assert client.post("/v1/echo", json={"number": 1, "text": "x" * 600}).status_code == 413
        assert client.post("/v1/echo", json={"number": 1, "text": "x"}).status_code == 200


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("text/plain", None),
        ("application/x-www-form-urlencoded", None),
        ("multipart/form-data; boundary=x", None),
        (None, None),
        ("application/jsonx", None),
    ],
)
def test_json_endpoints_refuse_other_media_types(
    client: TestClient, keys: dict[str, str], content_type: str | None, content: None
) -> None:
    body = json.dumps(application_for("clean_owner")).encode()
    headers = {"authorization": f"Bearer {keys['terminal']}", "idempotency-key": "media-1"}
    if content_type is not None:
        headers["content-type"] = content_type
    response = client.post("/v1/applications", content=body, headers=headers)
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unsupported_media_type"
    # nothing was stored: the same key and body as JSON are a first submission
    headers["content-type"] = "application/json"
    assert client.post("/v1/applications", content=body, headers=headers).status_code == 201
    # a pydantic body too (a staff simulation), and the public echo
    staff = {"authorization": f"Bearer {keys['staff']}"}
    if content_type is not None:
        staff["content-type"] = content_type
    simulation = client.post("/v1/rulesets/simulations", content=b"{}", headers=staff)
    assert simulation.status_code == 415
    plain = {"content-type": content_type} if content_type else {}
    echo = client.post("/v1/echo", content=b'{"number": 1, "text": "x"}', headers=plain)
    assert echo.status_code == 415


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/vnd.miaopi+json; charset=UTF-8",
    ],
)
def test_json_and_json_suffix_media_types_are_accepted(
    client: TestClient, keys: dict[str, str], content_type: str
) -> None:
    body = json.dumps(application_for("clean_owner")).encode()
    headers = {
        "authorization": f"Bearer {keys['terminal']}",
        "idempotency-key": "media-ok",
        "content-type": content_type,
    }
    assert client.post("/v1/applications", content=body, headers=headers).status_code == 201


def test_no_key_comes_before_the_media_type(client: TestClient) -> None:
    response = client.post(
        "/v1/rulesets/simulations", content=b"x", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 401


class _BrokenKeys:
    failures = FailedAuthentications()

    def resolve(self, *_args: object) -> None:
        raise RuntimeError("the key table cannot be read")


def test_a_failure_while_checking_the_key_is_a_500_not_a_400(client: TestClient) -> None:
    client.app.state.context.keys = _BrokenKeys()  # type: ignore[attr-defined]
    failing = TestClient(client.app, raise_server_exceptions=False)
    for path in ("/v1/rulesets/simulations", "/v1/applications"):
        response = failing.post(path, json={}, headers={"authorization": "Bearer mpk_staff_x"})
        assert response.status_code == 500
        assert response.json()["code"] == "internal_error"
