"""Listing applications: each caller sees only what it may, newest first, page by page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import submit
from tests.fixtures import application_for, personas


def _list(client: TestClient, key: str, **params: object) -> dict[str, object]:
    response = client.get(
        "/v1/applications", params=params, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_each_caller_sees_its_own_applications(client: TestClient, keys: dict[str, str]) -> None:
    mine = [
        submit(client, keys["terminal"], application_for("clean_owner", employees=n)).json()["id"]
        for n in range(3)
    ]
    other = submit(client, keys["staff"], application_for("clean_tenant")).json()["id"]
    owner = personas()["clean_owner"]["id_number"]

    terminal = _list(client, keys["terminal"])["items"]
    assert [a["id"] for a in terminal] == list(reversed(mine))  # type: ignore[index]
    assert all(a["operator_id_number"] != owner for a in terminal)  # type: ignore[index]

    mobile = _list(client, keys["mobile"])["items"]
    assert {a["id"] for a in mobile} == set(mine)  # type: ignore[index]
    assert all(a["operator_id_number"] == owner for a in mobile)  # type: ignore[index]

    staff = _list(client, keys["staff"])["items"]
    assert {a["id"] for a in staff} == {*mine, other}  # type: ignore[index]


def test_pages_and_filters(client: TestClient, keys: dict[str, str]) -> None:
    for n in range(5):
        submit(client, keys["terminal"], application_for("clean_owner", employees=n))
    submit(client, keys["terminal"], application_for("child_15"))
    first = _list(client, keys["staff"], limit=4)
    assert len(first["items"]) == 4  # type: ignore[arg-type]
    rest = _list(client, keys["staff"], limit=4, before=first["next_before"])
    assert len(rest["items"]) == 2  # type: ignore[arg-type]
    assert rest["next_before"] is None
    seen = [a["id"] for a in first["items"] + rest["items"]]  # type: ignore[operator]
    assert len(set(seen)) == 6
    decided = _list(client, keys["staff"], status="decided")["items"]
    assert [a["decision"] for a in decided] == ["reject"]  # type: ignore[index]


def test_other_roles_are_refused(client: TestClient, keys: dict[str, str]) -> None:
    for role in ("rule_admin", "supervisor"):
        response = client.get("/v1/applications", headers={"Authorization": f"Bearer {keys[role]}"})
        assert response.status_code == 403
