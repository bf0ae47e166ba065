"""The review queue's typed answers are what the service renders, byte for byte."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.testclient import TestClient

from approval.review import service
from tests.conftest import TODAY, submit
from tests.fixtures import application_for
from tests.supervision.support import auth, install_clock


def _documented(client: TestClient, path: str, method: str, model: str) -> None:
    operation = client.get("/openapi.json").json()["paths"][path][method]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": f"#/components/schemas/{model}"}


def test_the_queue_and_a_case_answer_what_the_service_rendered(
    client: TestClient, keys: dict[str, str]
) -> None:
    clock = install_clock(client, TODAY)
    created = submit(client, keys["terminal"], application_for("dishonest")).json()
    assert created["decision"] == "manual_review"
    staff = auth(keys["staff"])
    claimed = client.post(f"/v1/review/cases/{created['id']}/claim", headers=staff)
    queue = client.get("/v1/review/cases", headers=staff)
    case = client.get(f"/v1/review/cases/{created['id']}", headers=staff)
    context: Any = client.app.state.context  # type: ignore[attr-defined]
    with context.db.transaction() as conn:
        items = service.list_queue(conn, clock.today(), context.calendar, False)
        view = service.view(conn, created["id"], context.ruleset, clock.today(), context.calendar)
    assert queue.content == orjson.dumps({"total": len(items), "items": items})
    assert case.content == orjson.dumps(view)
    assert claimed.content == case.content
    assert all(view[part] for part in ("timeline", "explanation", "registry_answers"))
    _documented(client, "/v1/review/cases", "get", "ReviewQueue")
    _documented(client, "/v1/review/cases/{application_id}", "get", "ReviewCaseRead")
    _documented(client, "/v1/review/cases/{application_id}/claim", "post", "ReviewCaseRead")


def test_an_extension_and_a_decision_keep_their_fields(
    client: TestClient, keys: dict[str, str]
) -> None:
    install_clock(client, TODAY)
    created = submit(client, keys["terminal"], application_for("dishonest")).json()
    staff = auth(keys["staff"])
    base = f"/v1/review/cases/{created['id']}"
    client.post(f"{base}/claim", headers=staff)
    extended = client.post(
        f"{base}/extension", headers=staff, json={"approved_by": "科长", "reason": "需核实"}
    ).json()
    assert extended == {"application_id": created["id"], "due_on": "2026-12-04", "extended": True}
    decided = client.post(
        f"{base}/decision", headers=staff, json={"decision": "reject", "reasons": ["失信"]}
    ).json()
    assert list(decided.items()) == [
        ("application_id", created["id"]),
        ("status", "decided"),
        ("decision", "reject"),
        ("credit_code", None),
        ("conditions", []),
    ]
    _documented(client, "/v1/review/cases/{application_id}/extension", "post", "ReviewExtension")
    _documented(client, "/v1/review/cases/{application_id}/decision", "post", "ReviewDecision")
