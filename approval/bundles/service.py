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
from approval.context import AppContext
from approval.errors import BundleNotFound, BundleScopeMissing, InvalidApplication
from approval.intake import service as intake
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
    ctx: AppContext,
    principal: Principal,
    bundle_code: str,
    body: bytes,
    idempotency_key: str | None,
) -> dict[str, Any]:
    bundle = ctx.catalog.bundles.get(bundle_code)
    if bundle is None:
        raise BundleNotFound(f"没有编码为 {bundle_code} 的“一件事”")
    try:
        form = BundleCreate.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidApplication(errors=validation_errors(exc)) from None
    hall = hall_of_key(ctx.catalog, principal.hall_code, form.hall_code)
    channel = channel_of(principal.role, hall)
    for code in bundle.items:
        check_delivery(ctx.catalog.items[code], channel, hall)
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
    _, registration = await intake.submit(
        ctx, principal, form.application.model_dump_json().encode(), key
    )
    today = ctx.clock.today()

    def store() -> dict[str, Any]:
        with ctx.db.transaction() as conn:
            existing = repository.find_by_registration(conn, registration["id"])
            if existing is not None:  # a retry of the same bundle submission
                rows = [p._mapping for p in repository.parts(conn, existing.id)]
                return render(existing.id, bundle, ctx.catalog, registration, rows)
            parts = plan_parts(bundle, registration, ctx.catalog, ctx.calendar, today)
            bundle_id = uuid.uuid4().hex
            repository.insert_bundle(
                conn,
                bundle_id=bundle_id,
                bundle_code=bundle.code,
                registration_id=registration["id"],
                key_id=principal.key_id,
                now=ctx.clock.now(),
                parts=parts,
            )
        return render(bundle_id, bundle, ctx.catalog, registration, parts)

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
    registration = intake.read_application(conn, principal, row.registration_id, base_url)
    rows = [p._mapping for p in repository.parts(conn, bundle_id)]
    return render(bundle_id, catalog.bundles[row.bundle_code], catalog, registration, rows)
