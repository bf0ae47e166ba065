"""Facts of a stored application derived again, under any ruleset's reference data.

A backtest that reused the facts stored at decision time would miss every change to the word
lists, the scope catalogue or the fact derivations. So the stored submission
(``applications.payload``) is parsed again, the registries' answers are rebuilt from the
``registry_answers`` rows, and the facts are built as at submission, under the given reference
data and on the application's own decision day (ages and bans do not drift with today).

One input is not stored: this authority's own name register as it stood when the application
was decided (names taken, reserved or freed since then would change the answer). The facts read
from it (:data:`REGISTER_FACTS`) keep their stored values.

An application that cannot be derived again (no stored submission or answers, a submission that
no longer parses, an ID number the check now refuses, an answer that no longer fits its
registry's model) keeps its stored facts, with the reason: callers count it, never silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from approval.decisions.facts import ReferenceData, build_facts
from approval.decisions.registries import RegistryAnswer, RegistryAnswers
from approval.kernel.application import ApplicationCreate
from approval.kernel.identity import IdNumberCheck, IdNumberInvalid, check_id_number
from connectors.registries import REGISTRIES

# the facts derived from the authority's name register (approval.names.comparison.RegisterFacts)
REGISTER_FACTS = frozenset(
    {
        "name.taken_in_register",
        "name.freed_within_year",
        "name.similar_in_register",
        "name.identical_existing",
        "name.freed_existing",
        "name.freed_on",
        "name.similar_existing",
    }
)

# why an application was not derived again
NO_PAYLOAD = "no_payload"
NO_ANSWERS = "no_registry_answers"
PAYLOAD_INVALID = "payload_invalid"
ID_NUMBER_INVALID = "id_number_invalid"
ANSWER_INVALID = "registry_answer_invalid"


@dataclass(frozen=True, slots=True)
class Inputs:
    """What one stored application's facts are derived from."""

    app: ApplicationCreate
    id_check: IdNumberCheck
    answers: RegistryAnswers
    day: dt.date  # the day it was decided (or received, if never decided)


@dataclass(frozen=True, slots=True)
class NotRecomputed:
    reason: str


def inputs_of(
    payload: Any,
    answer_rows: Iterable[Any],
    created_at: dt.datetime,
    decided_at: dt.datetime | None,
    reviewed: bool = False,
) -> Inputs | NotRecomputed:
    """The stored submission and answers parsed again, or why they cannot be. A case staff
    reviewed holds staff's decision time: the rules decided it the day it arrived."""
    if not isinstance(payload, Mapping) or not payload:
        return NotRecomputed(NO_PAYLOAD)
    rows = list(answer_rows)
    if not rows:
        return NotRecomputed(NO_ANSWERS)
    try:
        app = ApplicationCreate.model_validate(payload)
    except ValidationError:
        return NotRecomputed(PAYLOAD_INVALID)
    try:
        # checked as on the day it arrived (a birth date is "in the future" against that day)
        id_check = check_id_number(app.operator.id_type, app.operator.id_number, created_at.date())
    except IdNumberInvalid:
        return NotRecomputed(ID_NUMBER_INVALID)
    try:
        by_registry = {
            row.registry: RegistryAnswer.from_stored(
                row.registry, bool(row.available), row.answer, row.detail, int(row.latency_ms or 0)
            )
            for row in rows
        }
    except (KeyError, ValidationError):
        return NotRecomputed(ANSWER_INVALID)
    # in the table's order, as they were gathered
    answers = RegistryAnswers(
        tuple(by_registry[s.registry.value] for s in REGISTRIES if s.registry.value in by_registry)
    )
    day = (created_at if reviewed or decided_at is None else decided_at).date()
    return Inputs(app, id_check, answers, day)


def recompute(
    inputs: Inputs, reference: ReferenceData, stored_facts: Mapping[str, Any]
) -> dict[str, Any]:
    """The facts under ``reference``; the name-register facts are the stored ones."""
    facts = build_facts(inputs.app, inputs.id_check, inputs.answers, reference, inputs.day)
    for name in REGISTER_FACTS:
        if name in stored_facts:
            facts[name] = stored_facts[name]
    return facts


@dataclass(frozen=True, slots=True)
class Rederived:
    """One stored application's facts under a ruleset's reference data."""

    facts: dict[str, Any]
    not_recomputed: str | None  # the reason its stored facts were used instead


def rederive(
    inputs: Inputs | NotRecomputed,
    reference: ReferenceData,
    stored_facts: Mapping[str, Any],
) -> Rederived:
    if isinstance(inputs, NotRecomputed):
        return Rederived(dict(stored_facts), inputs.reason)
    return Rederived(recompute(inputs, reference, stored_facts), None)
