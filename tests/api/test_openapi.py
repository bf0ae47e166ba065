"""The OpenAPI document tells clients the truth: schemas, security, problems and media types."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from api import create_app
from approval.settings import Settings

PROBLEM_JSON = "application/problem+json"
PUBLIC = {
    ("get", "/healthz"),
    ("get", "/v1/catalog/items"),
    ("get", "/v1/verify/{credit_code}"),
    ("get", "/v1/licence-signing-key"),
    ("get", "/v1/stats"),
    ("get", "/v1/stats/page"),
}


@pytest.fixture
def document(settings: Settings) -> dict[str, Any]:
    return create_app(settings).openapi()


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict), f"{ref} does not resolve"
        assert part in node, f"{ref} does not resolve"
        node = node[part]
    return node


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield method, path, operation


def test_every_ref_resolves_in_the_served_document(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    refs = set(_refs(document))
    assert "#/components/schemas/ApplicationCreate" in refs
    assert "#/components/schemas/BundleCreate" in refs
    for ref in refs:
        _resolve(document, ref)


def test_submit_bodies_are_described_by_their_components(document: dict[str, Any]) -> None:
    for path, model in (
        ("/v1/applications", "ApplicationCreate"),
        ("/v1/bundles/{bundle_code}/applications", "BundleCreate"),
    ):
        body = document["paths"][path]["post"]["requestBody"]
        assert body["required"] is True
        assert body["content"]["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/{model}"
        }
    operator = _resolve(document, "#/components/schemas/OperatorIn")
    assert "id_number" in operator["properties"]


def test_the_api_key_is_declared_where_it_is_checked(document: dict[str, Any]) -> None:
    scheme = document["components"]["securitySchemes"]["ApiKey"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer"}
    for method, path, operation in _operations(document):
        if (method, path) in PUBLIC or path.startswith("/v1/catalog"):
            assert "security" not in operation, (method, path)
            assert "401" not in operation["responses"], (method, path)
        else:
            assert operation["security"] == [{"ApiKey": []}], (method, path)
            assert {"401", "403", "429"} <= set(operation["responses"]), (method, path)


def test_every_refusal_is_documented_as_problem_json(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert {"type", "title", "status", "detail", "code"} <= set(schemas["Problem"]["properties"])
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            model = "ValidationProblem" if status == "422" else "Problem"
            assert response["content"] == {
                PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{model}"}}
            }, (method, path, status)
        if "requestBody" in operation:
            assert {"413", "415", "422"} <= set(operation["responses"]), (method, path)


def test_each_operation_documents_its_business_refusals(document: dict[str, Any]) -> None:
    paths = document["paths"]
    submit = paths["/v1/applications"]["post"]["responses"]
    assert {"201", "403", "409", "422", "428"} <= set(submit)
    bundle = paths["/v1/bundles/{bundle_code}/applications"]["post"]["responses"]
    assert {"201", "404", "409", "422", "428"} <= set(bundle)
    assert "404" in paths["/v1/applications/{application_id}"]["get"]["responses"]
    assert "409" in paths["/v1/keys/{key_id}/revoke"]["post"]["responses"]
    assert {"404", "409"} <= set(
        paths["/v1/applications/{application_id}/rating"]["post"]["responses"]
    )


def test_pages_images_and_files_have_their_media_types(document: dict[str, Any]) -> None:
    def media_types(path: str) -> set[str]:
        return set(document["paths"][path]["get"]["responses"]["200"]["content"])

    assert media_types("/v1/licences/{credit_code}/pdf") == {"application/pdf"}
    assert media_types("/v1/catalog/items/{code}/qr.svg") == {"image/svg+xml"}
    assert media_types("/v1/catalog/items/{code}/guide") == {"text/html"}
    assert media_types("/v1/stats/page") == {"text/html"}
    assert media_types("/v1/verify/{credit_code}") == {"application/json", "text/html"}


def test_the_echo_baseline_is_not_in_the_document(
    document: dict[str, Any], client: TestClient
) -> None:
    assert "/v1/echo" not in document["paths"]
    assert client.post("/v1/echo", json={"number": 1, "text": "a"}).json() == {
        "number": 1,
        "text": "a",
    }


def test_a_refusal_has_the_documented_problem_shape(
    document: dict[str, Any], client: TestClient
) -> None:
    response = client.get("/v1/catalog/items/no-such-item")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    required = set(document["components"]["schemas"]["Problem"]["required"])
    assert required <= set(response.json())


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "spec-url") and value:
                self.urls.append(value)


def _page_assets(html: str) -> list[str]:
    parser = _Assets()
    parser.feed(html)
    # Swagger UI is started by an inline script naming the document's URL
    return parser.urls + re.findall(r"""url: ['"]([^'"]+)['"]""", html)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_load_everything_from_the_app_itself(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    assets = _page_assets(response.text)
    assert any(url.endswith(".js") for url in assets), assets
    assert "/openapi.json" in assets
    for url in assets:
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("", ""), f"{page} loads {url} from elsewhere"
        fetched = client.get(url)
        assert fetched.status_code == 200, url
        assert fetched.content, url
    assert not re.search(r"https?://", response.text), "the page names another host"
