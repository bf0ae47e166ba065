"""Arbitrary bodies never produce a server error, and refused bodies store nothing."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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
