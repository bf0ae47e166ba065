"""Staff API for rule operations: explain, replay, versions, change requests, simulate, shadow."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from approval.access.endpoints import allow
from approval.database import after_commit
from approval.decisions.determination import RulesInForce
from approval.endpoints import AdapterMissing, ClockDep, ConnDep, SettingsDep, adapters_of, provided
from approval.engine.ruleset import Ruleset
from approval.errors import ApplicationNotFound, answered_with
from approval.kernel.principal import Principal, Role
from approval.rules import changes, repository, service
from approval.rules.errors import (
    ChangeBlocked,
    ChangeNotDraft,
    ChangeNotFound,
    EvidenceOutdated,
    FlipsNotAcknowledged,
    FourEyesRequired,
    NoPreviousRuleset,
    RollbackRefused,
    RuleFileNameInvalid,
    RulesetNotDraft,
    RulesetNotFound,
    RulesetNotStored,
    RulesetRefused,
    ScheduleRefused,
    WaiverInvalid,
)
from approval.rules.explain import RuleNotInVersion
from approval.rules.schemas import RulesetList, RulesetVersionRead
from approval.rules.simulation import compiled, simulate

RulesetDep = Annotated[Ruleset, provided("ruleset", Ruleset)]


async def _rules_in_force(request: Request) -> RulesInForce:
    """The running ruleset with its reference data, read together (the pair is swapped live)."""
    running = getattr(adapters_of(request), "rules_in_force", None)
    rules = running() if callable(running) else None
    if not isinstance(rules, RulesInForce):
        raise AdapterMissing("adapter 'rules_in_force' is not provided")
    return rules


RulesInForceDep = Annotated[RulesInForce, Depends(_rules_in_force)]

router = APIRouter(prefix="/v1", tags=["rules"])

EXPLAINERS = (Role.STAFF, Role.RULE_ADMIN)
READERS = (Role.STAFF, Role.RULE_ADMIN, Role.SUPERVISOR)
ADMINS = (Role.RULE_ADMIN,)


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


RuleFileName = Annotated[str, Field(max_length=200)]
RuleFileText = Annotated[str, Field(max_length=1_000_000)]


class SimulateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str = Field(min_length=6, max_length=64)
    since: dt.date | None = None
    flip_limit: int = Field(default=1000, ge=0, le=100_000)


class ShadowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str | None = Field(default=None, min_length=6, max_length=64)


def _since(day: dt.date | None) -> dt.datetime | None:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) if day else None


@router.get(
    "/applications/{application_id}/explanation",
    responses=answered_with(ApplicationNotFound, RulesetNotStored, RuleNotInVersion),
)
def explain_application(
    application_id: str,
    conn: ConnDep,
    _principal: Annotated[Principal, Depends(allow(*EXPLAINERS))],
    rule: Annotated[
        str | None,
        Query(
            max_length=64,
            pattern=r"^[A-Za-z0-9-]+$",
            description="only this rule, or every row of this decision table, e.g. R08-UNDER-16",
        ),
    ] = None,
) -> Any:
    """Every rule of the version that decided: fired or not, each condition, and why not."""
    return _json(service.explain_application(conn, application_id, rule))


@router.get(
    "/applications/{application_id}/replay",
    responses=answered_with(ApplicationNotFound, RulesetNotFound),
)
def replay_application(
    application_id: str,
    conn: ConnDep,
    _principal: Annotated[Principal, Depends(allow(*EXPLAINERS))],
    version: Annotated[str, Query(min_length=6, max_length=64)],
) -> Any:
    """The decision a stored ruleset version would make on the application, its facts derived
    again from the stored submission and registry answers under that version's reference data."""
    _, files = service.stored_files(conn, version)
    with compiled(files) as rules:
        return _json(service.replay(conn, application_id, rules))


@router.get("/rulesets")
def list_rulesets(
    conn: ConnDep,
    ruleset: RulesetDep,
    _principal: Annotated[Principal, Depends(allow(*READERS))],
) -> RulesetList:
    rows = repository.list_versions(conn)
    versions = [RulesetVersionRead.model_validate(r._mapping) for r in rows]
    return RulesetList(running=ruleset.version, versions=versions)


@router.get("/rulesets/{version}/diff", responses=answered_with(RulesetNotFound))
def diff_rulesets(
    version: str,
    conn: ConnDep,
    _principal: Annotated[Principal, Depends(allow(*READERS))],
    against: Annotated[str, Query(min_length=6, max_length=64)],
) -> Any:
    """What changes from ``against`` to ``version``, rule by rule."""
    _, old = service.stored_files(conn, against)
    _, new = service.stored_files(conn, version)
    return _json(service.diff(old, new))


class WaiverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    case: str = Field(min_length=6, max_length=64, description="回归用例编号（证据中列出）")
    reason: str = Field(min_length=1, max_length=500)


class ChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    files: dict[RuleFileName, RuleFileText] = Field(
        max_length=200,
        description="every rule, word-list, catalogue and test-case file by its relative path "
        "in the rules tree (e.g. identity.yaml, words/prohibited.yaml, tests/cases.yaml)",
    )
    note: str | None = Field(default=None, max_length=500)
    waivers: list[WaiverIn] = Field(default_factory=list, max_length=200)


class ChangeEditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    files: dict[RuleFileName, RuleFileText] | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=500)
    waivers: list[WaiverIn] = Field(default_factory=list, max_length=200)


class ApprovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    evidence_digest: str = Field(
        min_length=12, max_length=64, description="所阅读证据的编号（变更申请的 evidence_digest）"
    )
    acknowledgement: str | None = Field(
        default=None, max_length=1000, description="回测改变的决定超过阈值时，批准人的确认理由"
    )
    effective_from: dt.datetime | None = Field(
        default=None, description="生效时刻（含时区）；不填则立即生效"
    )


class RejectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=2, max_length=1000)


class RollbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str | None = Field(
        default=None, min_length=6, max_length=64, description="回退到的版本；不填则为上一个版本"
    )


def _waivers(given: list[WaiverIn]) -> list[changes.Waiver]:
    return [changes.Waiver(w.case, w.reason) for w in given]


@router.post(
    "/rule-changes",
    status_code=201,
    responses=answered_with(RulesetRefused, RuleFileNameInvalid, RulesetNotDraft, WaiverInvalid),
)
def propose_change(
    body: ChangeIn,
    conn: ConnDep,
    clock: ClockDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(allow(*ADMINS))],
) -> Any:
    """A draft with its evidence (lint, tests, regression pack, coverage, backtest): another
    rule_admin who did not write it approves it after reading the evidence."""
    change_id = changes.propose(
        conn, body.files, principal.key_id, body.note, _waivers(body.waivers), clock.now()
    )
    return _json(changes.view(conn, change_id, settings.rule_change_flip_share), 201)


@router.get("/rule-changes")
def list_changes(
    conn: ConnDep,
    _principal: Annotated[Principal, Depends(allow(*READERS))],
    status: Annotated[str | None, Query(pattern="^(draft|approved|rejected)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    rows = repository.list_changes(conn, status, limit)
    return _json([dict(r._mapping) for r in rows])


@router.get("/rule-changes/{change_id}", responses=answered_with(ChangeNotFound))
def read_change(
    change_id: str,
    conn: ConnDep,
    settings: SettingsDep,
    _principal: Annotated[Principal, Depends(allow(*READERS))],
) -> Any:
    """The change as its approver reads it: diff, evidence, gates, authors, waivers."""
    return _json(changes.view(conn, change_id, settings.rule_change_flip_share))


@router.put(
    "/rule-changes/{change_id}",
    responses=answered_with(
        ChangeNotFound, ChangeNotDraft, RulesetRefused, RuleFileNameInvalid, WaiverInvalid
    ),
)
def edit_change(
    change_id: str,
    body: ChangeEditIn,
    conn: ConnDep,
    clock: ClockDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(allow(*ADMINS))],
) -> Any:
    """Change a draft's files, note or waivers; the editor becomes one of its authors."""
    changes.edit(
        conn,
        change_id,
        principal.key_id,
        body.files,
        body.note,
        _waivers(body.waivers),
        clock.now(),
    )
    return _json(changes.view(conn, change_id, settings.rule_change_flip_share))


@router.post(
    "/rule-changes/{change_id}/evidence",
    responses=answered_with(ChangeNotFound, ChangeNotDraft),
)
def refresh_evidence(
    change_id: str,
    conn: ConnDep,
    clock: ClockDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(allow(*ADMINS))],
) -> Any:
    """Measure the draft again against the version now in force."""
    changes.refresh_evidence(conn, change_id, principal.key_id, clock.now())
    return _json(changes.view(conn, change_id, settings.rule_change_flip_share))


@router.post(
    "/rule-changes/{change_id}/approval",
    responses=answered_with(
        ChangeNotFound,
        ChangeNotDraft,
        FourEyesRequired,
        EvidenceOutdated,
        ChangeBlocked,
        FlipsNotAcknowledged,
        ScheduleRefused,
    ),
)
def approve_change(
    change_id: str,
    body: ApprovalIn,
    request: Request,
    conn: ConnDep,
    clock: ClockDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(allow(*ADMINS))],
) -> Any:
    """Approve a draft you did not write, naming the evidence you read; it takes effect at
    once, or at ``effective_from`` in every process."""
    version = changes.approve(
        conn,
        change_id,
        principal.key_id,
        body.evidence_digest,
        body.acknowledgement,
        body.effective_from,
        settings.rule_change_flip_share,
        clock.now(),
    )
    # at once here, when committed; other processes at their next poll
    after_commit(conn, request.app.state.rules_live.poll_once)
    view = changes.view(conn, change_id, settings.rule_change_flip_share)
    row = repository.get(conn, version)
    return _json({**view, "ruleset_status": row.status if row else None})


@router.post(
    "/rule-changes/{change_id}/rejection",
    responses=answered_with(ChangeNotFound, ChangeNotDraft, WaiverInvalid),
)
def reject_change(
    change_id: str,
    body: RejectionIn,
    conn: ConnDep,
    clock: ClockDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(allow(*ADMINS))],
) -> Any:
    changes.reject(conn, change_id, principal.key_id, body.reason, clock.now())
    return _json(changes.view(conn, change_id, settings.rule_change_flip_share))


@router.post(
    "/rulesets/rollback",
    responses=answered_with(NoPreviousRuleset, RollbackRefused, RulesetNotFound),
)
def rollback_ruleset(
    request: Request,
    conn: ConnDep,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(allow(*ADMINS))],
    body: RollbackIn | None = None,
) -> Any:
    """Back to an earlier approved version (by default the one the active one replaced), at
    once; a scheduled version is called off."""
    old, new = service.rollback(conn, principal.key_id, clock.now(), body.to if body else None)
    after_commit(conn, request.app.state.rules_live.poll_once)
    return _json({"from": old, "to": new})


@router.get("/rulesets/history")
def ruleset_history(
    conn: ConnDep,
    _principal: Annotated[Principal, Depends(allow(*READERS))],
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
) -> Any:
    """Proposed, edited, approved, scheduled, activated, rolled back, shadowed: oldest first."""
    return _json(changes.history(conn, limit))


@router.put("/rulesets/shadow", responses=answered_with(RulesetNotFound))
def shadow_ruleset(
    body: ShadowIn,
    request: Request,
    conn: ConnDep,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(allow(*ADMINS))],
) -> Any:
    """Run a version beside the active one on live traffic (``version: null`` stops it)."""
    version = service.set_shadow(conn, body.version, principal.key_id, clock.now())
    after_commit(conn, request.app.state.rules_live.poll_once)
    return _json({"shadow": version})


@router.get("/rulesets/shadow/disagreements")
def shadow_disagreements(
    conn: ConnDep,
    _principal: Annotated[Principal, Depends(allow(*EXPLAINERS))],
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> Any:
    rows = repository.disagreements(conn, None, limit)
    return _json([{str(k): v for k, v in r._mapping.items()} for r in rows])


@router.post("/rulesets/simulations", responses=answered_with(RulesetNotFound))
def simulate_ruleset(
    body: SimulateIn,
    conn: ConnDep,
    running: RulesInForceDep,
    _principal: Annotated[Principal, Depends(allow(*EXPLAINERS))],
) -> Any:
    """A stored version over stored applications, against the running one, each side on facts
    derived again under its own word lists and catalogue."""
    _, files = service.stored_files(conn, body.version)
    with compiled(files) as candidate:
        report = simulate(conn, running, candidate, _since(body.since), flip_limit=body.flip_limit)
    return _json(report)
