"""Service guides over HTTP: JSON, a readable page with a QR code, and the QR wall."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from fastapi.testclient import TestClient


def test_catalog_search_is_public(client: TestClient) -> None:
    body = client.get("/v1/catalog/items", params={"q": "个体工商户"}).json()
    assert body["count"] == 3
    assert {i["code"] for i in body["items"]} == {"SCJG-GT-001", "SCJG-GT-002", "SCJG-GT-003"}


def test_catalog_search_over_http_finds_the_words_people_use(client: TestClient) -> None:
    for words, item in (
        ("营业执照", "SCJG-GT-001"),
        ("餐饮", "SCJG-SP-001"),
        ("饭店", "SCJG-SP-001"),
    ):
        body = client.get("/v1/catalog/items", params={"q": words}).json()
        assert item in [i["code"] for i in body["items"]], words


def test_guide_as_json_separates_fetched_materials(client: TestClient) -> None:
    guide = client.get("/v1/catalog/items/SCJG-GT-001").json()
    assert guide["department_name"] == "泰州市市场监督管理局"
    assert "经营场所使用证明" in guide["materials_fetched"]
    assert "经营场所使用证明" not in guide["materials_asked"]
    assert guide["guide_url"].endswith("/v1/catalog/items/SCJG-GT-001/guide")


def test_guide_page_is_readable_html_with_a_qr_code(client: TestClient) -> None:
    page = client.get("/v1/catalog/items/SCJG-SP-001/guide")
    assert page.headers["content-type"].startswith("text/html")
    assert "食品经营许可" in page.text
    assert "办事指南" in page.text
    assert "<svg" in page.text
    assert "10 个工作日" in page.text


def test_qr_code_is_an_svg(client: TestClient) -> None:
    response = client.get("/v1/catalog/items/SCJG-GT-001/qr.svg")
    assert response.headers["content-type"] == "image/svg+xml"
    assert ET.fromstring(response.content).tag.endswith("svg")


def test_qr_wall_has_a_card_per_item(client: TestClient) -> None:
    items = client.get("/v1/catalog/items").json()["count"]
    page = client.get("/v1/catalog/qr-wall").text
    assert page.count('class="card"') == items


def test_unknown_item_is_a_problem(client: TestClient) -> None:
    response = client.get("/v1/catalog/items/NOPE-001")
    assert response.status_code == 404
    assert response.json()["code"] == "catalog_item_not_found"


def test_halls_and_bundles_are_listed(client: TestClient) -> None:
    halls = client.get("/v1/catalog/halls").json()["halls"]
    assert {h["level"] for h in halls} == {"city", "township", "village", "bank"}
    assert len([h for h in halls if h["level"] == "township"]) == 20
    bundles = client.get("/v1/catalog/bundles").json()["bundles"]
    assert "食品经营许可" in bundles[0]["item_names"]
