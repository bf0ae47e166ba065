"""Every endpoint names the roles it admits; the others are refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api import create_app
from approval.access.service import FailedAuthentications
from approval.migrate import upgrade_to_head
from approval.settings import Settings
from tests.conftest import submit
from tests.fixtures import application_for
from tests.fixtures.clock import Clock

ALL_ROLES = {"terminal", "mobile", "staff", "rule_admin", "supervisor"}


@pytest.mark.parametrize("role", sorted(ALL_ROLES - {"terminal", "mobile", "staff"}))
def test_only_applicant_channels_and_staff_submit(
    client: TestClient, keys: dict[str, str], role: str
) -> None:
    response = submit(client, keys[role], application_for("clean_owner"))
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


@pytest.mark.parametrize("role", sorted(ALL_ROLES - {"terminal", "mobile", "staff"}))
def test_reading_and_licences_refuse_other_roles(
    client: TestClient, keys: dict[str, str], role: str
) -> None:
    created = submit(client, keys["terminal"], application_for("clean_owner")).json()
    headers = {"Authorization": f"Bearer {keys[role]}"}
    for path in (
        f"/v1/applications/{created['id']}",
        created["licence"]["json"],
        created["licence"]["pdf"],
    ):
        assert client.get(path, headers=headers).status_code == 403


def test_no_key_or_a_wrong_key_is_unauthenticated(client: TestClient, keys: dict[str, str]) -> None:
    assert client.post("/v1/applications", json={}).status_code == 401
    response = client.get("/v1/applications/x", headers={"Authorization": "Bearer mpk_nope"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_mobile_submits_only_for_its_own_applicant(
    client: TestClient, keys: dict[str, str]
) -> None:
    assert submit(client, keys["mobile"], application_for("clean_owner")).status_code == 201
    other = submit(client, keys["mobile"], application_for("clean_tenant"))
    assert other.status_code == 403


def test_mobile_cannot_read_someone_elses_application(
    client: TestClient, keys: dict[str, str]
) -> None:
    created = submit(client, keys["staff"], application_for("clean_tenant")).json()
    response = client.get(
        f"/v1/applications/{created['id']}", headers={"Authorization": f"Bearer {keys['mobile']}"}
    )
    assert response.status_code == 404


def test_verification_and_signing_key_are_public(client: TestClient, keys: dict[str, str]) -> None:
    created = submit(client, keys["terminal"], application_for("clean_owner")).json()
    assert client.get(f"/v1/verify/{created['licence']['credit_code']}").status_code == 200
    assert client.get("/v1/licence-signing-key").status_code == 200
    assert client.get("/v1/verify/92321202MA0000000X").status_code == 404


@pytest.fixture
def strict(settings: Settings) -> Iterator[TestClient]:
    """An app that answers 429 after three wrong keys a minute from one address."""
    upgrade_to_head(settings.database_url)
    limited = settings.model_copy(
        update={"auth_failure_limit": 3, "auth_failure_window_seconds": 60.0}
    )
    with TestClient(create_app(limited), client=("203.0.113.7", 5000)) as test_client:
        yield test_client


def test_wrong_keys_from_one_address_are_refused_with_429(
    strict: TestClient, keys: dict[str, str]
) -> None:
    wrong = {"Authorization": "Bearer mpk_terminal_guess"}
    good = {"Authorization": f"Bearer {keys['terminal']}"}
    assert strict.get("/v1/applications", headers=good).status_code == 200
    for _ in range(3):
        assert strict.get("/v1/applications", headers=wrong).status_code == 401
    for response in (
        strict.get("/v1/applications", headers=wrong),
        strict.get("/v1/applications", headers=good),  # no more trying from here, good or not
        strict.post("/v1/applications", json={}, headers=good),  # a body: refused unread
    ):
        assert response.status_code == 429
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "too_many_failed_authentications"
        assert 1 <= int(response.headers["retry-after"]) <= 60
    # public pages stay open, and another address is not held back
    assert strict.get("/v1/licence-signing-key").status_code == 200
    other = TestClient(strict.app, client=("198.51.100.9", 5000))
    assert other.get("/v1/applications", headers=good).status_code == 200


def test_a_failure_window_passes_and_addresses_are_bounded() -> None:
    clock = Clock()
    failures = FailedAuthentications(2, 60.0, addresses=100, clock=clock)
    failures.record("a")
    assert failures.retry_after("a") is None
    failures.record("a")
    assert failures.retry_after("a") == 60
    clock.now += 59.5
    assert failures.retry_after("a") == 1
    clock.now += 0.5
    assert failures.retry_after("a") is None
    failures.record("a")  # a new window
    assert failures.retry_after("a") is None
    for n in range(10_000):
        failures.record(f"10.0.{n // 256}.{n % 256}")
    assert len(failures) <= 100
