"""The scope catalogue for clients: `GET /v1/catalog/scope`, public, paged and searchable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from approval.catalog import ScopeCatalog, load_scope_catalog
from approval.decisions.facts import licence_conditions
from approval.kernel.application import ApplicationCreate
from tests.fixtures import application_for

SHIPPED = Path(__file__).resolve().parents[2] / "rules" / "catalog" / "scope.yaml"


@pytest.fixture(scope="module")
def catalog() -> ScopeCatalog:
    return load_scope_catalog(SHIPPED)


def scope(client: TestClient, **params: Any) -> Any:
    response = client.get("/v1/catalog/scope", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_whole_catalogue_is_listed_page_by_page_without_a_key(
    client: TestClient, catalog: ScopeCatalog
) -> None:
    codes: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = scope(client, limit=50, offset=offset)
        assert page["total"] == len(catalog)
        assert len(page["items"]) <= 50
        codes += [entry["code"] for entry in page["items"]]
        offset = page["next_offset"]
    assert codes == [item.code for item in catalog]


def test_an_entry_names_its_kind_tags_permit_authority_and_condition(client: TestClient) -> None:
    (entry,) = scope(client, q="H2001")["items"]
    assert entry == {
        "code": "H2001",
        "title": "餐饮服务",
        "kind": "post_permit",
        "tags": ["food", "fumes", "physical_premises_required"],
        "permit": "食品经营许可证",
        "authority": "市场监督管理局",
        "basis": "《食品安全法》第三十五条",
        "aliases": entry["aliases"],
        "licence_condition": "餐饮服务：取得食品经营许可证后方可开展经营活动（市场监督管理局）",
    }
    general = scope(client, q="F1001")["items"][0]
    assert (general["kind"], general["permit"], general["licence_condition"]) == (
        "general",
        None,
        None,
    )


@pytest.mark.parametrize("code", ["H2001", "F2001", "F2002"])
def test_the_condition_is_the_one_a_licence_carries(
    client: TestClient, catalog: ScopeCatalog, code: str
) -> None:
    app = ApplicationCreate.model_validate({**application_for("clean_owner"), "scope": [code]})
    (on_licence,) = licence_conditions(app, catalog, residential=False)
    (entry,) = [e for e in scope(client, q=code)["items"] if e["code"] == code]
    assert entry["licence_condition"] == on_licence


def test_search_finds_by_code_wording_alias_and_authority(client: TestClient) -> None:
    def codes(q: str) -> set[str]:
        return {entry["code"] for entry in scope(client, q=q, limit=200)["items"]}

    assert codes("h2001") == {"H2001"}
    assert "H2001" in codes("餐饮服务")
    assert "F2001" in codes("小卖部")  # an alias
    assert "F2002" in codes("食品经营许可证")  # the permit
    assert codes("没有这样的经营范围") == set()


def test_kind_filters_and_paging_is_bounded(client: TestClient) -> None:
    closed = scope(client, kind="closed", limit=200)
    assert closed["total"] >= 6
    assert {entry["kind"] for entry in closed["items"]} == {"closed"}
    last = scope(client, limit=5, offset=closed["total"] - 2, kind="closed")
    assert (len(last["items"]), last["next_offset"]) == (2, None)
    assert scope(client, offset=5000)["items"] == []
    for params in ({"limit": 0}, {"limit": 201}, {"offset": -1}, {"q": "x" * 51}):
        refused = client.get("/v1/catalog/scope", params=params)
        assert refused.status_code == 422, params
        assert refused.headers["content-type"].startswith("application/problem+json")


def test_the_answer_is_documented_by_its_read_model(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    operation = document["paths"]["/v1/catalog/scope"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/ScopeCatalogPage"}
    entry = document["components"]["schemas"]["ScopeEntryRead"]
    assert all(prop.get("description") for prop in entry["properties"].values())
    assert "security" not in operation
