"""Identifiers are canonical ASCII at intake: a look-alike digit never slips past a list, and
what is stored is what the lists, bans, objections and key subjects compare."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from approval.access.service import create_key
from approval.database import applications
from approval.kernel.identifiers import (
    parse_district_code,
    parse_mobile,
    parse_property_certificate,
)
from approval.kernel.identity import check_id_number
from tests.conftest import TODAY, submit
from tests.fixtures import application_for, personas


def _online(persona: str, **changes: Any) -> dict[str, Any]:
    body = application_for(persona, **changes)
    body["premises"] = {
        "kind": "online",
        "address": "江苏省泰州市海陵区凤凰路18号",
        "district_code": "321202",
        "shop_url": "https://shop.example.cn/a",
    }
    body["commitments"]["e_commerce"] = True
    return body


def _count(client: TestClient) -> int:
    db = client.app.state.context.db  # type: ignore[attr-defined]
    with db.reading() as conn:
        return int(conn.execute(select(func.count()).select_from(applications)).scalar_one())


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.mark.parametrize("persona", ["banned", "dishonest", "watched"])
def test_an_arabic_indic_digit_is_refused_and_stores_nothing(
    client: TestClient, keys: dict[str, str], persona: str
) -> None:
    number = personas()[persona]["id_number"]
    at = next(i for i, c in enumerate(number) if c == "3")
    lookalike = number[:at] + "\u0663" + number[at + 1 :]
    before = _count(client)
    answer = submit(client, keys["terminal"], _online(persona, operator__id_number=lookalike))
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["errors"][0]["field"] == "operator.id_number"
    assert body["errors"][0]["code"] == "identifier_characters"
    assert "证件号码" in body["errors"][0]["message"]
    assert _count(client) == before


@pytest.mark.parametrize("persona", ["banned", "dishonest", "watched"])
def test_a_full_width_id_is_the_same_person(
    client: TestClient, keys: dict[str, str], persona: str
) -> None:
    typed = _full_width(personas()[persona]["id_number"])
    plain = submit(client, keys["terminal"], _online(persona)).json()
    wide = submit(client, keys["terminal"], _online(persona, operator__id_number=typed))
    assert wide.status_code == 201, wide.text
    assert wide.json()["decision"] == plain["decision"] != "approve"
    assert [r["code"] for r in wide.json()["reasons"]] == [r["code"] for r in plain["reasons"]]
    staff = {"Authorization": f"Bearer {keys['staff']}"}
    stored = client.get(f"/v1/applications/{wide.json()['id']}", headers=staff).json()
    assert stored["operator_id_number"] == personas()[persona]["id_number"]


@pytest.mark.parametrize("digit", ["\u00b3", "\u2462", "\u2153"])
@pytest.mark.parametrize("field", ["operator", "family"])
def test_superscript_and_circled_digits_are_a_422_not_a_500(
    client: TestClient, keys: dict[str, str], digit: str, field: str
) -> None:
    body = application_for("clean_owner")
    number = personas()["clean_owner"]["id_number"]
    odd = digit + number[1:]
    if field == "operator":
        body["operator"]["id_number"] = odd
        where = "operator.id_number"
    else:
        body["organisation_form"] = "family"
        body["family_members"] = [{"name": "周梅", "id_number": odd}]
        where = "family_members.0.id_number"
    before = _count(client)
    answer = submit(client, keys["terminal"], body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == where
    assert _count(client) == before


@pytest.mark.parametrize(
    ("dotted", "value"),
    [
        ("identity_evidence__face_match_score", True),
        ("identity_evidence__face_match_score", "0.96"),
        ("identity_evidence__liveness_passed", "yes"),
        ("identity_evidence__liveness_passed", 1),
        ("commitments__truthfulness", "true"),
        ("employees", 2.0),
        ("employees", "2"),
        ("capital_yuan", True),
        ("name", "泰州市海陵区\u3164百货店"),
        ("operator__name", "周\u200d兵"),
        ("premises__address", "江苏省泰州市\ufe0f海陵区凤凰路18号"),
    ],
)
def test_scores_booleans_counts_and_text_are_strict(
    client: TestClient, keys: dict[str, str], dotted: str, value: object
) -> None:
    before = _count(client)
    answer = submit(client, keys["terminal"], application_for("clean_owner", **{dotted: value}))
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == dotted.replace("__", ".")
    assert _count(client) == before


IDENTIFIER_FIELDS = [
    "operator__id_number",
    "operator__mobile",
    "contact__mobile",
    "premises__district_code",
    "premises__property_certificate_number",
]


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(dotted=st.sampled_from(IDENTIFIER_FIELDS), raw=st.text(max_size=30))
def test_any_unicode_in_an_identifier_is_a_4xx_or_a_stored_ascii_identifier(
    client: TestClient, keys: dict[str, str], dotted: str, raw: str
) -> None:
    answer = submit(client, keys["staff"], application_for("clean_owner", **{dotted: raw}))
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        return
    db = client.app.state.context.db  # type: ignore[attr-defined]
    with db.reading() as conn:
        row = conn.execute(
            select(applications.c.operator_id_number, applications.c.payload).where(
                applications.c.id == answer.json()["id"]
            )
        ).one()
    payload = row.payload
    assert row.operator_id_number.isascii()
    assert check_id_number("resident_id", row.operator_id_number, TODAY).number == (
        row.operator_id_number
    )
    assert payload["operator"]["id_number"] == row.operator_id_number
    for mobile in (payload["operator"]["mobile"], payload["contact"]["mobile"]):
        assert parse_mobile(mobile) == mobile
        assert mobile.isascii()
    premises = payload["premises"]
    assert parse_district_code(premises["district_code"]) == premises["district_code"]
    certificate = premises["property_certificate_number"]
    assert parse_property_certificate(certificate) == certificate


def test_a_mobile_key_bound_with_a_full_width_id_serves_its_holder(client: TestClient) -> None:
    db = client.app.state.context.db  # type: ignore[attr-defined]
    number = personas()["clean_owner"]["id_number"]
    with db.transaction() as conn:
        key = create_key(conn, "mobile", _full_width(number), None, dt.datetime.now(dt.UTC))
    answer = submit(client, key, application_for("clean_owner"))
    assert answer.status_code == 201, answer.text
    assert answer.json()["operator_id_number"] == number  # the holder sees it unmasked


def test_a_shop_address_is_printable_ascii(client: TestClient, keys: dict[str, str]) -> None:
    body = _online("clean_owner")
    body["premises"]["shop_url"] = "https://shop.example.cn/\u200ba"
    answer = submit(client, keys["terminal"], body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "premises.shop_url"
