"""Submitting a bundle: the registration is decided now; every other part follows its process."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import Connection

from approval.applications import repository as applications_repository
from approval.bundles import repository
from approval.bundles.parts import combined_status, plan_parts
from approval.bundles.schemas import BundleCreate
from approval.catalog.delivery import channel_of, check_delivery, hall_of_key
from approval.catalog.items import Bundle, Catalog
from approval.errors import BundleNotFound, BundleScopeMissing, InvalidApplication
from approval.intake.service import Intake, read_application, submit
from approval.kernel.principal import Principal
from approval.problems import validation_errors


def render(
    bundle_id: str, bundle: Bundle, catalog: Catalog, registration: dict[str, Any], parts: list[Any]
) -> dict[str, Any]:
    listed = [
        {
            "item_code": p["item_code"],
            "item_name": catalog.items[p["item_code"]].name,
            "status": p["status"],
            "detail": p["detail"],
            "due_date": p["due_date"].isoformat() if p["due_date"] else None,
        }
        for p in parts
    ]
    return {
        "id": bundle_id,
        "bundle_code": bundle.code,
        "bundle_name": bundle.name,
        "status": combined_status(listed),
        "parts": listed,
        "registration": registration,
    }


async def submit_bundle(
    intake: Intake,
    principal: Principal,
    bundle_code: str,
    body: bytes,
    idempotency_key: str | None,
) -> dict[str, Any]:
    bundle = intake.catalog.bundles.get(bundle_code)
    if bundle is None:
        raise BundleNotFound(f"没有编码为 {bundle_code} 的“一件事”")
    try:
        form = BundleCreate.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidApplication(errors=validation_errors(exc)) from None
    hall = hall_of_key(intake.catalog, principal.hall_code, form.hall_code)
    channel = channel_of(principal.role, hall)
    for code in bundle.items:
        check_delivery(intake.catalog.items[code], channel, hall)
    missing = [code for code in bundle.scope_hint if code not in form.application.scope]
    if missing:
        raise BundleScopeMissing(
            f"“{bundle.name}”的经营范围须包含：{'、'.join(missing)}",
            errors=[
                {"field": "application.scope", "code": "bundle_scope_missing", "message": m}
                for m in missing
            ],
        )
    key = f"{idempotency_key}:{bundle.code}" if idempotency_key else None
    # the registration is its own unit of work, decided and committed first; a retry of a
    # bundle whose second step failed finds it by the same key and stores the bundle then
    _, registration = await submit(
        intake, principal, form.application.model_dump_json().encode(), key
    )
    today = intake.clock.today()

    def store() -> dict[str, Any]:
        with intake.db.transaction() as conn:
            existing = repository.find_by_registration(conn, registration["id"])
            if existing is not None:  # a retry of the same bundle submission
                rows = [p._mapping for p in repository.parts(conn, existing.id)]
                return render(existing.id, bundle, intake.catalog, registration, rows)
            parts = plan_parts(bundle, registration, intake.catalog, intake.calendar, today)
            bundle_id = uuid.uuid4().hex
            repository.insert_bundle(
                conn,
                bundle_id=bundle_id,
                bundle_code=bundle.code,
                registration_id=registration["id"],
                key_id=principal.key_id,
                now=intake.clock.now(),
                parts=parts,
            )
        return render(bundle_id, bundle, intake.catalog, registration, parts)

    return await asyncio.to_thread(store)


def read_bundle(
    conn: Connection, catalog: Catalog, base_url: str, principal: Principal, bundle_id: str
) -> dict[str, Any]:
    row = repository.get(conn, bundle_id)
    registration_row = (
        applications_repository.get_application(conn, row.registration_id) if row else None
    )
    if (
        row is None
        or registration_row is None
        or not principal.may_read(registration_row.key_id, registration_row.operator_id_number)
    ):
        raise BundleNotFound()
    registration = read_application(conn, principal, row.registration_id, base_url)
    rows = [p._mapping for p in repository.parts(conn, bundle_id)]
    return render(bundle_id, catalog.bundles[row.bundle_code], catalog, registration, rows)
