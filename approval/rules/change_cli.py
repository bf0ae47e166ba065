"""``miaopi rules`` commands of change requests and versions: propose, edit, show, approve….

Every command that changes something authenticates with an API key (``--key`` or the
``MIAOPI_KEY`` environment variable) exactly as the API does, and records the key's identity.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from approval.settings import get_settings

KeyOption = Annotated[
    str,
    typer.Option(
        "--key",
        envvar="MIAOPI_KEY",
        help="your rule_admin API key (or set MIAOPI_KEY)",
        show_default=False,
    ),
]
PathOption = Annotated[
    Path | None, typer.Option("--path", help="a rules folder (default: the configured one)")
]
WaiveOption = Annotated[
    list[str] | None,
    typer.Option(
        "--waive",
        help="waive a regression case: CASE_KEY=reason (the keys are listed by `rules show`)",
    ),
]
NoteOption = Annotated[str | None, typer.Option("--note", help="what the change is for")]
T = TypeVar("T")


def _admin(db: Any, key: str) -> str:
    """The key id of a rule_admin key, or exit 2 as the API would answer 401/403."""
    from approval.access.service import principal_of
    from approval.kernel.principal import Role

    with db.reading() as conn:
        principal = principal_of(conn, key) if key.strip() else None
    if principal is None:
        typer.echo("错误：API 密钥无效或已停用（--key 或环境变量 MIAOPI_KEY）", err=True)
        raise typer.Exit(2)
    if principal.role != Role.RULE_ADMIN:
        typer.echo(
            f"错误：该密钥的角色是 {principal.role.value}，规则变更须用 rule_admin 密钥", err=True
        )
        raise typer.Exit(2)
    return principal.key_id


def _as_admin(key: str, action: Callable[[Any, str, dt.datetime], T]) -> T:
    """Run ``action(conn, key_id, now)`` in one transaction as the key's rule_admin; a refusal
    is printed in the API's words and exits 2."""
    from approval.errors import ApprovalError
    from approval.rules.cli import _bootstrapped, _database, _fail, _now

    settings = get_settings()
    with _database(settings) as db:
        _bootstrapped(db, settings)
        actor = _admin(db, key)
        try:
            with db.transaction() as conn:
                return action(conn, actor, _now(settings))
        except ApprovalError as exc:
            raise _fail(exc) from None


def _waivers(given: list[str] | None) -> list[Any]:
    from approval.rules.changes import Waiver

    waivers = []
    for item in given or []:
        case, sep, reason = item.partition("=")
        if not sep:
            typer.echo(f"错误：--waive 写作 用例编号=理由，而不是 {item!r}", err=True)
            raise typer.Exit(2)
        waivers.append(Waiver(case.strip(), reason.strip()))
    return waivers


def _files(path: Path | None) -> dict[str, str]:
    from approval.rules.cli import _dir, _load_or_exit
    from approval.rules.service import files_from_dir

    settings = get_settings()
    rules_dir = _dir(settings, path)
    _load_or_exit(settings, rules_dir).close()
    return files_from_dir(rules_dir)


def _print_change(view: dict[str, Any]) -> None:
    from approval.rules.explain import render_diff

    evidence = view["evidence"]
    authors = "、".join(a["label"] or a["key_id"] for a in view["authors"])
    typer.echo(
        f"变更申请 {view['id']}（{view['status']}，第 {view['revision']} 稿）版本 "
        f"{view['version'][:12]}，基于现行版本 {evidence['base_version'][:12]}；作者：{authors}"
    )
    if view["note"]:
        typer.echo(f"  说明：{view['note']}")
    for line in render_diff(evidence["diff"], indent="  ", file_lines=20):
        typer.echo(line)
    for finding in evidence["check"]["findings"]:
        typer.echo(f"  检查[{finding.get('severity', 'error')}] {finding['message']}")
    tests = evidence["tests"]
    typer.echo(f"  测试用例：{tests['cases'] - tests['failed']}/{tests['cases']} 通过")
    for failure in tests["failures"]:
        typer.echo(f"      失败 用例{failure['case']}（{failure['rule']}）：{failure['problems']}")
    pack = evidence["regression"]
    typer.echo(f"  回归用例：{pack['pack']} 个")
    for entry in [*pack["missing"], *pack["failing"], *pack["waived"]]:
        state = {"dropped": "被删除", "fails": "不再通过"}[entry["problem"]]
        waiver = f"，已豁免：{entry['waiver']}" if "waiver" in entry else "，未豁免"
        typer.echo(f"      {entry['key']} {entry['rule']} {entry['facts']} {state}{waiver}")
    for gap in evidence["coverage"]["uncovered"]:
        missing = "没有触发用例" if gap["missing"] == "firing_case" else "没有未触发的近似用例"
        typer.echo(f"  覆盖：{gap['rule_id']} {missing}")
    backtest = evidence["backtest"]
    typer.echo(f"  回测：{backtest['applications']} 件已存申请中 {backtest['flipped']} 件改变决定")
    for direction, count in backtest.get("flips_by_direction", {}).items():
        typer.echo(f"      {direction}: {count}")
    for rule_id, directions in backtest.get("flips_by_rule", {}).items():
        shown = "，".join(f"{d} {n}" for d, n in directions.items())
        typer.echo(f"      {rule_id}: {shown}")
    for example in backtest.get("examples", []):
        causes = "、".join(example["caused_by"])
        typer.echo(
            f"      例 {example['application_id']}: {example['before']} -> {example['after']}"
            f"（{causes}）"
        )
    for gate in view["gates"]:
        mark = "通过" if gate["passed"] else "未通过"
        typer.echo(f"  关卡 {gate['gate']:10} {mark}  {gate['detail']}")
    typer.echo(f"  证据编号 {view['evidence_digest'][:16]}")


def _view(change_id: str) -> dict[str, Any]:
    from approval.rules import changes
    from approval.rules.cli import _database

    settings = get_settings()
    with _database(settings) as db, db.reading() as conn:
        return changes.view(conn, change_id, settings.rule_change_flip_share)


def propose(
    key: KeyOption,
    path: PathOption = None,
    note: NoteOption = None,
    waive: WaiveOption = None,
) -> None:
    """Propose the rules folder as a change request; its evidence is computed at once."""
    from approval.rules import changes

    files = _files(path)
    waivers = _waivers(waive)
    change_id = _as_admin(
        key, lambda conn, author, now: changes.propose(conn, files, author, note, waivers, now)
    )
    view = _view(change_id)
    _print_change(view)
    if any(not g["passed"] and g["gate"] != "flips" for g in view["gates"]):
        typer.echo("尚有关卡未通过：改正后用以下命令更新草稿（用例可用 --waive 豁免）：")
        typer.echo(f"  miaopi rules edit {change_id}")
        return
    typer.echo("另一位未参与编写的规则管理员阅读证据后批准：")
    typer.echo(f"  miaopi rules approve {change_id} --evidence {view['evidence_digest'][:16]}")


def edit(
    change: Annotated[str, typer.Argument(help="the change request, e.g. RC-1A2B3C4D5E")],
    key: KeyOption,
    path: PathOption = None,
    note: NoteOption = None,
    waive: WaiveOption = None,
    keep_files: Annotated[
        bool, typer.Option("--keep-files", help="change only the note or waivers")
    ] = False,
) -> None:
    """Change a draft with the rules folder (or only its note and waivers): you become one of
    its authors, and may no longer approve it."""
    from approval.rules import changes

    files = None if keep_files else _files(path)
    waivers = _waivers(waive)
    _as_admin(
        key, lambda conn, editor, now: changes.edit(conn, change, editor, files, note, waivers, now)
    )
    _print_change(_view(change))


def show(change: Annotated[str, typer.Argument(help="the change request")]) -> None:
    """The change request as its approver reads it: diff, checks, tests, backtest, gates."""
    from approval.errors import ApprovalError
    from approval.rules.cli import _fail

    try:
        view = _view(change)
    except ApprovalError as exc:
        raise _fail(exc) from None
    _print_change(view)


def refresh(
    change: Annotated[str, typer.Argument(help="the change request")],
    key: KeyOption,
) -> None:
    """Measure a draft again against the version now in force (after another was approved)."""
    from approval.rules import changes

    _as_admin(key, lambda conn, actor, now: changes.refresh_evidence(conn, change, actor, now))
    _print_change(_view(change))


def list_changes(
    status: Annotated[str | None, typer.Option(help="draft, approved or rejected")] = None,
) -> None:
    """Change requests, newest first."""
    from approval.rules import repository
    from approval.rules.cli import _database

    with _database(get_settings()) as db, db.reading() as conn:
        rows = repository.list_changes(conn, status, 200)
        people = repository.key_labels(conn, {a for r in rows for a in r.authors})
    for row in rows:
        authors = "、".join(people.get(a, a) for a in row.authors)
        typer.echo(
            f"{row.id}  {row.status:8}  {row.version[:12]}  第{row.revision}稿  作者 {authors}"
            f"  {row.updated_at:%Y-%m-%d %H:%M}  {row.note or ''}"
        )
    if not rows:
        typer.echo("没有变更申请")


def approve(
    change: Annotated[str, typer.Argument(help="the change request")],
    key: KeyOption,
    evidence: Annotated[
        str, typer.Option("--evidence", help="the evidence number `rules show` printed")
    ],
    acknowledge: Annotated[
        str | None,
        typer.Option("--acknowledge", help="why the backtest's flips are right (when asked)"),
    ] = None,
    effective_from: Annotated[
        dt.datetime | None,
        typer.Option(
            "--effective-from",
            formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%d %H:%M"],
            help="when it takes effect (without a zone: Beijing time); default: at once",
        ),
    ] = None,
) -> None:
    """Approve a change you did not write, on the evidence you read; every running process
    switches to it at once (or at --effective-from), without a restart."""
    from approval.clock import CHINA_TZ
    from approval.rules import changes

    share = get_settings().rule_change_flip_share
    moment = effective_from
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA_TZ)

    def approve_it(conn: Any, approver: str, now: dt.datetime) -> tuple[str, bool]:
        version = changes.approve(conn, change, approver, evidence, acknowledge, moment, share, now)
        return version, moment is not None and moment > now

    version, scheduled = _as_admin(key, approve_it)
    if moment is not None and scheduled:
        typer.echo(f"已批准 {change}：版本 {version[:12]} 将于 {moment:%Y-%m-%d %H:%M:%S %z} 生效")
    else:
        typer.echo(f"已批准 {change}：版本 {version[:12]} 现已生效")


def reject(
    change: Annotated[str, typer.Argument(help="the change request")],
    key: KeyOption,
    reason: Annotated[str, typer.Option("--reason", help="why it is not approved")],
) -> None:
    """Close a draft without approving it (its author may withdraw it this way too)."""
    from approval.rules import changes

    _as_admin(key, lambda conn, by, now: changes.reject(conn, change, by, reason, now))
    typer.echo(f"已驳回 {change}")


def rollback(
    key: KeyOption,
    to: Annotated[
        str | None, typer.Option("--to", help="an earlier approved version (default: the last)")
    ] = None,
) -> None:
    """Go back to an earlier approved version at once; a scheduled version is called off."""
    from approval.rules import service

    old, new = _as_admin(key, lambda conn, by, now: service.rollback(conn, by, now, to))
    typer.echo(f"已从 {old[:12]} 回退到 {new[:12]}")


def shadow(
    key: KeyOption,
    version: Annotated[str | None, typer.Argument(help="the version to shadow")] = None,
    off: Annotated[bool, typer.Option("--off", help="stop shadowing")] = False,
) -> None:
    """Run a version beside the active one on live traffic; disagreements are recorded."""
    from approval.rules import service

    if (version is None) != off:
        typer.echo("错误：请给出版本号，或 --off", err=True)
        raise typer.Exit(2)
    chosen = _as_admin(key, lambda conn, by, now: service.set_shadow(conn, version, by, now))
    typer.echo(f"影子运行 {chosen[:12]}" if chosen else "已停止影子运行")


def versions() -> None:
    """The stored ruleset versions, newest first, with the people who proposed and approved."""
    from approval.rules import repository
    from approval.rules.cli import _bootstrapped, _database

    settings = get_settings()
    with _database(settings) as db:
        _bootstrapped(db, settings)
        with db.reading() as conn:
            rows = repository.list_versions(conn)
            people = repository.key_labels(
                conn, {r.author for r in rows} | {r.approved_by for r in rows if r.approved_by}
            )
    for row in rows:
        status = str(row.status)
        if row.status == "scheduled" and row.effective_from is not None:
            status += f" 于 {row.effective_from:%Y-%m-%d %H:%M} 生效"
        shadow_mark = "（影子）" if row.shadow else ""
        approver = people.get(row.approved_by, row.approved_by) if row.approved_by else "-"
        typer.echo(
            f"{row.version[:12]}  {status}{shadow_mark}  {row.rule_count} 条规则  "
            f"提出 {people.get(row.author, row.author)}  {row.created_at:%Y-%m-%d %H:%M}  "
            f"批准 {approver}  {row.change_id or ''}  {row.note or ''}"
        )


def history(limit: int = 100) -> None:
    """What happened to the rules: proposed, edited, approved, scheduled, activated, rolled
    back, shadowed; oldest first."""
    from approval.rules import changes
    from approval.rules.cli import _database

    with _database(get_settings()) as db, db.reading() as conn:
        events = changes.history(conn, limit)
    for event in events:
        who = event["actor_label"] or event["actor"]
        detail = event["detail"]
        extra = "  ".join(f"{k}={_short(v)}" for k, v in detail.items() if v not in (None, ""))
        typer.echo(
            f"{event['at']:%Y-%m-%d %H:%M:%S}  {event['kind']:18}  {event['version'][:12]}  "
            f"{who}  {extra}"
        )


def _short(value: Any) -> Any:
    """Versions and digests by their first 12 characters, as everywhere else."""
    if isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value):
        return value[:12]
    return value


def register(rules_app: typer.Typer) -> None:
    """Add these commands to ``miaopi rules``."""
    for name, command in (
        ("versions", versions),
        ("history", history),
        ("propose", propose),
        ("edit", edit),
        ("show", show),
        ("refresh", refresh),
        ("changes", list_changes),
        ("approve", approve),
        ("reject", reject),
        ("rollback", rollback),
        ("shadow", shadow),
    ):
        rules_app.command(name)(command)
