"""Objections to impersonated registration: 受理 → 核查 → 复议 → 终办, each with its deadline.

- intake (受理): the objector's identity is the mobile key bound to their ID number, which must
  be the operator's or a family member's on the registration (细则 Art.51); acceptance is
  decided within 3 working days (Art.52).
- investigation (核查): within 3 months (Art.53), with the registration's evidence (identity
  checks, registry answers, the audit chain); a 45-day public notice when the parties cannot be
  reached — no decision before it ends.
- legal_review (复议, the legal department's review before the decision): 10 working days
  [design: local practice].
- decision (终办): revoke, revoke only the false items (Art.57), or not revoke (Art.55), with
  reasons; 5 working days [design]. A revocation marks the licence revoked, pushes to the
  supervising departments and bans the responsible person for 3 years (条例 Art.40 ¶3).
- annulment (条例 Art.42): a wrong revocation is annulled and the prior state restored.
Every stage, its deadline and who moved it are on the objection's ``history`` and the
registration's audit chain.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Row
from sqlalchemy.engine import Connection

from approval.applications import repository as applications_repository
from approval.applications.lifecycle import Actor, ItemsRevoked, LicenceRevoked, Lifecycle
from approval.audit import repository as audit_repository
from approval.audit.chain import Entry
from approval.audit.service import append
from approval.calendar import WorkingCalendar, add_months, add_years
from approval.errors import Forbidden, IllegalTransition, NotFound
from approval.kernel.identity import mask_id_number
from approval.kernel.principal import Principal, Role
from approval.kernel.status import ApplicationStatus
from approval.objections import repository
from approval.supervision import repository as supervision_repository

ACCEPTANCE_WORKING_DAYS = 3
INVESTIGATION_MONTHS = 3
NOTICE_DAYS = 45
LEGAL_REVIEW_WORKING_DAYS = 10
DECISION_WORKING_DAYS = 5
BAN_YEARS = 3
DECISIONS = ("revoke", "revoke_false_items", "not_revoke")


class ObjectionNotFound(NotFound):
    code = "objection_not_found"
    title = "未找到该异议"


class NotTheImpersonatedPerson(Forbidden):
    code = "objection_identity_mismatch"
    title = "只有被冒用身份的本人可以提出冒名登记异议"


class NoticeRunning(IllegalTransition):
    code = "public_notice_running"
    title = "公示期未满，不能作出决定"


def _entry(
    principal: Principal, now: dt.datetime, action: str, reason: str | None, **detail: Any
) -> Entry:
    return Entry(now, principal.key_id, principal.role.value, action, reason, detail)


def _step(
    principal: Principal,
    now: dt.datetime,
    stage: str,
    due: dt.date | None,
    reason: str | None,
    **detail: Any,
) -> dict[str, Any]:
    return {
        "at": now.isoformat(),
        "stage": stage,
        "due_on": due.isoformat() if due else None,
        "by": principal.key_id,
        "role": principal.role.value,
        "reason": reason,
        **detail,
    }


def render(row: Row[Any], today: dt.date, principal: Principal) -> dict[str, Any]:
    staff = principal.role == Role.STAFF
    return {
        "id": row.id,
        "credit_code": row.credit_code,
        "application_id": row.application_id if staff else None,
        "objector_id_number": row.objector_id_number
        if principal.may_see_person(row.objector_id_number)
        else mask_id_number(row.objector_id_number),
        "grounds": row.grounds,
        "stage": row.stage,
        "stage_due_on": row.stage_due_on.isoformat() if row.stage_due_on else None,
        "overdue": bool(row.stage_due_on and today > row.stage_due_on),
        "notice_ends_on": row.notice_ends_on.isoformat() if row.notice_ends_on else None,
        "decision": row.decision,
        "revoked_items": row.revoked_items,
        "history": row.history,
    }


def _load(conn: Connection, objection_id: str) -> Row[Any]:
    row = repository.get(conn, objection_id, lock=True)
    if row is None:
        raise ObjectionNotFound()
    return row


def _expect(row: Row[Any], *stages: str) -> None:
    if row.stage not in stages:
        raise IllegalTransition(f"异议当前处于 {row.stage} 阶段，不能执行该操作")


def _advance(
    conn: Connection,
    principal: Principal,
    row: Row[Any],
    now: dt.datetime,
    stage: str,
    due: dt.date | None,
    reason: str | None,
    action: str,
    **detail: Any,
) -> None:
    history = [*row.history, _step(principal, now, stage, due, reason, action=action, **detail)]
    repository.update_objection(
        conn, row.id, stage=stage, stage_due_on=due, history=history, updated_at=now
    )
    append(
        conn,
        row.application_id,
        [
            _entry(
                principal,
                now,
                action,
                reason,
                objection_id=row.id,
                stage=stage,
                due_on=due,
                **detail,
            )
        ],
    )


def file_objection(
    conn: Connection,
    principal: Principal,
    credit_code: str,
    grounds: str,
    now: dt.datetime,
    calendar: WorkingCalendar,
) -> dict[str, Any]:
    """An objection by the person whose identity was used (the mobile key's verified ID)."""
    licence = repository.licence(conn, credit_code.upper())
    if licence is None:
        raise NotFound("未找到该营业执照")
    app = repository.application(conn, licence.application_id)
    assert app is not None
    people = {app.operator_id_number} | {
        m["id_number"] for m in app.payload.get("family_members", [])
    }
    if principal.role != Role.MOBILE or principal.subject not in people:
        raise NotTheImpersonatedPerson(
            "请使用绑定本人身份证号码的手机 App 提出异议；该登记未使用您的身份信息"
        )
    objection_id = uuid.uuid4().hex
    due = calendar.add_working_days(now.date(), ACCEPTANCE_WORKING_DAYS)
    repository.insert_objection(
        conn,
        id=objection_id,
        credit_code=licence.credit_code,
        application_id=app.id,
        objector_id_number=principal.subject,
        objector_key_id=principal.key_id,
        grounds=grounds,
        stage="intake",
        stage_due_on=due,
        history=[_step(principal, now, "intake", due, grounds, action="objection_filed")],
        created_at=now,
        updated_at=now,
    )
    applications_repository.insert_events(
        conn,
        [
            {
                "application_id": app.id,
                "at": now,
                "kind": "objection_filed",
                "detail": {"objection_id": objection_id},
            }
        ],
    )
    append(
        conn,
        app.id,
        [_entry(principal, now, "objection_filed", grounds, objection_id=objection_id, due_on=due)],
    )
    row = repository.get(conn, objection_id)
    assert row is not None
    return render(row, now.date(), principal)


def read(
    conn: Connection, principal: Principal, objection_id: str, today: dt.date
) -> dict[str, Any]:
    row = repository.get(conn, objection_id)
    if row is None or (
        principal.role != Role.STAFF and principal.subject != row.objector_id_number
    ):
        raise ObjectionNotFound()
    return render(row, today, principal)


def list_open(
    conn: Connection, principal: Principal, today: dt.date, overdue_only: bool
) -> list[dict[str, Any]]:
    rows = repository.open_objections(conn)
    return [
        render(r, today, principal)
        for r in rows
        if not overdue_only or (r.stage_due_on is not None and today > r.stage_due_on)
    ]


def decide_acceptance(
    conn: Connection,
    principal: Principal,
    objection_id: str,
    now: dt.datetime,
    accept: bool,
    reason: str,
) -> dict[str, Any]:
    row = _load(conn, objection_id)
    _expect(row, "intake")
    licence = repository.licence(conn, row.credit_code)
    if accept and licence is not None and licence.status == "revoked":
        raise IllegalTransition("该登记已被撤销，不予受理")
    if accept:
        due = add_months(now.date(), INVESTIGATION_MONTHS)
        _advance(conn, principal, row, now, "investigation", due, reason, "objection_accepted")
    else:
        _advance(conn, principal, row, now, "refused", None, reason, "objection_refused")
    return read(conn, principal, objection_id, now.date())


def evidence(conn: Connection, principal: Principal, objection_id: str) -> dict[str, Any]:
    """What the investigation looks at: the identity checks made at registration, the
    registry answers and the registration's audit records (with their hashes)."""
    row = repository.get(conn, objection_id)
    if row is None:
        raise ObjectionNotFound()
    app = repository.application(conn, row.application_id)
    assert app is not None
    facts = app.facts or {}
    return {
        "objection_id": row.id,
        "credit_code": row.credit_code,
        "application_id": app.id,
        "submitted_at": app.created_at.isoformat(),
        "channel": app.channel,
        "submitting_key_id": app.key_id,
        "identity_checks": {
            "id_number": app.operator_id_number,
            "face_match_score": app.payload["identity_evidence"]["face_match_score"],
            "liveness_passed": app.payload["identity_evidence"]["liveness_passed"],
            # only a number that passes the check is accepted: a stored application passed it
            "id_check_ok": True,
            "impersonation_watch": facts.get("registries.market.impersonation_watch"),
            "contact_mobile": app.payload["contact"]["mobile"],
        },
        "registry_answers": [
            {
                "registry": a.registry,
                "available": a.available,
                "fetched_at": a.fetched_at.isoformat(),
            }
            for a in repository.answers(conn, app.id)
        ],
        "audit_records": audit_repository.chain_records(conn, app.id),
    }


def start_public_notice(
    conn: Connection, principal: Principal, objection_id: str, now: dt.datetime, reason: str
) -> dict[str, Any]:
    """The parties cannot be reached: publish for 45 days; no decision before it ends."""
    row = _load(conn, objection_id)
    _expect(row, "investigation")
    ends = now.date() + dt.timedelta(days=NOTICE_DAYS)
    repository.update_objection(conn, row.id, notice_ends_on=ends)
    due = max(row.stage_due_on or ends, ends)
    _advance(
        conn,
        principal,
        row,
        now,
        "investigation",
        due,
        reason,
        "public_notice_started",
        notice_ends_on=ends,
    )
    return read(conn, principal, objection_id, now.date())


def finish_investigation(
    conn: Connection,
    principal: Principal,
    objection_id: str,
    now: dt.datetime,
    finding: str,
    reason: str,
    calendar: WorkingCalendar,
) -> dict[str, Any]:
    row = _load(conn, objection_id)
    _expect(row, "investigation")
    if row.notice_ends_on is not None and now.date() <= row.notice_ends_on:
        raise NoticeRunning(f"公示期至 {row.notice_ends_on.isoformat()} 届满")
    due = calendar.add_working_days(now.date(), LEGAL_REVIEW_WORKING_DAYS)
    _advance(
        conn,
        principal,
        row,
        now,
        "legal_review",
        due,
        reason,
        "investigation_finished",
        finding=finding,
    )
    return read(conn, principal, objection_id, now.date())


def finish_legal_review(
    conn: Connection,
    principal: Principal,
    objection_id: str,
    now: dt.datetime,
    opinion: str,
    reason: str,
    calendar: WorkingCalendar,
) -> dict[str, Any]:
    row = _load(conn, objection_id)
    _expect(row, "legal_review")
    due = calendar.add_working_days(now.date(), DECISION_WORKING_DAYS)
    _advance(
        conn, principal, row, now, "decision", due, reason, "legal_review_finished", opinion=opinion
    )
    return read(conn, principal, objection_id, now.date())


def decide(
    conn: Connection,
    principal: Principal,
    objection_id: str,
    now: dt.datetime,
    decision: str,
    reason: str,
    false_items: list[str],
    responsible_id_number: str | None,
    responsible_name: str | None,
    lifecycle: Lifecycle,
) -> dict[str, Any]:
    """终办: the written decision; a revocation takes effect everywhere in this transaction."""
    row = _load(conn, objection_id)
    _expect(row, "decision")
    licence = repository.licence(conn, row.credit_code, lock=True)
    assert licence is not None
    today = now.date()
    detail: dict[str, Any] = {"decision": decision}
    if decision == "revoke":
        if not responsible_id_number:
            raise IllegalTransition("撤销登记须写明直接责任人员的身份证号码（3年内不得再次申请）")
        banned_until = add_years(today, BAN_YEARS)
        revokes_now = licence.status != "revoked"  # another objection may have revoked it
        supervision_repository.insert_ban(
            conn,
            id_number=responsible_id_number,
            name=responsible_name,
            banned_on=today,
            banned_until=banned_until,
            objection_id=row.id,
            credit_code=row.credit_code,
        )
        detail |= {
            "banned_until": banned_until,
            "responsible_id_number": mask_id_number(responsible_id_number),
        }
        event_kind = "licence_revoked"
    elif decision == "revoke_false_items":
        if not false_items:
            raise IllegalTransition("请列出被撤销的虚假登记事项")
        detail["revoked_items"] = false_items
        event_kind = "items_revoked"
    else:
        event_kind = "revocation_refused"
    repository.update_objection(
        conn,
        row.id,
        decision=decision,
        revoked_items=false_items or None,
        responsible_id_number=responsible_id_number,
        previous_licence_status=licence.status,
    )
    notice = {"objection_id": row.id, "reason": reason, **_jsonable(detail)}
    event = {"at": now, "kind": event_kind, "detail": notice}
    if decision == "revoke" and revokes_now:
        _move_licence(conn, lifecycle, principal, row, ApplicationStatus.REVOKED, event, now)
    else:
        applications_repository.insert_events(
            conn, [{"application_id": row.application_id, **event}]
        )
        # the departments hear of every revocation decision, also of one whose licence another
        # objection's revocation had already revoked
        if decision == "revoke":
            lifecycle.publish(
                conn, LicenceRevoked(row.application_id, row.credit_code, now, notice)
            )
        elif decision == "revoke_false_items":
            lifecycle.publish(conn, ItemsRevoked(row.application_id, row.credit_code, now, notice))
    row = _load(conn, objection_id)
    _advance(conn, principal, row, now, "closed", None, reason, "objection_decided", **detail)
    return read(conn, principal, objection_id, today)


def annul(
    conn: Connection,
    principal: Principal,
    objection_id: str,
    now: dt.datetime,
    reason: str,
    lifecycle: Lifecycle,
) -> dict[str, Any]:
    """条例 Art.42: annul a wrong revocation and restore the prior state, keeping the history."""
    row = _load(conn, objection_id)
    _expect(row, "closed")
    if row.decision != "revoke":
        raise IllegalTransition("只有撤销登记的决定可以被撤销并恢复原状")
    supervision_repository.lift_bans(conn, row.id, now, reason)
    repository.update_objection(conn, row.id, decision="revoke_annulled")
    # the licence comes back only when no other objection's revocation still stands
    standing = repository.standing_revocations(conn, row.credit_code)
    previous = "revoked" if standing else "current"
    event = {
        "at": now,
        "kind": "revocation_annulled",
        "detail": {"objection_id": row.id, "reason": reason, "other_revocations": standing},
    }
    if standing:
        applications_repository.insert_events(
            conn, [{"application_id": row.application_id, **event}]
        )
    else:
        notice = {"objection_id": row.id, "reason": reason}
        _move_licence(conn, lifecycle, principal, row, ApplicationStatus.ISSUED, event, now, notice)
    row = _load(conn, objection_id)
    _advance(
        conn,
        principal,
        row,
        now,
        "closed",
        None,
        reason,
        "revocation_annulled",
        licence_status=previous,
    )
    return read(conn, principal, objection_id, now.date())


def _move_licence(
    conn: Connection,
    lifecycle: Lifecycle,
    principal: Principal,
    row: Row[Any],
    to: ApplicationStatus,
    event: dict[str, Any],
    now: dt.datetime,
    notice: dict[str, Any] | None = None,
) -> None:
    """Revoke (to REVOKED) or restore (to ISSUED) the objection's licence and registration;
    the departments are told what the event says unless ``notice`` says otherwise."""
    revoking = to == ApplicationStatus.REVOKED
    repository.set_licence_status(conn, row.credit_code, "revoked" if revoking else "current")
    lifecycle.transition(
        conn,
        row.application_id,
        to,
        expected_from=ApplicationStatus.ISSUED if revoking else ApplicationStatus.REVOKED,
        columns={},
        events=[event],
        actor=Actor(principal.key_id, principal.role.value),
        now=now,
        credit_code=row.credit_code,
        notice=event["detail"] if notice is None else notice,
    )


def _jsonable(detail: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in detail.items()}
