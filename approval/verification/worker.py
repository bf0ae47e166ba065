"""Pending verification that resolves itself.

An application parked because a registry did not answer is re-queried with backoff and decided
the way submission decides it (:func:`approval.decisions.determination.determine`) once every
registry answers; past ``verification_limit_seconds`` it goes to manual review with a reason the
applicant sees on the timeline. The queue is a table, claimed under leases, so a restarted or
second worker carries on where the last one stopped and no application is decided twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from approval.applications.errors import ApplicationStateChanged
from approval.applications.lifecycle import Actor
from approval.context import AppContext
from approval.decisions.determination import (
    RulesInForce,
    answer_rows,
    determine,
    query_registries,
)
from approval.decisions.registries import RegistryAnswers
from approval.kernel.application import ApplicationCreate
from approval.kernel.identity import IdNumberCheck, IdNumberInvalid, check_id_number
from approval.kernel.status import ApplicationStatus, Outcome
from approval.licences.service import IssueRoute, issue_notice, record_issued
from approval.names.comparison import (
    NOTHING_REGISTERED,
    NameClaim,
    NameTaken,
    RegisterFacts,
    name_claim,
)
from approval.names.register import look_up
from approval.verification import repository
from approval.verification.connections import close_registries
from approval.verification.service import backoff_seconds, store_exchanges
from connectors.exchanges import Exchange, recording

logger = logging.getLogger("miaopi.verification")

BATCH = 20

TIMEOUT_REASON = {
    "rule_id": "R46-VERIFICATION-TIMEOUT",
    "code": "REGISTRY_VERIFICATION_TIMEOUT",
    "outcome": Outcome.MANUAL_REVIEW.value,
    "text": "有关登记系统长时间未能答复，无法自动核验，申请已转人工审核；"
    "工作人员将尽快办理，无需重复提交。",
    "basis": "《市场主体登记管理条例》第十九条",
}


WORKER_ACTOR = "verification-worker"


class _LostClaim(Exception):
    """Another worker took the application over (our lease ran out): leave it to them."""


def _aware(value: dt.datetime, like: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; every stored time is on the service clock's zone
    return value if value.tzinfo is not None else value.replace(tzinfo=like.tzinfo)


async def run_once(ctx: AppContext, now: dt.datetime | None = None, limit: int = BATCH) -> int:
    """Claim the due applications, re-query their registries, and conclude or reschedule each.

    Returns how many were claimed. ``now`` stands in for the clock (tests, replays).
    """
    at = now or ctx.clock.now()
    token = uuid.uuid4().hex
    lease = dt.timedelta(seconds=ctx.settings.verification_lease_seconds)

    def claim() -> list[Any]:
        with ctx.db.transaction() as conn:
            return repository.claim_due(conn, at, at + lease, token, limit)

    # every database step runs on a worker thread: requests share this event loop
    claimed = await asyncio.to_thread(claim)
    results = await asyncio.gather(
        *(_resolve(ctx, row, token, at) for row in claimed), return_exceptions=True
    )
    for result in results:
        if isinstance(result, _LostClaim):
            continue
        if isinstance(result, BaseException):
            # no applicant data in the log line: the exception text may quote it
            logger.error("verification attempt failed: %s", type(result).__name__)
    return len(claimed)


async def _resolve(ctx: AppContext, row: Any, token: str, now: dt.datetime) -> None:
    application_id = row.application_id
    if row.status != ApplicationStatus.PENDING_VERIFICATION:  # concluded some other way meanwhile
        await asyncio.to_thread(_finish, ctx, application_id, token)
        return
    give_up_at = _aware(row.give_up_at, now)
    attempts = row.attempts + 1
    app = ApplicationCreate.model_validate(row.payload)
    try:
        id_check = check_id_number(app.operator.id_type, app.operator.id_number, now.date())
    except IdNumberInvalid:
        why = "identity no longer checks"
        await asyncio.to_thread(_to_manual_review, ctx, row, token, now, attempts, why)
        return
    if now >= give_up_at:
        why = "verification time limit reached"
        await asyncio.to_thread(_to_manual_review, ctx, row, token, now, attempts - 1, why)
        return
    with recording() as exchanges:
        answers = await query_registries(
            ctx.registries,
            ctx.settings.registry_deadline_ms / 1000,
            application_id,
            app,
            id_check,
        )
    if answers.unavailable:
        error = "; ".join(
            f"{a.registry.value}: {a.detail}" for a in answers.answers if not a.available
        )
        next_at = min(
            now + dt.timedelta(seconds=backoff_seconds(ctx.settings, attempts)), give_up_at
        )

        def reschedule() -> None:
            with ctx.db.transaction() as conn:
                if not repository.reschedule(conn, application_id, token, attempts, next_at, error):
                    raise _LostClaim()
                store_exchanges(conn, exchanges, application_id, row.operator_id_number, now)

        await asyncio.to_thread(reschedule)
        return
    rules = ctx.intake.rules_in_force()
    name = name_claim(app.name, app.premises.district_code, id_check.number, rules.reference.names)
    # a name taken meanwhile by a simultaneous application is decided again, seeing it taken
    for attempt in range(_NAME_RACE_ATTEMPTS):
        try:
            await _decide(ctx, row, token, now, app, id_check, answers, exchanges, rules, name)
            return
        except NameTaken:
            if attempt == _NAME_RACE_ATTEMPTS - 1:
                raise


_NAME_RACE_ATTEMPTS = 3


async def _decide(
    ctx: AppContext,
    row: Any,
    token: str,
    now: dt.datetime,
    app: ApplicationCreate,
    id_check: IdNumberCheck,
    answers: RegistryAnswers,
    exchanges: Sequence[Exchange],
    rules: RulesInForce,
    name: NameClaim | None,
) -> None:
    application_id = row.application_id
    register = NOTHING_REGISTERED
    if name is not None:
        register = await asyncio.to_thread(_look_up_name, ctx, name, now)
    authority_code = app.premises.district_code
    issuer = ctx.intake.issuer
    if issuer.serials.needs_block(authority_code):
        await asyncio.to_thread(issuer.ensure_serials, authority_code)
    determined = determine(app, id_check, answers, now, rules, issuer, register)

    def conclude() -> None:
        with ctx.db.transaction() as conn:
            signed = determined.signed
            credit_code = signed.document.credit_code if signed is not None else None
            columns = determined.columns()
            notice = issue_notice(app, IssueRoute.AUTOMATIC) if signed is not None else None
            _conclude(ctx, conn, row, token, columns, determined.events, now, credit_code, notice)
            repository.replace_registry_answers(
                conn,
                application_id,
                answer_rows(application_id, answers, now),
            )
            store_exchanges(conn, exchanges, application_id, row.operator_id_number, now)
            if signed is not None:
                record_issued(conn, application_id, signed, IssueRoute.AUTOMATIC, now, name)

    await asyncio.to_thread(conclude)


def _look_up_name(ctx: AppContext, name: NameClaim, now: dt.datetime) -> RegisterFacts:
    with ctx.db.reading() as conn:
        return look_up(conn, name, now)


def _finish(ctx: AppContext, application_id: str, token: str) -> None:
    with ctx.db.transaction() as conn:
        repository.finish(conn, application_id, token)


def _conclude(
    ctx: AppContext,
    conn: Connection,
    row: Any,
    token: str,
    columns: dict[str, Any],
    events: list[dict[str, Any]],
    now: dt.datetime,
    credit_code: str | None = None,
    notice: dict[str, Any] | None = None,
) -> None:
    """Take the application off the queue and record its outcome, or raise if it is not ours."""
    if not repository.finish(conn, row.application_id, token):
        raise _LostClaim()
    try:
        ctx.lifecycle.transition(
            conn,
            row.application_id,
            ApplicationStatus(columns.pop("status")),
            expected_from=ApplicationStatus.PENDING_VERIFICATION,
            columns=columns,
            events=events,
            actor=Actor(WORKER_ACTOR, "system"),
            now=now,
            credit_code=credit_code,
            facts=columns.get("facts"),
            notice=notice,
        )
    except ApplicationStateChanged:
        raise _LostClaim() from None


def _to_manual_review(
    ctx: AppContext, row: Any, token: str, now: dt.datetime, attempts: int, why: str
) -> None:
    columns = {
        "status": ApplicationStatus.DECIDED.value,
        "outcome": Outcome.MANUAL_REVIEW.value,
        "reasons": [TIMEOUT_REASON],
        "conditions": [],
        "decided_at": now,
    }
    event = {
        "at": now,
        "kind": "manual_review",
        "detail": {
            "reason": TIMEOUT_REASON["code"],
            "text": TIMEOUT_REASON["text"],
            "attempts": attempts,
            "why": why,
        },
    }
    with ctx.db.transaction() as conn:
        _conclude(ctx, conn, row, token, columns, [event], now)


async def run_worker(ctx: AppContext, stop: asyncio.Event) -> None:
    """Poll for due applications until ``stop`` is set; an error waits for the next round."""
    while not stop.is_set():
        try:
            claimed = await run_once(ctx)
        except Exception as exc:  # the database may be busy or down: try again next round
            logger.error("verification round failed: %s", type(exc).__name__)
            claimed = 0
        if claimed == 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), ctx.settings.verification_poll_seconds)


@dataclass
class VerificationRunner:
    """The worker as run inside ``serve`` (lifespan): started, then stopped cleanly."""

    ctx: AppContext
    stop_event: asyncio.Event
    task: asyncio.Task[None] | None

    async def stop(self) -> None:
        self.stop_event.set()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await close_registries(self.ctx.registries)


def start_verification(ctx: AppContext) -> VerificationRunner:
    """Start the worker inside ``serve``. On SQLite, the one process that serves a database
    first frees the claims a killed predecessor left, instead of waiting out their leases."""
    if ctx.settings.verification_worker and ctx.db.engine.dialect.name == "sqlite":
        with ctx.db.transaction() as conn:
            released = repository.release_claims(conn)
        if released:
            logger.info("released %d claims left by a previous process", released)
    stop = asyncio.Event()
    task = (
        asyncio.create_task(run_worker(ctx, stop), name="miaopi-verification")
        if ctx.settings.verification_worker
        else None
    )
    return VerificationRunner(ctx, stop, task)
