"""ID numbers and phone numbers never reach the logs, on success or on failure."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from tests.conftest import submit
from tests.fixtures import application_for


def test_no_personal_data_in_logs(
    client: TestClient, keys: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    body = application_for("clean_owner")
    number, phone = body["operator"]["id_number"], body["operator"]["mobile"]
    caplog.set_level(logging.DEBUG)
    submit(client, keys["terminal"], body, idempotency_key="log-1")
    submit(client, keys["terminal"], body, idempotency_key="log-1")  # replay
    submit(client, keys["terminal"], {**body, "employees": 9}, idempotency_key="log-1")  # 409
    bad = application_for("clean_owner")
    bad["operator"]["id_number"] = number[:17] + ("1" if number[17] != "1" else "2")
    submit(client, keys["terminal"], bad)
    text = "\n".join(f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records)
    assert number not in text
    assert phone not in text


def test_an_unexpected_error_is_a_problem_and_its_log_is_redacted(
    client: TestClient,
    keys: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = application_for("clean_owner")
    number = body["operator"]["id_number"]

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"signing failed for {number}, call 13805261234")

    monkeypatch.setattr("approval.intake.service.issue_licence", broken)
    caplog.set_level(logging.DEBUG)
    client_no_raise = TestClient(client.app, raise_server_exceptions=False)
    response = submit(client_no_raise, keys["terminal"], body)
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "RuntimeError" in logged
    assert "signing failed for ******************" in logged
    assert number not in logged
    assert "13805261234" not in logged
