"""Real-name verification against the population register (R05, R39) over HTTP."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import create_app
from approval.migrate import upgrade_to_head
from approval.settings import Settings
from connectors.seed_world import load_world
from tests.conftest import submit

README = Path(__file__).parents[2] / "README.md"


@cache
def _readme_application() -> dict[str, Any]:
    found = re.search(r"cat > application.json <<'JSON'\n(.*?)\nJSON\n", README.read_text(), re.S)
    assert found, "the README's example application moved"
    loaded: dict[str, Any] = json.loads(found.group(1))
    return loaded


def readme_application(**operator: Any) -> dict[str, Any]:
    body = copy.deepcopy(_readme_application())
    body["operator"].update(operator)
    return body


def _person(*, status: str = "normal", lost: bool = False, adult: bool = True) -> Any:
    return next(
        p
        for p in load_world().people.values()
        if p.status is not None
        and p.status.value == status
        and p.document_reported_lost == lost
        and (not adult or p.id_number[6:10] < "2000")
    )


def _reason(body: dict[str, Any], rule_id: str) -> dict[str, Any]:
    (reason,) = [r for r in body["reasons"] if r["rule_id"] == rule_id]
    return reason


def test_the_readme_example_is_approved(client: TestClient, keys: dict[str, str]) -> None:
    body = submit(client, keys["terminal"], readme_application()).json()
    assert (body["status"], body["decision"]) == ("issued", "approve")


def test_the_readme_example_under_another_name_is_rejected_as_not_matching_the_id(
    client: TestClient, keys: dict[str, str]
) -> None:
    body = submit(client, keys["terminal"], readme_application(name="李四")).json()
    assert body["decision"] == "reject"
    assert body["licence"] is None
    reason = _reason(body, "R05-NAME-MISMATCH")
    assert reason["code"] == "OPERATOR_NAME_ID_MISMATCH"
    assert "姓名与身份证号码不一致" in reason["text"]
    assert "重新提交" in reason["text"]  # correctable


def test_a_full_width_or_spaced_name_still_matches(
    client: TestClient, keys: dict[str, str]
) -> None:
    body = submit(client, keys["terminal"], readme_application(name="周 兵")).json()
    assert body["decision"] == "approve"


def _family(members: list[dict[str, str]]) -> dict[str, Any]:
    body = readme_application()
    body["organisation_form"] = "family"
    body["family_members"] = members
    return body


def test_a_family_member_with_a_wrong_name_goes_to_manual_review(
    client: TestClient, keys: dict[str, str]
) -> None:
    member = _person()
    body = submit(
        client, keys["terminal"], _family([{"name": "王五", "id_number": member.id_number}])
    ).json()
    assert body["decision"] == "manual_review"
    assert body["licence"] is None
    reason = _reason(body, "R39-FAMILY-NAME-MISMATCH")
    assert reason["outcome"] == "manual_review"
    assert all(r["outcome"] != "reject" for r in body["reasons"])


def test_a_family_whose_members_match_the_register_is_approved(
    client: TestClient, keys: dict[str, str]
) -> None:
    member = _person()
    members = [{"name": member.name, "id_number": member.id_number}]
    body = submit(client, keys["terminal"], _family(members)).json()
    assert body["decision"] == "approve", body["reasons"]


@pytest.mark.parametrize(
    ("status", "lost", "rule_id", "outcome"),
    [
        ("deceased", False, "R05-ID-DECEASED", "reject"),
        ("cancelled", False, "R05-ID-CANCELLED", "reject"),
        ("normal", True, "R05-ID-REPORTED-LOST", "manual_review"),
    ],
)
def test_the_register_status_of_the_operator_decides_as_domain_md_says(
    client: TestClient,
    keys: dict[str, str],
    status: str,
    lost: bool,
    rule_id: str,
    outcome: str,
) -> None:
    person = _person(status=status, lost=lost, adult=False)
    body = submit(
        client,
        keys["terminal"],
        readme_application(name=person.name, id_number=person.id_number),
    ).json()
    assert _reason(body, rule_id)["outcome"] == outcome
    assert body["decision"] in ("reject", "manual_review")
    assert body["licence"] is None


@pytest.fixture
def population_down(settings: Settings) -> Iterator[TestClient]:
    changed = settings.model_copy(update={"unavailable_registries": frozenset({"population"})})
    upgrade_to_head(changed.database_url)
    with TestClient(create_app(changed)) as client:
        yield client


def test_a_silent_population_register_parks_even_a_mismatched_name(
    population_down: TestClient, keys: dict[str, str]
) -> None:
    body = submit(population_down, keys["terminal"], readme_application(name="李四")).json()
    assert body["status"] == "pending_verification"
    assert body["decision"] is None
    assert [r["code"] for r in body["reasons"]] == ["REGISTRY_UNAVAILABLE"]
