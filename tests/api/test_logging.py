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


def test_an_unexpected_error_is_answered_and_logged_once_redacted(
    client: TestClient,
    keys: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = application_for("clean_owner")
    number = body["operator"]["id_number"]

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"signing failed for {number[1:17]} ({number}), call 13805261234")

    monkeypatch.setattr("approval.licences.service.issue_licence", broken)
    caplog.set_level(logging.DEBUG)
    # the app answers and does not raise: a server logs every error an app raises, unredacted
    response = submit(client, keys["terminal"], body, idempotency_key="broken-1")
    assert response.status_code == 500
    problem = response.json()
    assert problem["code"] == "internal_error"
    assert "Idempotency-Key" in problem["detail"]
    assert "不会丢失" not in problem["detail"]  # nothing was kept: no promise that it was
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    logged = errors[0].getMessage()
    assert "RuntimeError: signing failed for **************** (******************)" in logged
    assert not any(number[i : i + 6] in logged for i in range(13))
    assert "13805261234" not in logged
