"""Every endpoint names the roles it admits; the others are refused."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import submit
from tests.fixtures import application_for

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
