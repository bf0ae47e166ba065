"""The facts of one application for the rules, and the conditions an approval carries.

Each fact is declared with its derivation in the fact table (:mod:`approval.engine.facts`);
here the registries' answers are taken apart for it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from approval.catalog.scope import ScopeCatalog
from approval.decisions.registries import RegistryAnswers
from approval.engine.facts import (
    FactSources,
    ReferenceData,
    derive_facts,
    scope_items,
    unknown_scope_entries,
)
from approval.kernel.application import ApplicationCreate
from approval.kernel.identity import IdNumberCheck
from approval.names.comparison import NOTHING_REGISTERED, RegisterFacts
from connectors.registries import FOOD, MARKET, POPULATION, REALESTATE

__all__ = [
    "UNKNOWN_SCOPE",
    "ReferenceData",
    "build_facts",
    "licence_conditions",
    "scope_items",
    "scope_suggestions",
]

# the fact a rule reads when it answers scope entries that are not catalogue codes
UNKNOWN_SCOPE = "scope.unknown_count"


def build_facts(
    app: ApplicationCreate,
    id_check: IdNumberCheck,
    answers: RegistryAnswers,
    reference: ReferenceData,
    today: dt.date,
    register: RegisterFacts = NOTHING_REGISTERED,
) -> dict[str, Any]:
    """The flat fact mapping of the declared fact schema, every fact present and typed."""
    return derive_facts(
        FactSources.of(
            app,
            id_check,
            reference,
            today,
            market=answers.facts(MARKET),
            food=answers.facts(FOOD),
            estate=answers.facts(REALESTATE),
            population=answers.facts(POPULATION),
            unavailable_count=len(answers.unavailable),
            register=register,
        )
    )


def licence_conditions(
    app: ApplicationCreate, catalog: ScopeCatalog, residential: bool
) -> list[str]:
    """What an approval with conditions obliges the holder to do, in the applicant's words."""
    conditions = [
        condition
        for item in scope_items(app, catalog)
        if item is not None and (condition := item.licence_condition) is not None
    ]
    if residential:
        conditions.append(
            "住宅作为经营场所：已承诺征得有利害关系的业主一致同意（《民法典》第二百七十九条）"
        )
    return conditions


def scope_suggestions(app: ApplicationCreate, catalog: ScopeCatalog) -> list[dict[str, Any]]:
    """Each scope entry that is not a catalogue code, with the nearest entries (did-you-mean),
    best first: ``F1OO1`` is answered with F1001, ``开饭店`` with 餐饮服务."""
    return [
        {"entry": entry, "nearest": [{"code": near.code, "title": near.title} for near in nearest]}
        for entry, nearest in unknown_scope_entries(app, catalog)
    ]
