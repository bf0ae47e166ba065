"""Staff API for rule operations: explain, replay, versions, simulate, publish, shadow."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from approval.access.endpoints import allow
from approval.database import after_commit
from approval.endpoints import ClockDep, ConnDep, SettingsDep, provided
from approval.engine.ruleset import Ruleset
from approval.errors import ApplicationNotFound, answered_with
from approval.kernel.principal import Principal, Role
from approval.rules import repository, service
from approval.rules.errors import (
    FourEyesRequired,
    NoPreviousRuleset,
    RuleFileNameInvalid,
    RulesetChecksFailed,
    RulesetNotDraft,
    RulesetNotFound,
    RulesetNotStored,
    RulesetRefused,
)
from approval.rules.explain import RuleNotInVersion
from approval.rules.publishing import evidence
from approval.rules.schemas import RulesetList, RulesetProposed, RulesetVersionRead
from approval.rules.simulation import simulate

RulesetDep = Annotated[Ruleset, provided("ruleset", Ruleset)]

router = APIRouter(prefix="/v1", tags=["rules"])

EXPLAINERS = (Role.STAFF, Role.RULE_ADMIN)
READERS = (Role.STAFF, Role.RULE_ADMIN, Role.SUPERVISOR)
ADMINS = (Role.RULE_ADMIN,)


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


RuleFileName = Annotated[str, Field(max_length=200)]
RuleFileText = Annotated[str, Field(max_length=1_000_000)]


class ProposeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    files: dict[RuleFileName, RuleFileText] = Field(
        max_length=200,
        description="every rule, word-list and catalogue file by its relative path in the "
        "rules tree (e.g. identity.yaml, words/prohibited.yaml)",
    )
    note: str | None = Field(default=None, max_length=500)


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
    """The decision a stored ruleset version would make on the application's stored facts."""
    _, files = service.stored_files(conn, version)
    ruleset = service.compile_files(files)
    try:
        return _json(service.replay(conn, application_id, ruleset))
    finally:
        ruleset.close()


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


@router.post(
    "/rulesets",
    status_code=201,
    responses=answered_with(RulesetRefused, RuleFileNameInvalid, RulesetNotDraft),
)
def propose_ruleset(
    body: ProposeIn,
    conn: ConnDep,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(allow(*ADMINS))],
) -> RulesetProposed:
    """Store a draft version; another rule_admin must approve it before it runs."""
    version = service.propose(conn, body.files, principal.key_id, body.note, clock.now())
    return RulesetProposed(version=version, status="draft")


@router.post(
    "/rulesets/{version}/approval",
    responses=answered_with(
        RulesetNotFound, FourEyesRequired, RulesetNotDraft, RulesetChecksFailed
    ),
)
def approve_ruleset(
    version: str,
    request: Request,
    conn: ConnDep,
    clock: ClockDep,
    ruleset: RulesetDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(allow(*ADMINS))],
) -> Any:
    """Approve and activate a draft (four eyes); the check, tests and simulation are attached."""
    full, files = service.stored_files(conn, version)
    row = repository.get(conn, full)
    if row is not None and row.author == principal.key_id:
        # refuse before the costly evidence: the same person cannot approve
        service.approve(conn, full, principal.key_id, {}, clock.now())
    candidate = service.compile_files(files)
    try:
        pack = evidence(conn, files, candidate, ruleset, settings.rules_dir / "tests")
    finally:
        candidate.close()
    service.approve(conn, full, principal.key_id, pack, clock.now())
    # at once here, when committed; other processes at their next poll
    after_commit(conn, request.app.state.rules_live.poll_once)
    return _json({"version": full, "status": "active", "evidence": pack})


@router.post("/rulesets/rollback", responses=answered_with(NoPreviousRuleset))
def rollback_ruleset(
    request: Request,
    conn: ConnDep,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(allow(*ADMINS))],
) -> Any:
    """Back to the version the active one replaced, at once."""
    old, new = service.rollback(conn, principal.key_id, clock.now())
    after_commit(conn, request.app.state.rules_live.poll_once)
    return _json({"from": old, "to": new})


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
    ruleset: RulesetDep,
    _principal: Annotated[Principal, Depends(allow(*EXPLAINERS))],
) -> Any:
    """A stored version over stored applications, against the running one."""
    _, files = service.stored_files(conn, body.version)
    candidate = service.compile_files(files)
    try:
        report = simulate(conn, ruleset, candidate, _since(body.since), flip_limit=body.flip_limit)
    finally:
        candidate.close()
    return _json(report)
