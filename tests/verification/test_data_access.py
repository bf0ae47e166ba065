"""The exchange log and the applicant's data-access list (in-process stub registries)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from approval.kernel.principal import Role
from approval.verification.tables import registry_exchanges
from tests.conftest import submit
from tests.fixtures import application_for, personas


def _get(client: TestClient, key: str | None, path: str = "/v1/me/data-access") -> Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.get(path, headers=headers)


def test_one_exchange_row_per_registry_query_with_the_application_id(
    client: TestClient, keys: dict[str, str]
) -> None:
    body = submit(client, keys["mobile"], application_for("clean_owner")).json()
    with client.app.state.context.db.reading() as conn:
        rows = list(conn.execute(select(registry_exchanges)))
    assert sorted(r.registry for r in rows) == ["food", "market", "population", "realestate"]
    assert {r.application_id for r in rows} == {body["id"]}
    assert {r.subject_id_number for r in rows} == {personas()["clean_owner"]["id_number"]}
    assert all(r.status == "ok" and len(r.request_hash) == 64 for r in rows)
    assert all(r.response_hash and r.legal_basis for r in rows)


def test_the_applicant_sees_who_queried_about_them_and_why(
    client: TestClient, keys: dict[str, str]
) -> None:
    body = submit(client, keys["terminal"], application_for("clean_owner")).json()
    submit(client, keys["terminal"], application_for("banned"))  # someone else
    response = _get(client, keys["mobile"])
    assert response.status_code == 200
    items = response.json()["items"]
    assert sorted(i["registry"] for i in items) == ["food", "market", "population", "realestate"]
    assert {i["application_id"] for i in items} == {body["id"]}
    realestate = next(i for i in items if i["registry"] == "realestate")
    assert "不动产登记暂行条例" in realestate["legal_basis"]
    assert realestate["registry_name"] == "不动产登记系统"
    assert realestate["result"] == "已答复"
    assert realestate["at"]
    population = next(i for i in items if i["registry"] == "population")
    assert population["registry_name"] == "公安人口信息库（实名核验）"
    assert "第十六条" in population["legal_basis"]


@pytest.mark.parametrize("role", [r for r in Role if r != Role.MOBILE])
def test_only_the_applicant_key_reads_the_data_access_list(
    client: TestClient, keys: dict[str, str], role: Role
) -> None:
    assert _get(client, keys[role.value]).status_code == 403


def test_the_data_access_list_needs_a_key(client: TestClient) -> None:
    assert _get(client, None).status_code == 401


def test_metrics_are_exposed_for_prometheus(client: TestClient, keys: dict[str, str]) -> None:
    submit(client, keys["terminal"], application_for("clean_owner"))
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'miaopi_registry_requests_total{outcome="ok",registry="market"}' in response.text
    assert "miaopi_registry_request_seconds_bucket" in response.text
