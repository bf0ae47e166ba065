"""Submitting an application: validate, ask the registries, decide, issue — in one request."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from approval.access.service import APPLICANT_ROLES, Principal, Role
from approval.context import AppContext
from approval.decisions.facts import build_facts, licence_conditions
from approval.decisions.registries import RegistryAnswers, ask_registries
from approval.decisions.service import UNAVAILABLE_REASON, Verdict, decide
from approval.errors import (
    ApplicationNotFound,
    Forbidden,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    InvalidApplication,
)
from approval.intake import repository
from approval.intake.identity import (
    IdNumberCheck,
    IdNumberInvalid,
    check_id_number,
    mask_id_number,
)
from approval.intake.schemas import ApplicationCreate
from approval.licences import repository as licence_repository
from approval.licences.service import issue_licence, store_licence
from approval.problems import validation_errors


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
        "timeline": [
            {"at": _json_ready(e["at"]), "kind": e["kind"], "detail": e["detail"]} for e in events
        ],
    }


def _replay_or_conflict(row: Any, request_hash: str) -> dict[str, Any]:
    if row.request_hash != request_hash:
        raise IdempotencyKeyReused(
            "该 Idempotency-Key 已用于另一份不同内容的申请；"
            "如需提交新申请，请使用新的 Idempotency-Key"
        )
    response: dict[str, Any] = row.response
    return response


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


async def submit(
    ctx: AppContext, principal: Principal, body: bytes, idempotency_key: str | None
) -> tuple[int, dict[str, Any]]:
    """Decide an application within the request; a retry with the same key replays the answer.

    The key is checked when the application is stored (a unique constraint), not before: a
    retry is rare, and a look-up on every submission would cost more than re-deciding retries.
    """
    request_hash = hashlib.sha256(body).hexdigest()
    if idempotency_key is None and principal.role in APPLICANT_ROLES:
        raise IdempotencyKeyRequired()
    now = ctx.clock.now()
    app, id_check = _parse(body, principal, now.date())
    application_id = uuid.uuid4().hex
    authority_code = app.premises.district_code
    answers = await ask_registries(
        ctx.registries,
        case_id=application_id,
        operator_id_number=id_check.number,
        authority_code=authority_code,
        proposed_name=app.name,
        property_certificate=app.premises.property_certificate_number
        if app.premises.kind == "physical"
        else None,
        deadline_seconds=ctx.settings.registry_deadline_ms / 1000,
    )
    facts = build_facts(app, id_check, answers, ctx.reference, now.date())
    decided_at = ctx.clock.now()
    events: list[dict[str, Any]] = [
        {"at": now, "kind": "received", "detail": {"channel": principal.role.value}},
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
        status, outcome, reasons, version = "pending_verification", None, [UNAVAILABLE_REASON], None
        events.append(
            {
                "at": decided_at,
                "kind": "pending_verification",
                "detail": {"unavailable": [r.value for r in answers.unavailable]},
            }
        )
        conditions: list[str] = []
    else:
        decision = decide(ctx.ruleset, facts)
        status = "issued" if decision.approved else "decided"
        outcome, reasons, version = (
            decision.verdict.value,
            decision.reasons(),
            decision.ruleset_version,
        )
        conditions = (
            licence_conditions(
                app,
                ctx.reference.scope,
                residential=facts["registries.realestate.registered_use"] == "住宅",
            )
            if decision.verdict == Verdict.APPROVE_WITH_CONDITIONS
            else []
        )
        events.append(
            {
                "at": decided_at,
                "kind": "decided",
                "detail": {
                    "decision": outcome,
                    "rules": [r.id for r in decision.fired],
                    "ruleset_version": version,
                },
            }
        )
    row: dict[str, Any] = {
        "id": application_id,
        "created_at": now,
        "updated_at": decided_at,
        "channel": principal.role.value,
        "key_id": principal.key_id,
        "idempotency_key": idempotency_key,
        "request_hash": request_hash,
        "status": status,
        "operator_id_number": id_check.number,
        "authority_code": authority_code,
        "payload": app.model_dump(mode="json"),
        "facts": facts,
        "conditions": conditions,
        "ruleset_version": version,
        "outcome": outcome,
        "reasons": reasons,
        "decided_at": decided_at if outcome else None,
    }
    signed = None
    if status == "issued":
        signed = issue_licence(
            serial=ctx.serials.take(authority_code),
            app=app,
            authority_code=authority_code,
            catalog=ctx.reference.scope,
            signer=ctx.signer,
            now=decided_at,
        )
        events.append(
            {
                "at": decided_at,
                "kind": "licence_issued",
                "detail": {"credit_code": signed.document.credit_code},
            }
        )
    credit_code = signed.document.credit_code if signed else None
    response = render(row, events, credit_code, principal, ctx.settings.base_url)
    try:
        with ctx.db.transaction() as conn:
            _store(conn, row, response, events, answers, decided_at)
            if signed:
                store_licence(conn, application_id, signed, decided_at)
                repository.insert_outbox(
                    conn,
                    "licence_issued",
                    application_id,
                    {"credit_code": credit_code, "scope": app.scope, "authority": authority_code},
                    decided_at,
                )
    except IntegrityError:
        if idempotency_key is None:
            raise
        # a retry, or the same key racing us from another request: the first one stored wins
        with ctx.db.reading() as conn:
            seen = repository.find_by_idempotency_key(conn, principal.key_id, idempotency_key)
        if seen is None:
            raise
        return 201, _replay_or_conflict(seen, request_hash)
    return 201, response


def _store(
    conn: Connection,
    row: dict[str, Any],
    response: dict[str, Any],
    events: list[dict[str, Any]],
    answers: RegistryAnswers,
    now: dt.datetime,
) -> None:
    repository.insert_application(conn, **row, response=response)
    repository.insert_registry_answers(
        conn,
        [
            {
                "application_id": row["id"],
                "registry": a.registry.value,
                "available": a.available,
                "answer": a.stored(),
                "detail": a.detail,
                "latency_ms": a.latency_ms,
                "fetched_at": now,
            }
            for a in answers.answers
        ],
    )
    repository.insert_events(conn, [{"application_id": row["id"], **e} for e in events])


def may_read(principal: Principal, key_id: str, operator_id_number: str) -> bool:
    if principal.role == Role.STAFF:
        return True
    if principal.role == Role.TERMINAL:
        return principal.key_id == key_id
    if principal.role == Role.MOBILE:
        return principal.subject == operator_id_number
    return False


def read_application(
    conn: Connection, principal: Principal, application_id: str, base_url: str
) -> dict[str, Any]:
    row = repository.get_application(conn, application_id)
    # an application the caller may not read is reported as missing, not as forbidden
    if row is None or not may_read(principal, row.key_id, row.operator_id_number):
        raise ApplicationNotFound()
    events = [e._mapping for e in repository.list_events(conn, application_id)]
    licence = licence_repository.find_licence_for_application(conn, application_id)
    return render(
        row._mapping, events, licence.credit_code if licence else None, principal, base_url
    )
