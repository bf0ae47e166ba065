"""A bundle's parts: planned from its registration's decision, and re-planned when it changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Connection

from approval.applications.lifecycle import Decided
from approval.bundles import repository
from approval.calendar import WorkingCalendar
from approval.catalog.items import REGISTRATION, Bundle, Catalog
from approval.kernel.status import ApplicationStatus, Outcome

_REGISTRATION_PART: dict[str, tuple[str, str]] = {
    ApplicationStatus.ISSUED: ("completed", "已核准设立登记并发放营业执照"),
    Outcome.REJECT: ("rejected", "设立登记不予登记，原因见设立登记的决定"),
    Outcome.MANUAL_REVIEW: ("in_review", "设立登记已转人工审核"),
    ApplicationStatus.PENDING_VERIFICATION: ("in_progress", "设立登记待核验，系统将自动重新核验"),
}


def _registration_part(registration: dict[str, Any]) -> tuple[str, str]:
    key = (
        ApplicationStatus.ISSUED
        if registration["status"] == ApplicationStatus.ISSUED
        else (registration["decision"] or registration["status"])
    )
    return _REGISTRATION_PART[key]


def plan_parts(
    bundle: Bundle,
    registration: dict[str, Any],
    catalog: Catalog,
    calendar: WorkingCalendar,
    today: dt.date,
) -> list[dict[str, Any]]:
    """Each part's status once the registration is decided (the parts wait on it, 后置许可)."""
    status, detail = _registration_part(registration)
    parts = [{"item_code": REGISTRATION, "status": status, "detail": detail, "due_date": today}]
    for code in bundle.items:
        if code == REGISTRATION:
            continue
        item = catalog.items[code]
        if status == "rejected":
            part = ("not_started", "设立登记未通过，此项无法办理")
            due = None
        elif item.auto_approval:
            if status == "completed":
                part = ("completed", f"已随设立登记自动办理{item.name}")
            else:
                part = ("waiting", f"设立登记办结后自动办理{item.name}")
            due = today
        else:
            department = catalog.department_name(item)
            days = item.promised_limit_days
            part = ("received", f"已转{department}“{item.name}”流程，承诺 {days} 个工作日内办结")
            due = calendar.add_working_days(today, days)
        parts.append({"item_code": code, "status": part[0], "detail": part[1], "due_date": due})
    return parts


def combined_status(parts: list[dict[str, Any]]) -> str:
    statuses = {p["status"] for p in parts}
    if "rejected" in statuses:
        return "rejected"
    return "completed" if statuses == {"completed"} else "in_progress"


def follow_registration(
    catalog: Catalog, calendar: WorkingCalendar
) -> Callable[[Connection, Decided], None]:
    """A subscriber to ``Decided``: a registration decided later (the verification worker,
    staff review) moves its bundle's parts on, in the same transaction."""

    def on_decided(conn: Connection, event: Decided) -> None:
        if event.previous is None:
            return  # decided on receipt: its bundle, stored after it, is planned from the answer
        row = repository.find_by_registration(conn, event.application_id)
        if row is None:
            return
        registration = {"status": event.status.value, "decision": event.outcome}
        today = event.at.date()
        planned = plan_parts(
            catalog.bundles[row.bundle_code], registration, catalog, calendar, today
        )
        current = {part.item_code: part for part in repository.parts(conn, row.id)}
        for part in planned:
            old = current.get(part["item_code"])
            if old is None or old.status == part["status"]:
                continue
            repository.update_part(conn, row.id, event.at, **part)

    return on_decided
