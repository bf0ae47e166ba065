"""An objection's typed answers are what the service renders, byte for byte, at every stage."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from fastapi.testclient import TestClient

from approval.kernel.principal import Principal, Role
from approval.objections import repository, service
from tests.conftest import TODAY, submit
from tests.fixtures import application_for, personas
from tests.supervision.support import auth, install_clock

STAFF = Principal("staff", Role.STAFF, None)


def _documented(client: TestClient, path: str, method: str, status: str, model: str) -> None:
    operation = client.get("/openapi.json").json()["paths"][path][method]
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    assert schema == {"$ref": f"#/components/schemas/{model}"}


def _rendered(client: TestClient, objection_id: str, principal: Principal = STAFF) -> bytes:
    context: Any = client.app.state.context  # type: ignore[attr-defined]
    with context.db.reading() as conn:
        row = repository.get(conn, objection_id)
        assert row is not None
        return orjson.dumps(service.render(row, context.clock.today(), principal))


def test_every_objection_answer_is_the_rendered_objection(
    client: TestClient, keys: dict[str, str]
) -> None:
    clock = install_clock(client, TODAY)
    registration = submit(client, keys["terminal"], application_for("clean_owner")).json()
    filed = client.post(
        "/v1/objections",
        headers=auth(keys["mobile"]),
        json={"credit_code": registration["licence"]["credit_code"], "grounds": "本人未申请"},
    )
    assert filed.status_code == 201, filed.text
    objection_id = filed.json()["id"]
    objector = Principal("mobile", Role.MOBILE, personas()["clean_owner"]["id_number"])
    assert filed.content == _rendered(client, objection_id, objector)
    assert filed.json()["application_id"] is None  # only staff see it
    _documented(client, "/v1/objections", "post", "201", "ObjectionRead")
    staff = auth(keys["staff"])
    base = f"/v1/objections/{objection_id}"
    responsible = {"id_number": personas()["clean_tenant"]["id_number"]}
    steps: list[tuple[str, dict[str, Any]]] = [
        ("/acceptance", {"accept": True, "reason": "身份核验通过"}),
        ("/public-notice", {"reason": "无法联系登记申请人"}),
        ("/investigation", {"finding": "impersonation_confirmed", "reason": "人脸不符"}),
        ("/legal-review", {"opinion": "agree", "reason": "事实清楚"}),
        ("/decision", {"decision": "revoke", "reason": "撤销", "responsible_person": responsible}),
        ("/annulment", {"reason": "撤销决定有误"}),
    ]
    for step, body in steps:
        if step == "/investigation":
            clock.set_date(dt.date(2027, 1, 11))  # after the public notice
        response = client.post(base + step, headers=staff, json=body)
        assert response.status_code == 200, response.text
        assert response.content == _rendered(client, objection_id)
        _documented(client, "/v1/objections/{objection_id}" + step, "post", "200", "ObjectionRead")
    history = response.json()["history"]
    assert history[0]["at"][-6:] == "+08:00"  # the offset, not pydantic's "Z"
    # a step keeps what it decided beside its common fields
    assert history[-2]["banned_until"] == "2030-01-11"
    read = client.get(base, headers=staff)
    assert read.content == _rendered(client, objection_id)
    _documented(client, "/v1/objections/{objection_id}", "get", "200", "ObjectionRead")


def test_the_open_list_and_the_evidence_answer_what_the_service_returned(
    client: TestClient, keys: dict[str, str]
) -> None:
    install_clock(client, TODAY)
    registration = submit(client, keys["terminal"], application_for("clean_owner")).json()
    filed = client.post(
        "/v1/objections",
        headers=auth(keys["mobile"]),
        json={"credit_code": registration["licence"]["credit_code"], "grounds": "本人未申请"},
    ).json()
    staff = auth(keys["staff"])
    listing = client.get("/v1/objections", headers=staff)
    evidence = client.get(f"/v1/objections/{filed['id']}/evidence", headers=staff)
    context: Any = client.app.state.context  # type: ignore[attr-defined]
    with context.db.reading() as conn:
        items = service.list_open(conn, STAFF, context.clock.today(), False)
        found = service.evidence(conn, STAFF, filed["id"])
    assert listing.content == orjson.dumps({"items": items})
    assert evidence.content == orjson.dumps(found)
    assert found["audit_records"][0]["id"]
    _documented(client, "/v1/objections", "get", "200", "ObjectionList")
    _documented(client, "/v1/objections/{objection_id}/evidence", "get", "200", "ObjectionEvidence")
