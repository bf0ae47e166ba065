"""Each fact is declared once, with its derivation: no declared fact without a value, no value
without a declaration."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any, get_args

import pytest

from approval.catalog.scope import load_scope_catalog
from approval.decisions.facts import ReferenceData, build_facts
from approval.decisions.registries import RegistryAnswer, RegistryAnswers, ask_registries
from approval.decisions.service import decide
from approval.engine.facts import FACTS, RETIRED_FACTS, FactSpec, FactType, normalise_facts
from approval.engine.language import RuleFileError, parse_rules_dir
from approval.engine.ruleset import Ruleset
from approval.kernel.application import ApplicationCreate, IdType, OrganisationForm
from approval.kernel.identity import check_id_number
from approval.kernel.status import Outcome
from approval.names.analysis import load_name_lexicon
from approval.settings import PROJECT_ROOT
from connectors.registries import REGISTRIES, Registries
from connectors.stub import build_stub_registries
from tests.fixtures import application_for

TODAY = dt.date(2026, 11, 26)
RULES = PROJECT_ROOT / "rules"


@pytest.fixture(scope="module")
def reference() -> ReferenceData:
    return ReferenceData(
        scope=load_scope_catalog(RULES / "catalog" / "scope.yaml"),
        names=load_name_lexicon(RULES / "words"),
    )


def _facts(persona: str, reference: ReferenceData, **changes: Any) -> dict[str, Any]:
    app = ApplicationCreate.model_validate({**application_for(persona), **changes})
    id_check = check_id_number(app.operator.id_type, app.operator.id_number, TODAY)
    answers = asyncio.run(
        ask_registries(
            Registries(build_stub_registries()),
            case_id="f" * 32,
            operator_id_number=id_check.number,
            authority_code=app.premises.district_code,
            proposed_name=app.name,
            property_certificate=app.premises.property_certificate_number,
            deadline_seconds=5,
        )
    )
    return build_facts(app, id_check, answers, reference, TODAY)


def test_a_fact_cannot_be_declared_without_its_derivation() -> None:
    with pytest.raises(TypeError, match="derive"):
        FactSpec("operator.shoe_size", FactType.INT, "鞋码")  # type: ignore[call-arg]
    assert all(callable(spec.derive) for spec in FACTS.values())


@pytest.mark.parametrize(
    "persona", ["clean_owner", "child_15", "banned", "defaulter", "clean_tenant"]
)
def test_every_declared_fact_is_derived_with_its_type(
    persona: str, reference: ReferenceData
) -> None:
    facts = _facts(persona, reference)
    assert list(facts) == list(FACTS)
    assert normalise_facts(facts) == facts


def test_a_value_without_a_declaration_never_reaches_the_rules(reference: ReferenceData) -> None:
    facts = _facts("clean_owner", reference)
    with pytest.raises(KeyError, match="operator.shoe_size"):
        normalise_facts({**facts, "operator.shoe_size": 42})
    with pytest.raises(KeyError, match="operator.age"):
        normalise_facts({k: v for k, v in facts.items() if k != "operator.age"})


def test_a_rule_naming_an_undeclared_fact_is_refused(tmp_path: Path) -> None:
    (tmp_path / "id.yaml").write_text(
        "rules:\n"
        "  - id: R01-ID-CHECK\n"
        "    title: 身份证号码校验不通过\n"
        "    when:\n"
        "      - operator.id_check_ok == false\n"
        "    outcome: reject\n"
        "    reason: {code: ID_NUMBER_INVALID, text: 校验不通过, basis: GB 11643-1999}\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleFileError, match="不认识的事实 'operator.id_check_ok'"):
        parse_rules_dir(tmp_path)


def test_facts_stored_before_a_fact_was_retired_still_decide(reference: ReferenceData) -> None:
    """Backtests replay stored facts, which may hold the retired ID-check facts."""
    facts = _facts("clean_owner", reference)
    stored = {**facts, **dict.fromkeys(RETIRED_FACTS, True)}
    assert normalise_facts(stored) == facts
    assert decide(Ruleset.load(RULES), stored).verdict is Outcome.APPROVE


def test_enum_facts_take_their_choices_from_the_input_model() -> None:
    assert FACTS["operator.id_type"].choices == get_args(IdType)
    assert FACTS["application.organisation_form"].choices == get_args(OrganisationForm)


def test_facts_follow_the_answers_they_are_derived_from(reference: ReferenceData) -> None:
    facts = _facts("defaulter", reference)
    assert facts["registries.market.judgment_defaulter"] is True
    assert facts["registries.unavailable_count"] == 0

    clean = _facts("clean_owner", reference)
    app = ApplicationCreate.model_validate(application_for("clean_owner"))
    id_check = check_id_number(app.operator.id_type, app.operator.id_number, TODAY)
    silent = RegistryAnswers(
        tuple(RegistryAnswer(spec.registry, None, "down", 800) for spec in REGISTRIES)
    )
    unanswered = build_facts(app, id_check, silent, reference, TODAY)
    assert unanswered["registries.unavailable_count"] == len(REGISTRIES)
    assert unanswered["registries.realestate.found"] is False
    assert clean["registries.realestate.found"] is True
    assert unanswered["registries.realestate.registered_use"] == "未知"


def test_the_decision_is_the_kernel_outcome(reference: ReferenceData) -> None:
    decision = decide(Ruleset.load(RULES), _facts("child_15", reference))
    assert decision.verdict is Outcome.REJECT
    assert "R08-UNDER-16" in [rule.id for rule in decision.fired]
