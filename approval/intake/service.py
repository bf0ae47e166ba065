"""Submitting an application: validate, ask the registries, decide, issue — in one request."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from approval.applications import repository as applications_repository
from approval.applications.lifecycle import Actor, Lifecycle, opening_events, timeline
from approval.calendar import WorkingCalendar
from approval.catalog.delivery import channel_of, check_delivery, find_hall
from approval.catalog.items import REGISTRATION, Catalog, CatalogItem
from approval.clock import Clock
from approval.database import Database
from approval.decisions.determination import (
    Determination,
    RulesInForce,
    answer_rows,
    determine,
    query_registries,
)
from approval.decisions.registries import Registries, RegistryAnswers
from approval.errors import (
    ApplicationNotFound,
    Forbidden,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    InvalidApplication,
)
from approval.intake import repository
from approval.kernel.application import ApplicationCreate
from approval.kernel.identity import (
    IdNumberCheck,
    IdNumberInvalid,
    check_id_number,
    mask_id_number,
)
from approval.kernel.principal import APPLICANT_ROLES, Principal, Role
from approval.kernel.status import ApplicationStatus, Outcome
from approval.licences import repository as licence_repository
from approval.licences.service import IssueRoute, LicenceIssuer, issue_notice, record_issued
from approval.names.comparison import (
    NOTHING_REGISTERED,
    NameClaim,
    NameTaken,
    RegisterFacts,
    name_claim,
)
from approval.names.register import look_up
from approval.problems import validation_errors
from approval.settings import Settings
from approval.verification.service import park, store_exchanges
from connectors.exchanges import Exchange, recording


def _json_ready(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def render(
    row: Mapping[Any, Any],
    events: Sequence[Mapping[Any, Any]],
    credit_code: str | None,
    principal: Principal,
    base_url: str,
) -> dict[str, Any]:
    """The application as its reader may see it: personal data masked unless it is theirs."""
    payload = row["payload"]
    id_number = row["operator_id_number"]
    return {
        "id": row["id"],
        "status": row["status"],
        "decision": row["outcome"],
        "reasons": row["reasons"],
        "conditions": row["conditions"],
        "ruleset_version": row["ruleset_version"],
        "channel": row["channel"],
        "operator_name": payload["operator"]["name"],
        "operator_id_number": id_number
        if principal.may_see_person(id_number)
        else mask_id_number(id_number),
        "created_at": _json_ready(row["created_at"]),
        "decided_at": _json_ready(row["decided_at"]),
        "licence": {
            "credit_code": credit_code,
            "json": f"/v1/licences/{credit_code}",
            "pdf": f"/v1/licences/{credit_code}/pdf",
            "verify": f"{base_url}/v1/verify/{credit_code}",
        }
        if credit_code
        else None,
        "timeline": _timeline(events),
    }


def request_hashes(body: bytes) -> tuple[str, str]:
    """The hash of the JSON value (keys sorted, no whitespace, escapes resolved), which is what a
    retry must repeat, and the hash of the bytes, which applications stored before compare."""
    raw = hashlib.sha256(body).hexdigest()
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return raw, raw  # not JSON: refused when it is parsed, so never stored
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest(), raw


def _replay_or_conflict(
    conn: Connection, row: Any, request_hashes: tuple[str, str]
) -> dict[str, Any]:
    """The first answer again: stored without its timeline, which is the opening events."""
    if row.request_hash not in request_hashes:
        raise IdempotencyKeyReused(
            "该 Idempotency-Key 已用于另一份不同内容的申请；"
            "如需提交新申请，请使用新的 Idempotency-Key"
        )
    response: dict[str, Any] = row.response
    if "timeline" in response:  # stored before the timeline was stored once
        return response
    return {**response, "timeline": _timeline(opening_events(conn, row.id, row.opening_records))}


def _timeline(events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"at": _json_ready(e["at"]), "kind": e["kind"], "detail": e["detail"]} for e in events]


def _parse(
    body: bytes, principal: Principal, today: dt.date
) -> tuple[ApplicationCreate, IdNumberCheck]:
    try:
        app = ApplicationCreate.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidApplication(errors=validation_errors(exc)) from None
    try:
        id_check = check_id_number(app.operator.id_type, app.operator.id_number, today)
    except IdNumberInvalid as exc:
        raise InvalidApplication(
            exc.message,
            errors=[{"field": "operator.id_number", "code": exc.code, "message": exc.message}],
        ) from None
    if principal.role == Role.MOBILE and principal.subject != id_check.number:
        raise Forbidden("手机 App 只能以本人身份证号码提交申请")
    return app, id_check


@dataclass(frozen=True, slots=True)
class Intake:
    """What receiving an application consults, wired once at the composition root."""

    db: Database
    clock: Clock
    settings: Settings
    registries: Registries
    rules_in_force: Callable[[], RulesInForce]  # read once per application, when it arrives
    issuer: LicenceIssuer
    catalog: Catalog
    calendar: WorkingCalendar
    lifecycle: Lifecycle


async def submit(
    intake: Intake, principal: Principal, body: bytes, idempotency_key: str | None
) -> tuple[int, dict[str, Any]]:
    """Decide an application within the request; a retry with the same key replays the answer.

    The request is one unit of work, written once on a worker thread after the registries have
    answered (no connection is held while they are asked); a request that fails writes nothing.
    The key is checked when the application is stored (a unique constraint), not before: a
    retry is rare, and a look-up on every submission would cost more than re-deciding retries.
    """
    hashes = request_hashes(body)
    if idempotency_key is None and principal.role in APPLICANT_ROLES:
        raise IdempotencyKeyRequired()
    now = intake.clock.now()
    # a ruleset published while this application is in flight does not decide it
    rules_in_force = intake.rules_in_force()
    app, id_check = _parse(body, principal, now.date())
    item = intake.catalog.items[REGISTRATION]
    hall = find_hall(intake.catalog, principal.hall_code)
    channel = channel_of(principal.role, hall)
    check_delivery(item, channel, hall)
    application_id = uuid.uuid4().hex
    authority_code = app.premises.district_code
    with recording() as exchanges:
        answers = await query_registries(
            intake.registries,
            intake.settings.registry_deadline_ms / 1000,
            application_id,
            app,
            id_check,
        )
    received = _Received(
        principal=principal,
        app=app,
        id_check=id_check,
        answers=answers,
        exchanges=exchanges,
        rules=rules_in_force,
        name=name_claim(app.name, authority_code, id_check.number, rules_in_force.reference.names),
        item=item,
        hashes=hashes,
        row={
            "id": application_id,
            "created_at": now,
            "channel": channel,
            "hall_code": principal.hall_code,
            "item_code": item.code,
            "key_id": principal.key_id,
            "idempotency_key": idempotency_key,
            "request_hash": hashes[0],
            "operator_id_number": id_check.number,
            "authority_code": authority_code,
            "payload": app.model_dump(mode="json"),
        },
    )
    # a name taken by a simultaneous application after it was looked up (the database's unique
    # index tells) is decided again, now seeing the name taken (R23)
    for _ in range(_NAME_RACE_ATTEMPTS - 1):
        try:
            return await _decide_and_store(intake, received)
        except NameTaken:
            continue
    return await _decide_and_store(intake, received)


_NAME_RACE_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class _Received:
    """An application as received and asked about, before it is decided."""

    principal: Principal
    app: ApplicationCreate
    id_check: IdNumberCheck
    answers: RegistryAnswers
    exchanges: Sequence[Exchange]
    rules: RulesInForce
    name: NameClaim | None
    item: CatalogItem
    hashes: tuple[str, str]
    row: Mapping[str, Any]  # the application's columns known before it is decided


async def _decide_and_store(intake: Intake, received: _Received) -> tuple[int, dict[str, Any]]:
    principal, app, answers = received.principal, received.app, received.answers
    application_id: str = received.row["id"]
    now: dt.datetime = received.row["created_at"]
    authority_code: str = received.row["authority_code"]
    idempotency_key: str | None = received.row["idempotency_key"]
    register = NOTHING_REGISTERED
    if received.name is not None and not answers.unavailable:
        register = await asyncio.to_thread(_look_up_name, intake.db, received.name, now)
    if not answers.unavailable and intake.issuer.serials.needs_block(authority_code):
        await asyncio.to_thread(intake.issuer.ensure_serials, authority_code)
    decided_at = intake.clock.now()
    determined = determine(
        app, received.id_check, answers, decided_at, received.rules, intake.issuer, register
    )
    status, signed = determined.status, determined.signed
    events: list[dict[str, Any]] = [
        {
            "at": now,
            "kind": "received",
            "detail": {"channel": received.row["channel"], "hall": principal.hall_code},
        },
        *determined.events,
    ]
    row: dict[str, Any] = {
        **received.row,
        "updated_at": decided_at,
        "due_date": due_date(intake.calendar, received.item, now.date(), determined),
        **determined.columns(),
    }
    credit_code = signed.document.credit_code if signed else None
    response = render(row, events, credit_code, principal, intake.settings.base_url)
    # the timeline is stored once, as the audit records of these events
    row["response"] = {k: v for k, v in response.items() if k != "timeline"}

    def write() -> None:
        with intake.db.transaction() as conn:
            intake.lifecycle.open(
                conn,
                row,
                events=events,
                actor=Actor(principal.key_id, principal.role.value),
                now=decided_at,
                credit_code=credit_code,
                notice=issue_notice(app, IssueRoute.AUTOMATIC) if signed else None,
            )
            repository.insert_registry_answers(
                conn, answer_rows(application_id, answers, decided_at)
            )
            store_exchanges(
                conn, received.exchanges, application_id, received.id_check.number, decided_at
            )
            if status == ApplicationStatus.PENDING_VERIFICATION:
                park(conn, intake.settings, application_id, decided_at)
            if signed:
                record_issued(
                    conn, application_id, signed, IssueRoute.AUTOMATIC, decided_at, received.name
                )

    def first_stored(key: str) -> dict[str, Any] | None:
        with intake.db.reading() as conn:
            seen = repository.find_by_idempotency_key(conn, principal.key_id, key)
            return _replay_or_conflict(conn, seen, received.hashes) if seen is not None else None

    # the database is written on a worker thread: a busy SQLite writer never stalls the loop
    try:
        await asyncio.to_thread(write)
    except IntegrityError:
        if idempotency_key is None:
            raise
        # a retry, or the same key racing us from another request: the first one stored wins
        replayed = await asyncio.to_thread(first_stored, idempotency_key)
        if replayed is None:
            raise
        return 201, replayed
    return 201, response


def _look_up_name(db: Database, name: NameClaim, now: dt.datetime) -> RegisterFacts:
    with db.reading() as conn:
        return look_up(conn, name, now)


def due_date(
    calendar: WorkingCalendar, item: CatalogItem, received: dt.date, determined: Determination
) -> dt.date:
    """The promised limit for a decision made at once; the legal one for a case that waits."""
    waits = (
        determined.status == ApplicationStatus.PENDING_VERIFICATION
        or determined.outcome == Outcome.MANUAL_REVIEW
    )
    return calendar.add_working_days(
        received, item.legal_limit_days if waits else item.promised_limit_days
    )


def read_application(
    conn: Connection, principal: Principal, application_id: str, base_url: str
) -> dict[str, Any]:
    row = applications_repository.get_application(conn, application_id)
    # an application the caller may not read is reported as missing, not as forbidden
    if row is None or not principal.may_read(row.key_id, row.operator_id_number):
        raise ApplicationNotFound()
    events = timeline(conn, application_id)
    licence = licence_repository.find_licence_for_application(conn, application_id)
    return render(
        row._mapping, events, licence.credit_code if licence else None, principal, base_url
    )


def list_applications(
    conn: Connection,
    principal: Principal,
    status: str | None,
    limit: int,
    before: dt.datetime | None,
) -> dict[str, Any]:
    """The caller's applications, newest first: a mobile key its applicant's, a terminal its own,
    staff everyone's. ``next_before`` pages on."""
    rows = repository.list_applications(
        conn,
        key_id=principal.key_id if principal.role == Role.TERMINAL else None,
        operator_id_number=principal.subject if principal.role == Role.MOBILE else None,
        status=status,
        limit=limit,
        before=before,
    )
    items = [
        {
            "id": row.id,
            "created_at": _json_ready(row.created_at),
            "status": row.status,
            "decision": row.outcome,
            "channel": row.channel,
            "name": row.name,
            "operator_id_number": row.operator_id_number
            if principal.may_see_person(row.operator_id_number)
            else mask_id_number(row.operator_id_number),
        }
        for row in rows
    ]
    return {
        "items": items,
        "next_before": items[-1]["created_at"] if len(items) == limit else None,
    }
