"""The audit export's typed answer is the chain as the service exports it, byte for byte."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.testclient import TestClient

from approval.audit.service import export_chain
from tests.conftest import submit
from tests.fixtures import application_for
from tests.supervision.support import auth


def test_the_audit_export_answers_the_chain_as_exported(
    client: TestClient, keys: dict[str, str]
) -> None:
    created = submit(client, keys["terminal"], application_for("clean_owner")).json()
    response = client.get(f"/v1/audit/applications/{created['id']}", headers=auth(keys["staff"]))
    context: Any = client.app.state.context  # type: ignore[attr-defined]
    with context.db.reading() as conn:
        exported = export_chain(conn, created["id"], context.signer)
    assert response.content == orjson.dumps(exported)
    operation = client.get("/openapi.json").json()["paths"][
        "/v1/audit/applications/{application_id}"
    ]
    schema = operation["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/AuditExport"}
