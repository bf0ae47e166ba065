"""A department's typed answers are what the service renders, byte for byte."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.testclient import TestClient

from approval.settings import Settings
from approval.supervision import repository, service
from tests.conftest import TODAY, submit
from tests.fixtures import application_for
from tests.supervision.support import auth, dispatcher, install_clock, supervisor_key


def _documented(client: TestClient, path: str, method: str, status: str, model: str) -> None:
    operation = client.get("/openapi.json").json()["paths"][path][method]
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    assert schema == {"$ref": f"#/components/schemas/{model}"}


def _rendered(client: TestClient, copy_id: str) -> bytes:
    context: Any = client.app.state.context  # type: ignore[attr-defined]
    with context.db.reading() as conn:
        row = repository.get_copy(conn, copy_id)
        assert row is not None
        return orjson.dumps(service.render_copy(row, context.clock.today()))


def test_a_copy_answers_as_rendered_at_every_step(
    client: TestClient, keys: dict[str, str], settings: Settings
) -> None:
    install_clock(client, TODAY)
    body = application_for(
        "clean_owner", scope=["F2006"], commitments__no_trading_before_permit=True
    )
    created = submit(client, keys["terminal"], body).json()
    dispatcher(client).run_once()
    department = auth(supervisor_key(settings, "WGLY"))
    listing = client.get("/v1/supervision/copies", headers=department)
    [copy] = listing.json()["items"]
    assert listing.content == b'{"items":[' + _rendered(client, copy["id"]) + b"]}"
    base = f"/v1/supervision/copies/{copy['id']}"
    steps = [
        ("get", "", None),
        ("post", "/ack", None),
        ("post", "/claim", None),
        ("post", "/actions", {"kind": "inspection", "note": "现场检查", "reference": "JY123"}),
        ("post", "/close", {"note": "办结"}),
    ]
    for method, step, payload in steps:
        response = client.request(method, base + step, headers=department, json=payload)
        assert response.status_code == 200, response.text
        assert response.content == _rendered(client, copy["id"])
        _documented(
            client, "/v1/supervision/copies/{copy_id}" + step, method, "200", "SupervisionCopyRead"
        )
    closed = response.json()
    assert closed["actions"][0]["at"][-6:] == "+08:00"  # the offset, not pydantic's "Z"
    _documented(client, "/v1/supervision/copies", "get", "200", "SupervisionCopyList")
    # a broken commitment answers what it recorded
    reported = client.post(
        f"{base}/broken-commitments",
        headers=department,
        json={"commitment": "no_trading_before_permit", "note": "未取得许可即经营"},
    )
    assert reported.status_code == 201
    assert list(reported.json().items()) == [
        ("application_id", created["id"]),
        ("credit_code", created["licence"]["credit_code"]),
        ("department", "WGLY"),
        ("commitment", "no_trading_before_permit"),
        ("note", "未取得许可即经营"),
    ]
    _documented(
        client,
        "/v1/supervision/copies/{copy_id}/broken-commitments",
        "post",
        "201",
        "BrokenCommitmentRead",
    )
