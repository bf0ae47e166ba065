"""The manual-review queue: claim, see the facts and reasons, decide within the legal limit.

The limit is 3 working days from the application (条例 Art.19), +3 once with the head's
extension. A manual approval issues the licence exactly as an automatic one does
(:class:`approval.licences.service.LicenceIssuer` and ``record_issued``) and publishes the same
licence event, so the supervising departments receive it the same way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row
from sqlalchemy.engine import Connection

from approval.applications.errors import ApplicationStateChanged
from approval.applications.lifecycle import Actor, Lifecycle, timeline
from approval.audit.chain import Entry
from approval.audit.service import append
from approval.calendar import WorkingCalendar
from approval.catalog.scope import ScopeCatalog
from approval.decisions.facts import licence_conditions
from approval.engine.ruleset import Ruleset
from approval.errors import ApplicationNotFound, IllegalTransition
from approval.kernel.application import ApplicationCreate
from approval.kernel.principal import Principal
from approval.kernel.status import ApplicationStatus, Outcome
from approval.licences.document import SignedLicence
from approval.licences.service import IssueRoute, issue_notice, record_issued
from approval.names.analysis import NameLexicon
from approval.names.comparison import NameClaim, NameTaken, name_claim
from approval.review import repository

LIMIT_WORKING_DAYS = 3
EXTENSION_WORKING_DAYS = 3
BASIS = "《市场主体登记管理条例》第十九条"


class NotInQueue(ApplicationNotFound):
    code = "not_in_review_queue"
    title = "该申请不在人工审核队列中"


class NameNoLongerFree(IllegalTransition):
    code = "name_taken"
    title = "该名称已被他人登记或保留"


class ClaimedByAnother(IllegalTransition):
    code = "claimed_by_another"
    title = "该申请已由其他工作人员认领"


def _due(created: dt.date, due_on: dt.date | None, calendar: WorkingCalendar) -> dt.date:
    return due_on or calendar.add_working_days(created, LIMIT_WORKING_DAYS)


def list_queue(
    conn: Connection, today: dt.date, calendar: WorkingCalendar, overdue_only: bool
) -> list[dict[str, Any]]:
    cases = []
    for row in repository.queue(conn):
        due = _due(row.created_at.date(), row.due_on, calendar)
        overdue = today > due
        if overdue_only and not overdue:
            continue
        cases.append(
            {
                "application_id": row.id,
                "received_on": row.created_at.date().isoformat(),
                "due_on": due.isoformat(),
                "overdue": overdue,
                "extended": row.extended_on is not None,
                "claimed_by": row.claimed_by,
                "reasons": [r["code"] for r in row.reasons],
            }
        )
    return cases


def _waiting(conn: Connection, application_id: str) -> Row[Any]:
    app = repository.get_application(conn, application_id)
    if (
        app is None
        or app.status != ApplicationStatus.DECIDED
        or app.outcome != Outcome.MANUAL_REVIEW
    ):
        raise NotInQueue()
    return app


def _entry(
    principal: Principal, now: dt.datetime, action: str, reason: str | None = None, **detail: Any
) -> Entry:
    return Entry(now, principal.key_id, principal.role.value, action, reason, detail)


def claim(
    conn: Connection,
    principal: Principal,
    application_id: str,
    now: dt.datetime,
    calendar: WorkingCalendar,
    ruleset: Ruleset | None = None,
) -> dict[str, Any]:
    app = _waiting(conn, application_id)
    case = repository.get_case(conn, application_id)
    if case is None:
        created = app.created_at.date()
        repository.open_case(
            conn,
            application_id=application_id,
            opened_on=created,
            due_on=calendar.add_working_days(created, LIMIT_WORKING_DAYS),
            claimed_by=principal.key_id,
            claimed_at=now,
        )
    elif case.claimed_by not in (None, principal.key_id):
        raise ClaimedByAnother()
    else:
        repository.update_case(conn, application_id, claimed_by=principal.key_id, claimed_at=now)
    append(conn, application_id, [_entry(principal, now, "review_claimed")])
    return view(conn, application_id, ruleset, now.date(), calendar)


def view(
    conn: Connection,
    application_id: str,
    ruleset: Ruleset | None,
    today: dt.date,
    calendar: WorkingCalendar,
) -> dict[str, Any]:
    """Everything the reviewer needs: the application, its facts, the registry answers, the
    reasons and, per fired rule, each condition with the value it saw."""
    app = _waiting(conn, application_id)
    case = repository.get_case(conn, application_id)
    due = _due(app.created_at.date(), case.due_on if case else None, calendar)
    explanation = []
    if ruleset is not None and app.facts:
        for trace in ruleset.explain(app.facts):
            if trace.fired:
                explanation.append(
                    {
                        "rule_id": trace.rule.id,
                        "reason": trace.rule.reason.render(app.facts),
                        "conditions": [
                            {
                                "fact": c.condition.fact,
                                "operator": str(c.condition.operator),
                                "expected": c.condition.value,
                                "actual": c.actual,
                                "passed": c.passed,
                            }
                            for c in trace.conditions
                        ],
                    }
                )
    return {
        "application_id": app.id,
        "received_at": app.created_at.isoformat(),
        "due_on": due.isoformat(),
        "overdue": today > due,
        "extended": bool(case and case.extended_on),
        "claimed_by": case.claimed_by if case else None,
        "application": app.payload,
        "facts": app.facts,
        "reasons": app.reasons,
        "ruleset_version": app.ruleset_version,
        "explanation": explanation,
        "registry_answers": [
            {"registry": a.registry, "available": a.available, "answer": a.answer}
            for a in repository.answers(conn, application_id)
        ],
        "timeline": [
            {"at": _iso(e["at"]), "kind": e["kind"], "detail": e["detail"]}
            for e in timeline(conn, application_id)
        ],
    }


def _iso(at: str | dt.datetime) -> str:
    # opening events are read from their audit records, which keep the time as text
    return at if isinstance(at, str) else at.isoformat()


def extend(
    conn: Connection,
    principal: Principal,
    application_id: str,
    now: dt.datetime,
    calendar: WorkingCalendar,
    approved_by: str,
    reason: str,
) -> dict[str, Any]:
    """The head's extension: +3 working days, once (recorded with who approved it and why)."""
    app = _waiting(conn, application_id)
    case = repository.get_case(conn, application_id)
    created = app.created_at.date()
    if case is None:
        repository.open_case(
            conn,
            application_id=application_id,
            opened_on=created,
            due_on=calendar.add_working_days(created, LIMIT_WORKING_DAYS),
        )
        case = repository.get_case(conn, application_id)
    assert case is not None
    if case.extended_on is not None:
        raise IllegalTransition("该申请的审核期限已延长过一次")
    due = calendar.add_working_days(case.due_on, EXTENSION_WORKING_DAYS)
    repository.update_case(
        conn,
        application_id,
        due_on=due,
        extended_on=now.date(),
        extension_approved_by=approved_by,
        extension_reason=reason,
    )
    append(
        conn,
        application_id,
        [_entry(principal, now, "review_extended", reason, approved_by=approved_by, due_on=due)],
    )
    return {"application_id": application_id, "due_on": due.isoformat(), "extended": True}


@dataclass(frozen=True, slots=True)
class Prepared:
    app: ApplicationCreate
    authority_code: str
    residential: bool
    name: NameClaim | None


def prepare(
    conn: Connection, principal: Principal, application_id: str, names: NameLexicon
) -> Prepared:
    """Check the reviewer holds the case, before a licence is issued outside the transaction."""
    app = _waiting(conn, application_id)
    case = repository.get_case(conn, application_id)
    if case is None or case.claimed_by != principal.key_id:
        raise IllegalTransition("请先认领该申请，再作出决定")
    facts = app.facts or {}
    payload = ApplicationCreate.model_validate(app.payload)
    return Prepared(
        payload,
        app.authority_code,
        facts.get("registries.realestate.registered_use") == "住宅",
        name_claim(payload.name, app.authority_code, app.operator_id_number, names),
    )


def decide(
    conn: Connection,
    principal: Principal,
    application_id: str,
    now: dt.datetime,
    approve: bool,
    reasons: list[str],
    prepared: Prepared,
    catalog: ScopeCatalog,
    signed: SignedLicence | None,
    lifecycle: Lifecycle,
) -> dict[str, Any]:
    """Settle the case; an approval stores the licence and its outbox event in this transaction."""
    app = _waiting(conn, application_id)
    case = repository.get_case(conn, application_id)
    if case is None or case.claimed_by != principal.key_id:
        raise IllegalTransition("请先认领该申请，再作出决定")
    outcome = Outcome.APPROVE if approve else Outcome.REJECT
    staff_reasons = [
        {
            "rule_id": "MANUAL",
            "code": "MANUAL_REVIEW_DECISION",
            "outcome": outcome.value,
            "text": text,
            "basis": BASIS,
        }
        for text in reasons
    ]
    conditions = (
        licence_conditions(prepared.app, catalog, residential=prepared.residential)
        if approve
        else []
    )
    if approve and conditions:
        outcome = Outcome.APPROVE_WITH_CONDITIONS
    status = ApplicationStatus.ISSUED if approve else ApplicationStatus.DECIDED
    events: list[dict[str, Any]] = [
        {
            "at": now,
            "kind": "reviewed",
            "detail": {"decision": outcome.value, "reasons": reasons, "by": principal.key_id},
        }
    ]
    entries = [_entry(principal, now, "review_decided", "；".join(reasons), decision=outcome.value)]
    credit_code = signed.document.credit_code if signed is not None else None
    if signed is not None and credit_code is not None:
        try:
            record_issued(conn, application_id, signed, IssueRoute.MANUAL, now, prepared.name)
        except NameTaken as taken:
            raise NameNoLongerFree(
                f"名称“{taken.name}”已被他人登记或保留，不能核准；请驳回并告知申请人更换名称"
            ) from None
        events.append({"at": now, "kind": "licence_issued", "detail": {"credit_code": credit_code}})
        entries.append(_entry(principal, now, "licence_issued", credit_code=credit_code))
    try:
        lifecycle.transition(
            conn,
            application_id,
            status,
            expected_from=ApplicationStatus.DECIDED,
            columns={
                "outcome": outcome.value,
                "reasons": staff_reasons + list(app.reasons),
                "conditions": conditions,
                "decided_at": now,
            },
            events=events,
            actor=Actor(principal.key_id, principal.role.value),
            now=now,
            credit_code=credit_code,
            entries=entries,
            notice=issue_notice(prepared.app, IssueRoute.MANUAL) if signed is not None else None,
        )
    except ApplicationStateChanged:
        raise NotInQueue() from None
    repository.update_case(
        conn, application_id, decided_at=now, decision=outcome.value, reasons=reasons
    )
    return {
        "application_id": application_id,
        "status": status.value,
        "decision": outcome.value,
        "credit_code": signed.document.credit_code if signed else None,
        "conditions": conditions,
    }
