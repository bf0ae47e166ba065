"""From the registries' answers to a determination: parked, decided, or decided and issued.

The same at submission and when the verification worker re-checks a parked application.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from approval.catalog.scope import ScopeCatalog
from approval.decisions.facts import (
    UNKNOWN_SCOPE,
    ReferenceData,
    build_facts,
    licence_conditions,
    scope_suggestions,
)
from approval.decisions.registries import Registries, RegistryAnswers, ask_registries
from approval.decisions.service import UNAVAILABLE_REASON, Decision, decide
from approval.engine.language import conditions_of
from approval.engine.ruleset import Ruleset
from approval.kernel.application import ApplicationCreate
from approval.kernel.identity import IdNumberCheck
from approval.kernel.status import ApplicationStatus, Outcome
from approval.licences.document import SignedLicence
from approval.licences.service import LicenceIssuer
from approval.names.comparison import NOTHING_REGISTERED, RegisterFacts


@dataclass(frozen=True, slots=True)
class RulesInForce:
    """The ruleset and the reference data (catalogue, word lists) it was published with."""

    ruleset: Ruleset
    reference: ReferenceData


@dataclass(frozen=True, slots=True)
class ScheduledRules:
    """A version approved to take effect at ``effective_from``, compiled ahead of it."""

    effective_from: dt.datetime
    rules: RulesInForce


@dataclass(frozen=True, slots=True)
class Determination:
    """What the registries' answers lead to: parked, decided, or decided and issued."""

    status: ApplicationStatus  # pending_verification | decided | issued
    outcome: Outcome | None
    reasons: list[dict[str, Any]]
    conditions: list[str]
    ruleset_version: str | None
    facts: dict[str, Any]
    events: list[dict[str, Any]]
    signed: SignedLicence | None
    decided_at: dt.datetime

    def columns(self) -> dict[str, Any]:
        """The application's columns this sets (plain text: drivers may store an enum's name)."""
        return {
            "status": self.status.value,
            "facts": self.facts,
            "conditions": self.conditions,
            "ruleset_version": self.ruleset_version,
            "outcome": self.outcome.value if self.outcome else None,
            "reasons": self.reasons,
            "decided_at": self.decided_at if self.outcome else None,
        }


async def query_registries(
    registries: Registries,
    deadline_seconds: float,
    application_id: str,
    app: ApplicationCreate,
    id_check: IdNumberCheck,
) -> RegistryAnswers:
    """Ask the registries about this application, under the one deadline."""
    return await ask_registries(
        registries,
        case_id=application_id,
        operator_id_number=id_check.number,
        authority_code=app.premises.district_code,
        proposed_name=app.name,
        property_certificate=app.premises.property_certificate_number
        if app.premises.kind == "physical"
        else None,
        deadline_seconds=deadline_seconds,
        family_id_numbers=tuple(member.id_number for member in app.family_members),
    )


def answer_rows(
    application_id: str, answers: RegistryAnswers, now: dt.datetime
) -> list[dict[str, Any]]:
    """The registry answers as stored with an application (at submission and on re-check)."""
    return [
        {
            "application_id": application_id,
            "registry": a.registry.value,
            "available": a.available,
            "answer": a.stored(),
            "detail": a.detail,
            "latency_ms": a.latency_ms,
            "fetched_at": now,
        }
        for a in answers.answers
    ]


def reasons_for(
    decision: Decision, app: ApplicationCreate, scope: ScopeCatalog
) -> list[dict[str, Any]]:
    """The decision's reasons, told at once: a rule that answers scope entries which are not
    catalogue codes names each of them with the nearest entries."""
    reasons: list[dict[str, Any]] = list(decision.reasons())
    suggestions = scope_suggestions(app, scope)
    if not suggestions:
        return reasons
    on_unknown_scope = {
        rule.id
        for rule in decision.fired
        if any(condition.fact == UNKNOWN_SCOPE for condition in conditions_of(rule.when))
    }
    return [
        {**reason, "suggestions": suggestions} if reason["rule_id"] in on_unknown_scope else reason
        for reason in reasons
    ]


def determine(
    app: ApplicationCreate,
    id_check: IdNumberCheck,
    answers: RegistryAnswers,
    decided_at: dt.datetime,
    rules: RulesInForce,
    issuer: LicenceIssuer,
    register: RegisterFacts = NOTHING_REGISTERED,
) -> Determination:
    """Facts, decision and licence from the answers, under ``rules`` (those in force when the
    application arrived). A registry that did not answer parks the application: nothing is
    decided on missing facts."""
    facts = build_facts(app, id_check, answers, rules.reference, decided_at.date(), register)
    events: list[dict[str, Any]] = [
        {
            "at": decided_at,
            "kind": "registries_queried",
            "detail": {
                a.registry.value: {"available": a.available, "latency_ms": a.latency_ms}
                for a in answers.answers
            },
        },
    ]
    if answers.unavailable:
        events.append(
            {
                "at": decided_at,
                "kind": "pending_verification",
                "detail": {"unavailable": [r.value for r in answers.unavailable]},
            }
        )
        return Determination(
            ApplicationStatus.PENDING_VERIFICATION,
            None,
            [UNAVAILABLE_REASON],
            [],
            None,
            facts,
            events,
            None,
            decided_at,
        )
    decision = decide(rules.ruleset, facts)
    status = ApplicationStatus.ISSUED if decision.approved else ApplicationStatus.DECIDED
    conditions = (
        licence_conditions(
            app,
            rules.reference.scope,
            residential=facts["registries.realestate.registered_use"] == "住宅",
        )
        if decision.verdict == Outcome.APPROVE_WITH_CONDITIONS
        else []
    )
    events.append(
        {
            "at": decided_at,
            "kind": "decided",
            "detail": {
                "decision": decision.verdict.value,
                "rules": [r.id for r in decision.fired],
                "ruleset_version": decision.ruleset_version,
            },
        }
    )
    signed = None
    if status == ApplicationStatus.ISSUED:
        signed = issuer.issue(app, rules.reference.scope, decided_at)
        events.append(
            {
                "at": decided_at,
                "kind": "licence_issued",
                "detail": {"credit_code": signed.document.credit_code},
            }
        )
    return Determination(
        status,
        Outcome(decision.verdict.value),
        reasons_for(decision, app, rules.reference.scope),
        conditions,
        decision.ruleset_version,
        facts,
        events,
        signed,
        decided_at,
    )
