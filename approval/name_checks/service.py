"""名称自主申报: check a proposed name before applying, and reserve a free one for two months.

The check runs the name rules in force (R15–R25) on the same facts a submission would give
them — the name's analysis, the market-supervision registry's answer and the name register —
so it answers with the same specific reasons. A reservation is ID-bound: it holds the name
against everyone else (R23) until its holder's application consumes it or it expires.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dateutil.relativedelta import relativedelta

from approval.authorities import AUTHORITIES
from approval.clock import Clock
from approval.database import Database
from approval.decisions.determination import RulesInForce
from approval.decisions.registries import Registries, ask_registries
from approval.decisions.service import Decision, decide_on
from approval.engine.facts import NAME_FACTS, NameSources, name_facts
from approval.engine.language import Rule, conditions_of
from approval.engine.ruleset import Ruleset
from approval.errors import ApprovalError, Forbidden, InvalidApplication
from approval.kernel.identity import IdNumberInvalid, check_id_number, mask_id_number
from approval.kernel.principal import Principal, Role
from approval.kernel.status import Outcome
from approval.names.analysis import analyse_name
from approval.names.comparison import (
    RESERVATION_MONTHS,
    NameClaim,
    NameTaken,
    RegisterFacts,
    name_claim,
)
from approval.names.register import look_up, reserve_name
from approval.settings import Settings
from approval.verification.service import store_exchanges
from connectors.base import MarketFacts
from connectors.exchanges import Exchange, recording
from connectors.registries import MARKET, RegistryTable


class NameRegistryUnavailable(ApprovalError):
    status = 503
    code = "name_registry_unavailable"
    title = "市场监管登记系统暂时未能答复，无法确认名称是否可用，请稍后再试"


class NameRefused(ApprovalError):
    status = 422
    code = "name_refused"
    title = "该名称不符合名称登记规定，不能保留；请按原因修改后再试"


class NameNotFree(ApprovalError):
    status = 409
    code = "name_taken"
    title = "该名称已被他人登记或保留"


@dataclass(frozen=True, slots=True)
class NameDesk:
    """What checking and reserving names consults, wired once at the composition root."""

    db: Database
    clock: Clock
    settings: Settings
    registries: Registries
    rules_in_force: Callable[[], RulesInForce]


@dataclass(frozen=True, slots=True)
class NameRequest:
    name: str
    district_code: str
    id_type: str
    id_number: str


@dataclass(frozen=True, slots=True)
class _Checked:
    claim: NameClaim
    decision: Decision
    facts: dict[str, Any]
    register: RegisterFacts
    market: MarketFacts
    exchanges: list[Exchange]
    now: dt.datetime


def name_rules(ruleset: Ruleset) -> list[Rule]:
    """The rules that read nothing but a name's facts (R15–R25 as published)."""
    return [
        rule
        for rule in ruleset.rules
        if all(condition.fact in NAME_FACTS for condition in conditions_of(rule.when))
    ]


def _holder(principal: Principal, request: NameRequest, today: dt.date) -> str:
    try:
        id_check = check_id_number(request.id_type, request.id_number, today)
    except IdNumberInvalid as exc:
        raise InvalidApplication(
            exc.message, errors=[{"field": "id_number", "code": exc.code, "message": exc.message}]
        ) from None
    if principal.role == Role.MOBILE and principal.subject != id_check.number:
        raise Forbidden("手机 App 只能以本人身份证号码查询或保留名称")
    if request.district_code not in AUTHORITIES:
        message = "经营场所所在县（市、区）不在本登记机关辖区内"
        raise InvalidApplication(
            message,
            errors=[{"field": "district_code", "code": "unknown_district", "message": message}],
        )
    return id_check.number


async def _check(desk: NameDesk, principal: Principal, request: NameRequest) -> _Checked:
    now = desk.clock.now()
    holder = _holder(principal, request, now.date())
    rules = desk.rules_in_force()
    claim = name_claim(request.name, request.district_code, holder, rules.reference.names)
    if claim is None:
        message = "请填写拟使用的名称"
        raise InvalidApplication(
            message, errors=[{"field": "name", "code": "missing", "message": message}]
        )
    market_only = Registries(
        {MARKET.registry: desk.registries.client(MARKET)}, RegistryTable((MARKET,))
    )
    with recording() as exchanges:
        answers = await ask_registries(
            market_only,
            case_id=f"name-{uuid.uuid4().hex}",
            operator_id_number=holder,
            authority_code=request.district_code,
            proposed_name=claim.name,
            property_certificate=None,
            deadline_seconds=desk.settings.registry_deadline_ms / 1000,
        )
    market = answers.facts(MARKET)
    if market is None:
        # never "free" (or "taken") on a registry that did not answer
        await asyncio.to_thread(_log_exchanges, desk.db, exchanges, holder, now)
        raise NameRegistryUnavailable()
    register = await asyncio.to_thread(_look_up, desk.db, claim, now)
    analysis = analyse_name(claim.name, request.district_code, rules.reference.names)
    facts = name_facts(NameSources(analysis, market, register, request.district_code))
    decision = decide_on(name_rules(rules.ruleset), facts, rules.ruleset.version)
    return _Checked(claim, decision, facts, register, market, list(exchanges), now)


def _look_up(db: Database, claim: NameClaim, now: dt.datetime) -> RegisterFacts:
    with db.reading() as conn:
        return look_up(conn, claim, now)


def _log_exchanges(db: Database, exchanges: list[Exchange], holder: str, now: dt.datetime) -> None:
    with db.transaction() as conn:
        store_exchanges(conn, exchanges, None, holder, now)


def _answer(checked: _Checked) -> dict[str, Any]:
    claim, decision = checked.claim, checked.decision
    verdict = decision.verdict
    return {
        "name": claim.name,
        "authority_code": claim.authority_code,
        "authority_name": AUTHORITIES[claim.authority_code],
        "available": verdict == Outcome.APPROVE,
        "decision": verdict.value,
        "reasons": decision.reasons(),
        "identical_to": checked.register.identical_to,
        "similar_to": checked.register.similar_to,
        "reserved_until_for_you": checked.register.own_reservation_until,
        "ruleset_version": decision.ruleset_version,
    }


async def check_name(desk: NameDesk, principal: Principal, request: NameRequest) -> dict[str, Any]:
    """What the name rules in force say about the name at that authority, without applying."""
    checked = await _check(desk, principal, request)
    await asyncio.to_thread(
        _log_exchanges, desk.db, checked.exchanges, checked.claim.holder_id_number, checked.now
    )
    return _answer(checked)


async def reserve(
    desk: NameDesk, principal: Principal, request: NameRequest
) -> tuple[bool, dict[str, Any]]:
    """Reserve the name for its holder for two months; (created, answer). The holder's live
    reservation of the same name is answered again, not made twice."""
    checked = await _check(desk, principal, request)
    claim, now = checked.claim, checked.now
    if checked.decision.verdict != Outcome.APPROVE:
        await asyncio.to_thread(
            _log_exchanges, desk.db, checked.exchanges, claim.holder_id_number, now
        )
        raise NameRefused(reasons=checked.decision.reasons())
    until = checked.register.own_reservation_until
    created = until is None
    if until is None:
        until = now + relativedelta(months=RESERVATION_MONTHS)

    def write() -> None:
        with desk.db.transaction() as conn:
            store_exchanges(conn, checked.exchanges, None, claim.holder_id_number, now)
            if created:
                reserve_name(conn, claim, until=until, actor=principal.key_id, now=now)

    try:
        await asyncio.to_thread(write)
    except NameTaken:
        raise NameNotFree(f"名称“{claim.name}”刚被他人登记或保留，请更换字号") from None
    return created, {
        **_answer(checked),
        "holder": mask_id_number(claim.holder_id_number),
        "reserved_until": until,
    }
