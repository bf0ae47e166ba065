"""Pushing approvals to supervising departments and their ACK → CLAIM → ACTION → CLOSE.

Outbox events (written in the decision's transaction) are fanned out into one *copy* per
responsible department, in one transaction with marking the event routed: an event is either
fully fanned out or not at all. Webhook copies are then leased, posted (Ed25519-signed) and
marked received; a worker that dies mid-delivery leaves a lease that runs out, and the copy is
posted again — at least once, with the copy id as the receiver's deduplication key.
Departments without a webhook pull their copies through the API.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Row
from sqlalchemy.engine import Connection

from approval.applications import repository as applications_repository
from approval.audit.chain import Entry
from approval.audit.service import append
from approval.calendar import WorkingCalendar
from approval.catalog.scope import ScopeCatalog
from approval.errors import IllegalTransition
from approval.kernel.identity import mask_id_number
from approval.kernel.principal import Principal, Role
from approval.signing import LicenceSigner
from approval.supervision import repository
from approval.supervision.departments import DepartmentMap
from approval.supervision.errors import CopyNotFound, NoDepartment

CLAIM_WORKING_DAYS = 2
LEASE = dt.timedelta(seconds=60)
RETRY_BASE_SECONDS = 5.0
RETRY_CAP_SECONDS = 600.0
ACTION_KINDS = ("inspection", "permit_issued", "permit_refused", "filing_received", "other")


def system_entry(now: dt.datetime, action: str, **detail: Any) -> Entry:
    return Entry(at=now, actor="dispatcher", role="system", action=action, detail=detail)


def _scope_lines(
    scope: list[str], catalog: ScopeCatalog, departments: DepartmentMap
) -> list[dict[str, Any]]:
    lines = []
    for code in scope:
        item = catalog.get(code)
        lines.append(
            {
                "code": code,
                "title": item.title if item else None,
                "kind": item.kind.value if item else None,
                "permit": item.permit if item else None,
                "authority": item.authority if item else None,
                "department": departments.for_scope_item(code, item.authority if item else None),
            }
        )
    return lines


def build_payload(
    event: Row[Any],
    app: Row[Any],
    licence: Row[Any] | None,
    catalog: ScopeCatalog,
    departments: DepartmentMap,
) -> dict[str, Any]:
    """The push payload (domain.md §5.1), personal data minimised: the ID number is masked,
    the application id is the token for authorised re-identification."""
    body = app.payload
    premises = body["premises"]
    scope_lines = _scope_lines(body["scope"], catalog, departments)
    document = licence.document if licence is not None else {}
    facts = app.facts or {}
    risk_flags = []
    if facts.get("registries.realestate.registered_use") == "住宅":
        risk_flags.append("residential_premises_with_commitment")
    if facts.get("registries.market.judgment_defaulter"):
        risk_flags.append("judgment_defaulter")
    return {
        "event": event.kind,
        "event_id": event.id,
        "event_detail": event.payload,
        "registration": {
            "credit_code": licence.credit_code if licence is not None else None,
            "name": body.get("name"),
            "operator": {
                "name": body["operator"]["name"],
                "id_number_masked": mask_id_number(app.operator_id_number),
                "reidentification_token": app.id,
            },
            "organisation_form": body["organisation_form"],
            "premises": {
                "kind": premises["kind"],
                "address": premises["address"],
                "district_code": premises["district_code"],
            },
            "authority_code": app.authority_code,
            "licence_status": licence.status if licence is not None else None,
        },
        "scope": scope_lines,
        "decision": {
            "route": licence.route if licence is not None else None,
            "outcome": app.outcome,
            "ruleset_version": app.ruleset_version,
            "commitments": sorted(k for k, v in body["commitments"].items() if v),
            "conditions": app.conditions,
            "licence_id": document.get("licence_id"),
            "issued_at": licence.created_at.isoformat() if licence is not None else None,
        },
        "permits": {
            "post_permit_needed": [s["code"] for s in scope_lines if s["kind"] == "post_permit"],
            "filing_needed": [s["code"] for s in scope_lines if s["kind"] == "filing"],
            "pre_approval_items": [s["code"] for s in scope_lines if s["kind"] == "pre_approval"],
        },
        "risk_flags": risk_flags,
    }


def route_outbox(
    conn: Connection,
    now: dt.datetime,
    catalog: ScopeCatalog,
    departments: DepartmentMap,
    webhooks: dict[str, str],
    calendar: WorkingCalendar,
    limit: int = 100,
) -> int:
    """Fan pending outbox events out to their departments' copies; the count of events."""
    events = repository.take_unrouted_outbox(conn, limit)
    for event in events:
        app, licence = repository.application_and_licence(conn, event.aggregate_id)
        if app is None:
            continue
        payload = build_payload(event, app, licence, catalog, departments)
        targets = departments.responsible(app.payload["scope"], catalog)
        due = calendar.add_working_days(now.date(), CLAIM_WORKING_DAYS)
        rows = []
        for department in targets:
            copy_id = uuid.uuid4().hex
            channel = "webhook" if department in webhooks else "pull"
            rows.append(
                {
                    "id": copy_id,
                    "outbox_id": event.id,
                    "application_id": app.id,
                    "credit_code": licence.credit_code if licence is not None else None,
                    "department": department,
                    "kind": event.kind,
                    "channel": channel,
                    "payload": {
                        **payload,
                        "delivery_id": copy_id,
                        "department": department,
                        "department_name": departments.name_of(department),
                        "claim_due_on": due.isoformat(),
                    },
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now if channel == "webhook" else None,
                    "last_error": None,
                    "created_at": now,
                    "created_on": now.date(),
                    "claim_due_on": due,
                    "actions": [],
                }
            )
        repository.insert_copies(conn, rows)
        append(
            conn,
            app.id,
            [
                system_entry(
                    now,
                    "supervision_pushed",
                    event=event.kind,
                    event_id=event.id,
                    departments={r["department"]: r["id"] for r in rows},
                    claim_due_on=due,
                )
            ],
        )
    if events:
        repository.mark_outbox_routed(conn, [e.id for e in events], now)
    return len(events)


@dataclass(frozen=True, slots=True)
class Delivery:
    copy_id: str
    application_id: str
    department: str
    kind: str
    url: str
    body: bytes
    headers: dict[str, str]


def signed_delivery(row: Row[Any], url: str, signer: LicenceSigner, now: dt.datetime) -> Delivery:
    """The webhook request: body plus headers whose Ed25519 signature covers the delivery id,
    the timestamp and the body's SHA-256 (verify with the key at /v1/licence-signing-key)."""
    body = orjson.dumps(row.payload, option=orjson.OPT_SORT_KEYS)
    timestamp = now.isoformat()
    statement = {
        "delivery_id": row.id,
        "timestamp": timestamp,
        "body_sha256": hashlib.sha256(body).hexdigest(),
    }
    return Delivery(
        copy_id=row.id,
        application_id=row.application_id,
        department=row.department,
        kind=row.kind,
        url=url,
        body=body,
        headers={
            "Content-Type": "application/json",
            "X-Miaopi-Delivery": row.id,
            "X-Miaopi-Event": row.kind,
            "X-Miaopi-Timestamp": timestamp,
            "X-Miaopi-Key-Id": signer.key_id,
            "X-Miaopi-Signature": signer.sign(statement),
        },
    )


def lease_deliveries(
    conn: Connection,
    now: dt.datetime,
    webhooks: dict[str, str],
    signer: LicenceSigner,
    limit: int = 50,
    lease: dt.timedelta = LEASE,
) -> list[Delivery]:
    rows = repository.lease_due_webhooks(conn, now, now + lease, limit)
    deliveries = []
    for row in rows:
        url = webhooks.get(row.department)
        if url is None:  # the webhook was removed: the copy waits to be pulled
            repository.update_copy(conn, row.id, channel="pull", next_attempt_at=None)
            continue
        deliveries.append(signed_delivery(row, url, signer, now))
    return deliveries


def record_received(conn: Connection, delivery: Delivery, now: dt.datetime) -> None:
    if repository.mark_received(conn, delivery.copy_id, now):
        append(
            conn,
            delivery.application_id,
            [
                system_entry(
                    now,
                    "supervision_received",
                    copy_id=delivery.copy_id,
                    department=delivery.department,
                    channel="webhook",
                )
            ],
        )


def retry_delay(attempts: int, rand: Callable[[], float] = random.random) -> dt.timedelta:
    """Capped exponential backoff with full jitter."""
    ceiling = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return dt.timedelta(seconds=max(1.0, ceiling * rand()))


def record_failure(
    conn: Connection, delivery: Delivery, attempts: int, now: dt.datetime, error: str
) -> None:
    repository.schedule_retry(conn, delivery.copy_id, now + retry_delay(attempts), error)


def escalate_overdue(conn: Connection, today: dt.date, now: dt.datetime) -> int:
    """Mark copies past their claim deadline escalated (once each) and audit it."""
    rows = repository.newly_overdue(conn, today)
    for row in rows:
        repository.update_copy(conn, row.id, escalated_at=now)
        append(
            conn,
            row.application_id,
            [
                system_entry(
                    now,
                    "claim_escalated",
                    copy_id=row.id,
                    department=row.department,
                    claim_due_on=row.claim_due_on,
                )
            ],
        )
    return len(rows)


# ── the department's side (pull API) ──


def department_of(conn: Connection, principal: Principal) -> str:
    department = repository.key_department(conn, principal.key_id)
    if not department:
        raise NoDepartment("请使用绑定了监管部门的密钥（miaopi keys create --department）")
    return department


def render_copy(row: Row[Any], today: dt.date) -> dict[str, Any]:
    return {
        "id": row.id,
        "department": row.department,
        "kind": row.kind,
        "channel": row.channel,
        "status": row.status,
        "credit_code": row.credit_code,
        "created_on": row.created_on.isoformat(),
        "claim_due_on": row.claim_due_on.isoformat(),
        "claim_overdue": row.status in repository.OPEN_FOR_CLAIM and row.claim_due_on < today,
        "escalated": row.escalated_at is not None,
        "delivered_at": _iso(row.delivered_at),
        "acknowledged_at": _iso(row.acknowledged_at),
        "claimed_at": _iso(row.claimed_at),
        "actions": row.actions,
        "closed_at": _iso(row.closed_at),
        "close_note": row.close_note,
        "payload": row.payload,
    }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def list_for(
    conn: Connection,
    principal: Principal,
    today: dt.date,
    status: str | None,
    overdue: bool,
    limit: int,
) -> list[dict[str, Any]]:
    department = None if principal.role == Role.STAFF else department_of(conn, principal)
    rows = repository.list_copies(conn, department, status, today if overdue else None, limit)
    return [render_copy(r, today) for r in rows]


def _own_copy(conn: Connection, principal: Principal, copy_id: str) -> Row[Any]:
    department = department_of(conn, principal)
    row = repository.lock_copy(conn, copy_id)
    if row is None or row.department != department:
        raise CopyNotFound()
    return row


def read_copy(
    conn: Connection, principal: Principal, copy_id: str, today: dt.date
) -> dict[str, Any]:
    return render_copy(_own_copy(conn, principal, copy_id), today)


def _audit(
    conn: Connection,
    principal: Principal,
    row: Row[Any],
    now: dt.datetime,
    action: str,
    reason: str | None = None,
    **detail: Any,
) -> None:
    append(
        conn,
        row.application_id,
        [
            Entry(
                at=now,
                actor=principal.key_id,
                role=principal.role.value,
                action=action,
                reason=reason,
                detail={"copy_id": row.id, "department": row.department, **detail},
            )
        ],
    )


def acknowledge(
    conn: Connection, principal: Principal, copy_id: str, now: dt.datetime
) -> dict[str, Any]:
    """签收: idempotent — acknowledging an acknowledged copy changes nothing."""
    row = _own_copy(conn, principal, copy_id)
    if row.status == "pending":
        repository.update_copy(
            conn,
            copy_id,
            status="acknowledged",
            acknowledged_at=now,
            delivered_at=now,
            next_attempt_at=None,
        )
        _audit(conn, principal, row, now, "supervision_acknowledged")
    return read_copy(conn, principal, copy_id, now.date())


def claim(conn: Connection, principal: Principal, copy_id: str, now: dt.datetime) -> dict[str, Any]:
    """认领: the department takes responsibility (acknowledging too, if it had not)."""
    row = _own_copy(conn, principal, copy_id)
    if row.status == "claimed":
        return read_copy(conn, principal, copy_id, now.date())
    if row.status not in repository.OPEN_FOR_CLAIM:
        raise IllegalTransition(f"该推送记录状态为 {row.status}，不能认领")
    repository.update_copy(
        conn,
        copy_id,
        status="claimed",
        claimed_at=now,
        claimed_by=principal.key_id,
        acknowledged_at=row.acknowledged_at or now,
        delivered_at=row.delivered_at or now,
        next_attempt_at=None,
    )
    _audit(
        conn,
        principal,
        row,
        now,
        "supervision_claimed",
        on_time=now.date() <= row.claim_due_on,
    )
    return read_copy(conn, principal, copy_id, now.date())


def record_action(
    conn: Connection,
    principal: Principal,
    copy_id: str,
    now: dt.datetime,
    kind: str,
    note: str,
    reference: str | None,
) -> dict[str, Any]:
    """What the department did: an inspection, a permit issued or refused, a filing received."""
    row = _own_copy(conn, principal, copy_id)
    if row.status not in ("claimed", "actioned"):
        raise IllegalTransition("请先认领该推送记录，再登记处理情况")
    action = {"at": now.isoformat(), "kind": kind, "note": note, "reference": reference}
    repository.update_copy(conn, copy_id, status="actioned", actions=[*row.actions, action])
    _audit(conn, principal, row, now, "supervision_action", note, kind=kind, reference=reference)
    return read_copy(conn, principal, copy_id, now.date())


def close(
    conn: Connection, principal: Principal, copy_id: str, now: dt.datetime, note: str
) -> dict[str, Any]:
    row = _own_copy(conn, principal, copy_id)
    if row.status != "actioned":
        raise IllegalTransition("只有已登记处理情况的推送记录才能办结")
    repository.update_copy(conn, copy_id, status="closed", closed_at=now, close_note=note)
    _audit(conn, principal, row, now, "supervision_closed", note)
    return read_copy(conn, principal, copy_id, now.date())


def report_broken_commitment(
    conn: Connection,
    principal: Principal,
    copy_id: str,
    now: dt.datetime,
    commitment: str,
    note: str,
) -> dict[str, Any]:
    """A broken commitment (e.g. trading before the permit) goes onto the registration's
    timeline and audit chain, where registry staff act on it."""
    row = _own_copy(conn, principal, copy_id)
    detail = {"department": row.department, "commitment": commitment, "note": note}
    applications_repository.insert_events(
        conn,
        [
            {
                "application_id": row.application_id,
                "at": now,
                "kind": "commitment_broken",
                "detail": detail,
            }
        ],
    )
    _audit(conn, principal, row, now, "commitment_broken", note, commitment=commitment)
    return {"application_id": row.application_id, "credit_code": row.credit_code, **detail}


def attempts_of(conn: Connection, copy_id: str) -> int:
    row = repository.get_copy(conn, copy_id)
    return int(row.attempts) if row is not None else 1
