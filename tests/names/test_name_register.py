"""The names Miaopi itself issues are part of what R23, R24 and R25 consult (比对规则)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update

from approval.clock import CHINA_TZ
from approval.database import Database, licences
from approval.names import load_name_lexicon
from approval.names.cli import register_issued
from approval.names.comparison import FreedReason, NameTaken, name_claim
from approval.names.register import claim_name, free_name, look_up, reserve_name, restore_name
from approval.names.tables import business_names
from approval.settings import PROJECT_ROOT, Settings
from tests.conftest import submit
from tests.fixtures import application_for

LEXICON = load_name_lexicon(PROJECT_ROOT / "rules" / "words")
NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=CHINA_TZ)
JIANGYAN = "321204"  # the district of clean_owner's and ban_expired's premises


def _submit(client: TestClient, key: str, persona: str, name: str) -> dict[str, Any]:
    response = submit(client, key, application_for(persona, name=name))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _codes(body: dict[str, Any]) -> set[str]:
    return {reason["code"] for reason in body["reasons"]}


def test_a_name_miaopi_issued_is_refused_to_the_next_applicant_at_that_authority(
    client: TestClient, keys: dict[str, str]
) -> None:
    first = _submit(client, keys["terminal"], "clean_owner", "泰州市姜堰区锦程百货店")
    assert (first["status"], first["decision"]) == ("issued", "approve")

    again = _submit(client, keys["terminal"], "ban_expired", "泰州市姜堰区锦程百货店")
    assert again["decision"] == "reject"
    assert again["licence"] is None
    assert "NAME_IDENTICAL" in _codes(again)
    # the same applicant does not get it twice either
    twice = _submit(client, keys["terminal"], "clean_owner", "泰州市姜堰区锦程百货店")
    assert "NAME_IDENTICAL" in _codes(twice)


@pytest.mark.parametrize(
    "variant",
    ["泰州市姜堰区鸿运五金商行", "泰州市姜堰区鸿运五金经营部", "泰州市姜堰区鸿运五金行"],
)
def test_the_same_trade_name_and_industry_with_another_organisation_form_is_identical(
    client: TestClient, keys: dict[str, str], variant: str
) -> None:
    first = _submit(client, keys["terminal"], "clean_owner", "泰州市姜堰区鸿运五金店")
    assert first["decision"] == "approve", first["reasons"]

    second = _submit(client, keys["terminal"], "ban_expired", variant)
    assert second["decision"] == "reject"
    assert "NAME_IDENTICAL" in _codes(second)


def test_the_same_words_reordered_are_identical_and_another_trade_name_is_not(
    client: TestClient, keys: dict[str, str]
) -> None:
    assert _submit(client, keys["terminal"], "clean_owner", "泰州市姜堰区华美五金店")[
        "decision"
    ] == ("approve")
    reordered = _submit(client, keys["terminal"], "ban_expired", "泰州市姜堰区五金华美店")
    assert "NAME_IDENTICAL" in _codes(reordered)
    # 美华 is another 字号: a different name, not even similar
    other = _submit(client, keys["terminal"], "ban_expired", "泰州市姜堰区美华五金店")
    assert other["decision"] == "approve", other["reasons"]


def test_the_same_trade_name_in_another_industry_is_similar_and_flagged(
    client: TestClient, keys: dict[str, str]
) -> None:
    _submit(client, keys["terminal"], "clean_owner", "泰州市姜堰区瑞丰五金店")
    similar = _submit(client, keys["terminal"], "ban_expired", "泰州市姜堰区瑞丰水果店")
    assert similar["decision"] == "approve"
    assert _codes(similar) == {"NAME_SIMILAR"}


def test_the_same_name_at_another_authority_is_free(
    client: TestClient, keys: dict[str, str]
) -> None:
    _submit(client, keys["terminal"], "clean_owner", "泰州市姜堰区安泰百货店")
    # clean_tenant's premises are in 高港区 (321203): another registration authority
    elsewhere = _submit(client, keys["terminal"], "clean_tenant", "泰州市高港区安泰百货店")
    assert elsewhere["decision"] == "approve", elsewhere["reasons"]


def test_a_rejected_or_parked_application_takes_no_name(
    client: TestClient, keys: dict[str, str]
) -> None:
    # a 15-year-old is rejected: the name stays free for the next applicant
    child = _submit(client, keys["terminal"], "child_15", "泰州市姜堰区宏达百货店")
    assert child["decision"] == "reject"
    later = _submit(client, keys["terminal"], "clean_owner", "泰州市姜堰区宏达百货店")
    assert later["decision"] == "approve", later["reasons"]


# ── the register itself, against the database ──


def _claim(name: str, holder: str = "320102199001011234") -> Any:
    claim = name_claim(name, JIANGYAN, holder, LEXICON)
    assert claim is not None
    return claim


def test_a_revoked_name_is_refused_for_a_year_then_free_again(migrated: Settings) -> None:
    db = Database(migrated.database_url)
    claim = _claim("泰州市姜堰区永盛百货店")
    with db.transaction() as conn:
        claim_name(
            conn, claim, credit_code="92321204MA0000001X", application_id="a1", actor="t", now=NOW
        )
        free_name(conn, "92321204MA0000001X", FreedReason.REVOKED, NOW)
    other = _claim("泰州市姜堰区永盛百货商行", holder="320102199202021234")
    with db.reading() as conn:
        soon = look_up(conn, other, NOW + dt.timedelta(days=200))
        after = look_up(conn, other, NOW + dt.timedelta(days=366))
        # not even the holder of a revoked name gets it back within the year
        own = look_up(conn, claim, NOW + dt.timedelta(days=200))
    assert soon.identical_to is None
    assert (soon.freed_name, soon.freed_on) == ("泰州市姜堰区永盛百货店", NOW.date())
    assert after.freed_name is None
    assert own.freed_name == "泰州市姜堰区永盛百货店"
    db.dispose()


def test_a_deregistered_name_may_be_taken_back_by_its_holder_only(migrated: Settings) -> None:
    db = Database(migrated.database_url)
    claim = _claim("泰州市姜堰区永兴百货店")
    with db.transaction() as conn:
        claim_name(
            conn, claim, credit_code="92321204MA0000002X", application_id="a2", actor="t", now=NOW
        )
        free_name(conn, "92321204MA0000002X", FreedReason.DEREGISTERED, NOW)
    stranger = _claim("泰州市姜堰区永兴百货店", holder="320102199202021234")
    with db.reading() as conn:
        assert look_up(conn, claim, NOW).freed_name is None
        assert look_up(conn, stranger, NOW).freed_name == "泰州市姜堰区永兴百货店"
    db.dispose()


def test_an_annulled_revocation_gives_the_name_back_unless_taken_meanwhile(
    migrated: Settings,
) -> None:
    db = Database(migrated.database_url)
    claim = _claim("泰州市姜堰区永福百货店")
    taker = _claim("泰州市姜堰区永福百货店", holder="320102199202021234")
    with db.transaction() as conn:
        claim_name(conn, claim, credit_code="CC1", application_id="a3", actor="t", now=NOW)
        free_name(conn, "CC1", FreedReason.REVOKED, NOW)
        assert restore_name(conn, "CC1")
        assert look_up(conn, taker, NOW).identical_to == "泰州市姜堰区永福百货店"
        free_name(conn, "CC1", FreedReason.REVOKED, NOW)
        later = NOW + dt.timedelta(days=400)
        claim_name(conn, taker, credit_code="CC2", application_id="a4", actor="t", now=later)
        assert not restore_name(conn, "CC1")
    db.dispose()


def test_a_second_claim_of_a_taken_name_raises_and_stores_nothing(migrated: Settings) -> None:
    db = Database(migrated.database_url)
    with db.transaction() as conn:
        claim_name(
            conn,
            _claim("泰州市姜堰区永安百货店"),
            credit_code="CC3",
            application_id="a5",
            actor="t",
            now=NOW,
        )
    with pytest.raises(NameTaken), db.transaction() as conn:
        reserve_name(
            conn,
            _claim("泰州市姜堰区永安百货行", holder="320102199202021234"),
            until=NOW + dt.timedelta(days=60),
            actor="t",
            now=NOW,
        )
    with db.reading() as conn:
        count = conn.exec_driver_sql("SELECT count(*) FROM business_names").scalar_one()
    assert count == 1
    db.dispose()


def test_names_issued_before_the_register_are_put_on_it_and_twice_issued_ones_reported(
    client: TestClient,
    keys: dict[str, str],
    migrated: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = _submit(client, keys["terminal"], "clean_owner", "泰州市姜堰区同德百货店")
    later = _submit(client, keys["terminal"], "ban_expired", "泰州市姜堰区同心百货店")
    first_code, later_code = first["licence"]["credit_code"], later["licence"]["credit_code"]
    db = Database(migrated.database_url)
    # a database from before the register: no names on it, and one name issued twice
    with db.transaction() as conn:
        conn.execute(delete(business_names))
        document = conn.execute(
            select(licences.c.document).where(licences.c.credit_code == later_code)
        ).scalar_one()
        conn.execute(
            update(licences)
            .where(licences.c.credit_code == later_code)
            .values(document={**document, "name": "泰州市姜堰区同德百货店"})
        )

    register_issued(migrated)
    output = capsys.readouterr()
    assert "1 names of licences issued before it added" in output.out
    assert f"泰州市姜堰区同德百货店 ({later_code})" in output.err

    with db.reading() as conn:
        rows = list(conn.exec_driver_sql("SELECT credit_code, status FROM business_names"))
    assert [(r.credit_code, r.status) for r in rows] == [(first_code, "active")]
    refused = _submit(client, keys["terminal"], "ban_expired", "泰州市姜堰区同德百货商行")
    assert "NAME_IDENTICAL" in _codes(refused)
    # run again: nothing more to add, the duplicate is reported again until staff settle it
    register_issued(migrated)
    assert "同德百货店" in capsys.readouterr().err
    db.dispose()
