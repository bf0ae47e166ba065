"""Arbitrary bodies never produce a server error, refused bodies store nothing, and what
schemathesis generates from the served OpenAPI document gets only documented answers."""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import func, select

from approval.database import Database, applications
from tests.fixtures import application_for

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


def _mutations() -> st.SearchStrategy[Any]:
    base = application_for("clean_owner")
    keys = sorted(base)
    return st.builds(lambda key, value: {**base, key: value}, st.sampled_from(keys), JSON)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.one_of(JSON, _mutations()))
def test_no_body_produces_a_server_error(
    client: TestClient, keys: dict[str, str], body: Any
) -> None:
    response = client.post(
        "/v1/applications",
        content=json.dumps(body),
        headers={"Authorization": f"Bearer {keys['staff']}", "Content-Type": "application/json"},
    )
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"]


def test_refused_bodies_store_nothing(
    client: TestClient, keys: dict[str, str], settings: Any
) -> None:
    for body in (b"{", b"[]", json.dumps({"operator": None}).encode()):
        response = client.post(
            "/v1/applications",
            content=body,
            headers={
                "Authorization": f"Bearer {keys['staff']}",
                "Content-Type": "application/json",
            },
        )
        assert response.status_code == 422
    db = Database(settings.database_url)
    try:
        with db.transaction() as conn:
            assert conn.execute(select(func.count()).select_from(applications)).scalar_one() == 0
    finally:
        db.dispose()


SUBMIT_OPERATIONS = [
    ("POST", "/v1/applications"),
    ("POST", "/v1/bundles/{bundle_code}/applications"),
]


@pytest.mark.parametrize(("method", "path"), SUBMIT_OPERATIONS)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_generated_submissions_get_documented_answers_and_no_server_error(
    client: TestClient,
    keys: dict[str, str],
    method: str,
    path: str,
    mode: GenerationMode,
) -> None:
    """Schemathesis, from the served document: every answer is documented, none is a 5xx."""
    schema = schemathesis.openapi.from_dict(client.get("/openapi.json").json())
    operation = schema[path][method]
    overrides = {"bundle_code": "BUNDLE-RESTAURANT"} if "{bundle_code}" in path else None

    @settings(
        max_examples=25,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(mode, path_parameters=overrides))
    def exchange(case: Case) -> None:
        response = _send(client, case, keys["staff"])
        case.validate_response(response, checks=[not_a_server_error, status_code_conformance])

    exchange()


def _send(client: TestClient, case: Case, key: str) -> Any:
    headers = {name: str(value) for name, value in (case.headers or {}).items()}
    headers["Authorization"] = f"Bearer {key}"
    content = None
    if isinstance(case.body, bytes):
        content = case.body
    elif not isinstance(case.body, NotSet):
        content = json.dumps(case.body).encode()
    if content is not None:
        headers["Content-Type"] = "application/json"
    return client.request(
        case.method, case.formatted_path, headers=headers, params=case.query, content=content
    )


@pytest.mark.parametrize(
    ("path", "path_parameters", "body"),
    [
        ("/v1/applications", None, application_for("clean_owner")),
        (
            "/v1/bundles/{bundle_code}/applications",
            {"bundle_code": "BUNDLE-RESTAURANT"},
            {
                "application": application_for(
                    "clean_owner",
                    scope=["H2001"],
                    commitments={"truthfulness": True, "no_trading_before_permit": True},
                )
            },
        ),
    ],
)
def test_a_decided_submission_answers_as_documented(
    client: TestClient,
    keys: dict[str, str],
    path: str,
    path_parameters: dict[str, str] | None,
    body: dict[str, Any],
) -> None:
    schema = schemathesis.openapi.from_dict(client.get("/openapi.json").json())
    case = schema[path]["POST"].Case(
        body=body, path_parameters=path_parameters, headers={"Idempotency-Key": "documented-1"}
    )
    response = _send(client, case, keys["terminal"])
    assert response.status_code == 201, response.text
    case.validate_response(
        response,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
