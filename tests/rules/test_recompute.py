"""Backtests derive facts again: word-list and catalogue changes flip what they should.

Applications are submitted through the API, so their submission and registry answers are stored
as in production; candidates are proposed through the API too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from approval.access.service import create_key
from approval.database import Database, applications
from approval.decisions.registries import RegistryAnswer
from approval.engine.facts import NAME_FACTS, NameSources, name_facts
from approval.names.analysis import analyse_name
from approval.names.comparison import RegisterFacts
from approval.rules import service
from approval.rules.recompute import REGISTER_FACTS
from approval.rules.simulation import compiled, staff_class
from approval.settings import Settings
from connectors.base import MarketFacts, Registry
from tests.conftest import submit
from tests.engine.conftest import RULES_DIR
from tests.fixtures import application_for

PROHIBITED = "words/prohibited.yaml"
OBSCENE = "words: [色情, 赌场, 博彩, 算命, 风水大师]"


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _db(client: TestClient) -> Database:
    db: Database = client.app.state.context.db  # type: ignore[attr-defined]
    return db


def _submitted(client: TestClient, key: str, persona: str, **changes: Any) -> dict[str, Any]:
    response = submit(client, key, application_for(persona, **changes))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _active_files(client: TestClient) -> dict[str, str]:
    with _db(client).reading() as conn:
        version = service.resolve(conn, client.app.state.context.ruleset.version)  # type: ignore[attr-defined]
        return service.stored_files(conn, version)[1]


def _change(client: TestClient, admin: str, files: dict[str, str]) -> dict[str, Any]:
    response = client.post("/v1/rule-changes", json={"files": files}, headers=_auth(admin))
    assert response.status_code == 201, response.text
    change: dict[str, Any] = response.json()
    return change


def _proposed(client: TestClient, admin: str, files: dict[str, str]) -> str:
    version: str = _change(client, admin, files)["version"]
    return version


def _simulated(client: TestClient, key: str, version: str) -> dict[str, Any]:
    response = client.post(
        "/v1/rulesets/simulations", json={"version": version}, headers=_auth(key)
    )
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def _with_baihuo_prohibited(files: dict[str, str]) -> dict[str, str]:
    assert OBSCENE in files[PROHIBITED]
    changed = dict(files)
    changed[PROHIBITED] = files[PROHIBITED].replace(OBSCENE, OBSCENE.replace("]", ", 百货]"))
    return changed


@pytest.fixture
def second_admin(keys: dict[str, str], settings: Settings) -> str:
    db = Database(settings.database_url)
    try:
        with db.transaction() as conn:
            return create_key(conn, "rule_admin", None, "second", dt.datetime.now(dt.UTC))
    finally:
        db.dispose()


def test_a_prohibited_word_added_flips_exactly_the_names_containing_it(
    client: TestClient, keys: dict[str, str]
) -> None:
    staff = keys["staff"]
    with_word = [
        _submitted(client, staff, "clean_owner", name=name)["id"]
        for name in ("泰州市姜堰区周记百货店", "泰州市姜堰区兴旺百货商行")
    ]
    without = [
        _submitted(client, staff, "clean_owner", name="泰州市姜堰区周记五金店")["id"],
        _submitted(client, staff, "clean_tenant")["id"],  # no name at all
    ]
    report = _simulated(
        client,
        staff,
        _proposed(client, keys["rule_admin"], _with_baihuo_prohibited(_active_files(client))),
    )
    assert report["applications"] == 4
    assert report["not_recomputed"] == {"count": 0, "reasons": {}}
    assert report["before"]["approve"]["count"] == 4
    flipped = {f["application_id"]: (f["before"], f["after"]) for f in report["flips"]}
    assert flipped == dict.fromkeys(with_word, ("approve", "reject"))
    assert not set(without) & set(flipped)
    assert report["flipped"] == 2
    assert report["flips_by_direction"] == {"approve->reject": 2}
    assert report["flips_by_rule"] == {"R19-NAME-PROHIBITED": {"approve->reject": 2}}
    for flip in report["flips"]:
        assert flip["caused_by"] == ["R19-NAME-PROHIBITED"]
        (why,) = flip["why_after"]
        assert (why["rule_id"], why["fired"]) == ("R19-NAME-PROHIBITED", True)

    # replay derives the facts again under the version's word lists too
    replayed = client.get(
        f"/v1/applications/{with_word[0]}/replay",
        params={"version": report["candidate_version"][:12]},
        headers=_auth(staff),
    ).json()
    assert (replayed["decision"], replayed["stored_decision"]) == ("reject", "approve")
    assert replayed["recomputed"] is True
    assert "R19-NAME-PROHIBITED" in replayed["fired"]


def test_a_catalogue_change_flips_the_applications_with_that_scope(
    client: TestClient, keys: dict[str, str]
) -> None:
    staff = keys["staff"]
    general = "{code: F1004, title: 五金产品零售, kind: general, aliases: [五金]}"
    hardware = _submitted(client, staff, "clean_owner", scope=["F1001", "F1004"])["id"]
    _submitted(client, staff, "clean_tenant", scope=["F1001"])
    files = _active_files(client)
    assert general in files["catalog/scope.yaml"]
    files["catalog/scope.yaml"] = files["catalog/scope.yaml"].replace(
        general,
        "{code: F1004, title: 五金产品零售, kind: pre_approval, permit: 五金经营许可,"
        " authority: 市场监督管理局, aliases: [五金]}",
    )
    report = _simulated(client, staff, _proposed(client, keys["rule_admin"], files))
    assert report["applications"] == 2
    (flip,) = report["flips"]
    assert (flip["application_id"], flip["before"], flip["after"]) == (
        hardware,
        "approve",
        "manual_review",
    )
    assert report["flips_by_direction"] == {"approve->manual_review": 1}
    assert set(report["flips_by_rule"]) == set(flip["caused_by"])
    assert all(rule.startswith("R28") for rule in flip["caused_by"]), flip["caused_by"]


def test_simulation_and_approval_after_staff_approved_a_case_with_conditions(
    client: TestClient, keys: dict[str, str], second_admin: str
) -> None:
    staff = keys["staff"]
    waiting = _submitted(
        client,
        keys["terminal"],
        "dishonest",
        scope=["F1001", "F2002"],
        commitments__no_trading_before_permit=True,
    )
    assert waiting["decision"] == "manual_review", waiting["reasons"]
    client.post(f"/v1/review/cases/{waiting['id']}/claim", headers=_auth(staff))
    decided = client.post(
        f"/v1/review/cases/{waiting['id']}/decision",
        headers=_auth(staff),
        json={"decision": "approve", "reasons": ["经核实，失信记录已修复"]},
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["decision"] == "approve_with_conditions"

    admin = keys["rule_admin"]
    change = _change(client, admin, _with_baihuo_prohibited(_active_files(client)))
    report = _simulated(client, staff, change["version"])
    assert report["staff_decided"] == 1
    # the candidate still sends it to manual review: no disagreement
    assert report["staff"] == {
        "decided": 1,
        "risky": [],
        "tightening": [],
        "unchanged": 1,
        "counts": {"risky": 0, "tightening": 0, "unchanged": 1},
    }
    # a candidate that rejects the listed outright tightens what staff approved
    files = _active_files(client)
    r12 = "      - registries.market.serious_dishonesty == true\n    outcome: manual_review"
    assert r12 in files["credit.yaml"]
    files["credit.yaml"] = files["credit.yaml"].replace(r12, r12.replace("manual_review", "reject"))
    stricter = _simulated(client, staff, _proposed(client, admin, files))
    (case,) = stricter["staff"]["tightening"]
    assert (case["application_id"], case["staff_decision"], case["candidate"]) == (
        waiting["id"],
        "approve_with_conditions",
        "reject",
    )
    assert case["caused_by"] == ["R12-SERIOUS-DISHONESTY"]
    assert stricter["flips_by_rule"] == {"R12-SERIOUS-DISHONESTY": {"manual_review->reject": 1}}
    assert stricter["staff"]["counts"] == {"risky": 0, "tightening": 1, "unchanged": 0}

    assert change["evidence"]["backtest"]["staff"]["decided"] == 1
    approved = client.post(
        f"/v1/rule-changes/{change['id']}/approval",
        json={
            "evidence_digest": change["evidence_digest"],
            "acknowledgement": "百货列为禁用词已核实",
        },
        headers=_auth(second_admin),
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["ruleset_status"] == "active"


def test_a_corrupt_stored_submission_is_counted_not_crashed_on(
    client: TestClient, keys: dict[str, str]
) -> None:
    staff = keys["staff"]
    good = _submitted(client, staff, "clean_owner", name="泰州市姜堰区周记百货店")["id"]
    bad = _submitted(client, staff, "clean_tenant", name="泰州市海陵区兴旺百货商行")["id"]
    with _db(client).transaction() as conn:
        conn.execute(
            update(applications)
            .where(applications.c.id == bad)
            .values(payload={"operator": "\x00not an application", "scope": 7})
        )
    report = _simulated(
        client,
        staff,
        _proposed(client, keys["rule_admin"], _with_baihuo_prohibited(_active_files(client))),
    )
    assert report["applications"] == 2
    assert report["recomputed"] == 1
    assert report["not_recomputed"] == {"count": 1, "reasons": {"payload_invalid": 1}}
    # decided on its stored facts: the word-list change cannot show for it
    assert [f["application_id"] for f in report["flips"]] == [good]


def test_a_version_whose_word_list_cannot_be_used_is_refused_not_crashed_on(
    client: TestClient, keys: dict[str, str]
) -> None:
    files = _active_files(client)
    files[PROHIBITED] = files[PROHIBITED].replace("categories:", "categories: [", 1)
    response = client.post(
        "/v1/rule-changes", json={"files": files}, headers=_auth(keys["rule_admin"])
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "ruleset_refused"
    assert problem["detail"].startswith("词表或经营范围目录有错误：words/prohibited.yaml:"), problem
    assert "miaopi-rules-" not in problem["detail"]  # no private folder named


@pytest.mark.parametrize(
    ("staff", "before", "after", "kind"),
    [
        ("reject", "manual_review", "approve", "risky"),
        ("reject", "manual_review", "approve_with_conditions", "risky"),
        ("reject", "manual_review", "manual_review", "unchanged"),
        ("reject", "manual_review", "reject", "unchanged"),
        ("approve", "manual_review", "reject", "tightening"),
        ("approve", "approve", "manual_review", "tightening"),
        ("approve", "manual_review", "manual_review", "unchanged"),
        ("approve", "manual_review", "approve_with_conditions", "unchanged"),
    ],
)
def test_staff_cases_are_classed(staff: str, before: str, after: str, kind: str) -> None:
    assert staff_class(staff, before, after) == kind


def test_the_register_facts_are_those_the_name_register_shapes() -> None:
    with compiled(service.files_from_dir(RULES_DIR)) as rules:
        analysis = analyse_name("泰州市姜堰区周记百货店", "321204", rules.reference.names)
    empty = name_facts(NameSources(analysis, None, RegisterFacts(), "321204"))
    full = name_facts(
        NameSources(
            analysis,
            None,
            RegisterFacts(
                identical_to="泰州市姜堰区周记百货店",
                freed_name="泰州市姜堰区周记百货店",
                freed_on=dt.date(2026, 1, 5),
                similar_to="泰州市姜堰区周氏百货店",
            ),
            "321204",
        )
    )
    assert {name for name in NAME_FACTS if empty[name] != full[name]} == REGISTER_FACTS


def test_a_stored_answer_is_rebuilt_as_it_was_answered() -> None:
    answer = RegistryAnswer(
        Registry.MARKET,
        MarketFacts(
            identical_name_exists=False,
            similar_name_exists=True,
            serious_dishonesty=False,
            judgment_defaulter=False,
            false_registration_banned_until=dt.date(2027, 5, 1),
            impersonation_watch=False,
        ),
        None,
        12,
    )
    again = RegistryAnswer.from_stored("market", True, answer.stored(), None, 12)
    assert again == answer
    gone = RegistryAnswer.from_stored("market", False, None, "timeout", 3000)
    assert (gone.available, gone.facts) == (False, None)
    with pytest.raises(KeyError):
        RegistryAnswer.from_stored("weather", True, {}, None)
