"""``miaopi rules …``: check, test, explain, diff, replay, simulate and publish rules."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from approval.settings import Settings, get_settings

rules_app = typer.Typer(
    help="Rules: check, test, explain, diff, simulate and publish them.", no_args_is_help=True
)

PathOption = Annotated[
    Path | None, typer.Option("--path", help="a rules folder (default: the configured one)")
]


def _dir(settings: Settings, path: Path | None) -> Path:
    return path if path is not None else settings.rules_dir


def _load_or_exit(settings: Settings, rules_dir: Path) -> Any:
    """Load every rule and reference file; print each problem and exit 2 if any is refused."""
    from approval.context import load_reference_data
    from approval.engine.language import RuleFileError
    from approval.engine.ruleset import Ruleset
    from approval.kernel.rule_data import RuleDataError

    try:
        load_reference_data(settings.model_copy(update={"rules_dir": rules_dir}))
        return Ruleset.load(rules_dir)
    except (RuleFileError, RuleDataError) as exc:
        typer.echo(f"已拒绝：{rules_dir} 中的规则无法使用：\n{exc}", err=True)
        raise typer.Exit(2) from None


@contextmanager
def _database(settings: Settings) -> Iterator[Any]:
    from approval.database import Database
    from approval.migrate import upgrade_to_head

    upgrade_to_head(settings.database_url)
    db = Database(settings.database_url)
    try:
        yield db
    finally:
        db.dispose()


def _now(settings: Settings) -> dt.datetime:
    from approval.clock import clock_for

    return clock_for(settings.fixed_today).now()


def _fail(exc: Exception) -> typer.Exit:
    detail = getattr(exc, "detail", str(exc))
    typer.echo(f"错误：{detail}", err=True)
    return typer.Exit(2)


def _bootstrapped(db: Any, settings: Settings) -> None:
    from approval.rules import service

    with db.transaction() as conn:
        service.bootstrap(conn, settings.rules_dir, _now(settings))


@rules_app.command("check")
def check(path: PathOption = None) -> None:
    """Parse and check every rule file, word list, catalogue and test case; then lint them.

    Exit 2 when a file is refused, 1 when the lint has an error, 0 otherwise (warnings, such as
    pairs the lint could not decide, are printed but do not fail).
    """
    from approval.kernel.rule_data import RuleDataError
    from approval.names.analysis import load_name_lexicon
    from approval.rules.cases import load_cases
    from approval.rules.lint import lint, lint_words

    settings = get_settings()
    rules_dir = _dir(settings, path)
    ruleset = _load_or_exit(settings, rules_dir)
    try:
        if (rules_dir / "tests").is_dir():
            load_cases(rules_dir / "tests")
        findings = lint(ruleset.rules, _now(settings).date())
        findings += lint_words(load_name_lexicon(rules_dir / "words"))
        summary = f"{len(ruleset.rules)} 条规则，版本 {ruleset.version[:12]}"
    except RuleDataError as exc:
        typer.echo(f"已拒绝：{rules_dir} 中的规则无法使用：\n{exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        ruleset.close()
    errors = [f for f in findings if f.is_error]
    if findings:
        typer.echo(
            f"有 {len(findings)} 条检查结果要看（{summary}）：错误 {len(errors)} 条，"
            f"警告 {len(findings) - len(errors)} 条"
        )
        for finding in findings:
            typer.echo(f"- {finding}")
    if errors:
        raise typer.Exit(1)
    if findings:
        typer.echo(f"通过：{summary}；没有错误，请阅读上面的警告")
    else:
        typer.echo(f"通过：{summary}；检查没有发现问题")


@rules_app.command("test")
def run_tests(
    path: PathOption = None,
    show_coverage: Annotated[
        bool, typer.Option("--coverage/--no-coverage", help="list what no case exercised")
    ] = True,
) -> None:
    """Run the example cases in rules/tests; show failures with explanations, and coverage."""
    from approval.kernel.rule_data import RuleDataError
    from approval.rules.cases import explain_failure, load_cases, run_cases

    settings = get_settings()
    rules_dir = _dir(settings, path)
    ruleset = _load_or_exit(settings, rules_dir)
    try:
        baseline, cases = load_cases(rules_dir / "tests")
        report = run_cases(ruleset, baseline, cases)
        for result in report.failed:
            typer.echo("失败 " + "\n".join(explain_failure(ruleset, baseline, result)))
            typer.echo("")
    except RuleDataError as exc:
        typer.echo(f"已拒绝：测试用例无法使用：\n{exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        ruleset.close()
    cov = report.coverage
    passed = len(report.results) - len(report.failed)
    typer.echo(f"{len(report.results)} 个用例中 {passed} 个通过")
    covered = cov.total_branches - len(cov.branches)
    typer.echo(
        f"覆盖：没有用例触发的规则 {len(cov.rules_never_fired)} 条，没有用例不触发的规则 "
        f"{len(cov.rules_never_quiet)} 条；条件分支已覆盖 {covered}/{cov.total_branches}"
    )
    if show_coverage:
        for rule_id in cov.rules_never_fired:
            typer.echo(f"  未覆盖：没有 {rule_id} 触发的用例")
        for rule_id in cov.rules_never_quiet:
            typer.echo(f"  未覆盖：没有 {rule_id} 不触发的用例")
        for rule_id, condition, line, missing in cov.branches:
            typer.echo(f"  未覆盖：{rule_id} 第 {line} 行 '{condition}'：{missing}")
    if report.failed:
        raise typer.Exit(1)


@rules_app.command("explain")
def explain(
    application_id: str,
    rule: Annotated[
        str | None, typer.Option("--rule", help="只看这一条规则（或一张决策表）的解释")
    ] = None,
) -> None:
    """For every rule: fired or not, each condition's values, and why it did not fire."""
    from approval.errors import ApprovalError
    from approval.rules import service
    from approval.rules.explain import OUTCOME_LABELS, render_text

    settings = get_settings()
    with _database(settings) as db:
        _bootstrapped(db, settings)
        try:
            with db.reading() as conn:
                report = service.explain_application(conn, application_id, rule)
        except ApprovalError as exc:
            raise _fail(exc) from None
    stored = report["stored_decision"]
    typer.echo(
        f"申请 {report['application_id']}（{report['status']}）："
        f"当时的结论 {OUTCOME_LABELS.get(stored, stored or '尚未决定')}，"
        f"规则版本 {report['ruleset_version'][:12]}；"
        f"按该版本重算：{OUTCOME_LABELS.get(report['decision'], report['decision'])}"
    )
    for view in sorted(report["rules"], key=lambda r: not r["fired"]):
        for line in render_text(view):
            typer.echo(line)


@rules_app.command("diff")
def diff(
    old: Annotated[str, typer.Argument(help="version (or 'disk' for the rules folder)")],
    new: Annotated[str, typer.Argument(help="version (or 'disk' for the rules folder)")],
) -> None:
    """The rules added, removed and changed between two versions."""
    from approval.errors import ApprovalError
    from approval.rules import service
    from approval.rules.explain import render_diff

    settings = get_settings()
    with _database(settings) as db:
        _bootstrapped(db, settings)
        try:
            with db.reading() as conn:
                files = [
                    service.files_from_dir(settings.rules_dir)
                    if ref == "disk"
                    else service.stored_files(conn, ref)[1]
                    for ref in (old, new)
                ]
        except ApprovalError as exc:
            raise _fail(exc) from None
    report = service.diff(files[0], files[1])
    for line in render_diff(report):
        typer.echo(line)
    if not any(report.values()):
        typer.echo("没有差异")


def _candidate(db: Any, settings: Settings, version: str | None, path: Path | None) -> Any:
    from approval.rules import repository, service

    if version is not None and path is not None:
        typer.echo("错误：--version 和 --path 只能给一个", err=True)
        raise typer.Exit(2)
    if path is not None:
        return _load_or_exit(settings, path)
    with db.reading() as conn:
        if version is None:
            version = repository.live_versions(conn)[0]
        _, files = service.stored_files(conn, str(version))
    return service.compile_files(files)


def _in_force(db: Any, settings: Settings, ruleset: Any, path: Path | None) -> Any:
    """``ruleset`` with its word lists and catalogue: the folder's, or its stored version's."""
    from approval.context import load_reference_data
    from approval.decisions.determination import RulesInForce
    from approval.rules.simulation import stored_reference

    reference: Any = None
    if path is not None:
        reference = load_reference_data(settings.model_copy(update={"rules_dir": path}))
    else:
        with db.reading() as conn:
            reference = stored_reference(conn, ruleset)
    return RulesInForce(ruleset, reference or load_reference_data(settings))


@rules_app.command("replay")
def replay(
    application_id: str,
    version: Annotated[str, typer.Option(help="the ruleset version to replay with")],
) -> None:
    """The decision a version would have made on this application, its facts derived again."""
    from approval.errors import ApprovalError
    from approval.rules import service
    from approval.rules.explain import OUTCOME_LABELS

    settings = get_settings()
    with _database(settings) as db:
        _bootstrapped(db, settings)
        try:
            ruleset = _candidate(db, settings, version, None)
            try:
                rules = _in_force(db, settings, ruleset, None)
                with db.reading() as conn:
                    report = service.replay(conn, application_id, rules)
            finally:
                ruleset.close()
        except ApprovalError as exc:
            raise _fail(exc) from None
    stored = report["stored_decision"]
    typer.echo(
        f"申请 {application_id}：当时的结论 {OUTCOME_LABELS.get(stored, stored or '尚未决定')}"
        f"（版本 {str(report['stored_version'])[:12]}）；版本 "
        f"{report['replayed_version'][:12]} 的决定："
        f"{OUTCOME_LABELS.get(report['decision'], report['decision'])}"
    )
    for reason in report["reasons"]:
        outcome = OUTCOME_LABELS.get(reason["outcome"], reason["outcome"])
        typer.echo(f"  {reason['rule_id']} [{outcome}] {reason['text']}")


@rules_app.command("simulate")
def simulate(
    version: Annotated[str | None, typer.Option(help="a stored version to try")] = None,
    path: PathOption = None,
    since: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="applications from this day")
    ] = None,
    show: Annotated[int, typer.Option(help="how many flipped applications to print")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="the whole report as JSON")] = False,
) -> None:
    """Run a candidate over stored applications against the active version: rates and flips."""
    from rich.progress import Progress

    from approval.errors import ApprovalError
    from approval.rules.explain import render_text
    from approval.rules.simulation import simulate as run

    settings = get_settings()
    with _database(settings) as db:
        _bootstrapped(db, settings)
        try:
            candidate = _candidate(db, settings, version, path)
            baseline = _candidate(db, settings, None, None)
        except ApprovalError as exc:
            raise _fail(exc) from None
        try:
            proposed = _in_force(db, settings, candidate, path)
            in_force = _in_force(db, settings, baseline, None)
            with Progress(transient=True, disable=as_json) as progress:
                task = progress.add_task("模拟中", total=None)

                def advance(done: int, total: int) -> None:
                    progress.update(task, completed=done, total=total)

                with db.reading() as conn:
                    report = run(
                        conn,
                        in_force,
                        proposed,
                        since.replace(tzinfo=dt.UTC) if since else None,
                        progress=advance,
                    )
        finally:
            candidate.close()
            baseline.close()
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, default=str))
        return
    typer.echo(
        f"{report['applications']} 件申请；现行版本 {report['baseline_version'][:12]} -> "
        f"候选版本 {report['candidate_version'][:12]}"
    )
    for verdict in report["before"]:
        b, a = report["before"][verdict], report["after"][verdict]
        typer.echo(
            f"  {verdict:24} {b['count']:7} ({b['rate']:.2%}) -> {a['count']:7} ({a['rate']:.2%})"
        )
    typer.echo(
        f"{report['flipped']} 件会改变决定；{report['differs_from_stored_outcome']} 件与当时存下的"
        "结论不同"
    )
    not_recomputed = report["not_recomputed"]
    if not_recomputed["count"]:
        reasons = "，".join(f"{k} {v}" for k, v in not_recomputed["reasons"].items())
        typer.echo(f"{not_recomputed['count']} 件按当时存下的事实决定，没有重新推导（{reasons}）")
    for rule_id, directions in report["flips_by_rule"].items():
        typer.echo(f"  {rule_id}：" + "，".join(f"{d} {n}" for d, n in directions.items()))
    staff = report["staff"]
    typer.echo(
        f"工作人员人工决定的 {staff['decided']} 件：{staff['counts']['risky']} 件有风险"
        f"（候选版本会批准工作人员驳回的），{staff['counts']['tightening']} 件收紧，"
        f"{staff['unchanged']} 件不变"
    )
    classes = {"risky": "有风险", "tightening": "收紧"}
    for case in [*staff["risky"], *staff["tightening"]][:show]:
        typer.echo(
            f"  {classes.get(case['class'], case['class'])} {case['application_id']}："
            f"工作人员 {case['staff_decision']}，候选版本 {case['candidate']}"
            f"（{'，'.join(case['caused_by']) or '没有规则触发'}）"
        )
    for flip in report["flips"][:show]:
        typer.echo(
            f"\n{flip['application_id']}：{flip['before']} -> {flip['after']}"
            f"（起因：{'，'.join(flip['caused_by']) or '-'}）"
        )
        typer.echo("  之前：")
        for rule in flip["why_before"]:
            typer.echo("\n".join("    " + line for line in render_text(rule)))
        typer.echo("  之后：")
        for rule in flip["why_after"]:
            typer.echo("\n".join("    " + line for line in render_text(rule)))


@rules_app.command("disagreements")
def disagreements(limit: int = 50) -> None:
    """Live applications on which the shadow candidate would have decided differently."""
    from approval.rules import repository

    settings = get_settings()
    with _database(settings) as db:
        with db.reading() as conn:
            rows = repository.disagreements(conn, None, limit)
    for row in rows:
        typer.echo(
            f"{row.application_id}：现行版本 {row.active_version[:12]} {row.active_outcome}"
            f"（{'，'.join(row.active_rules) or '-'}）/ 候选版本 {row.candidate_version[:12]} "
            f"{row.candidate_outcome}（{'，'.join(row.candidate_rules) or '-'}）"
        )
    if not rows:
        typer.echo("没有记录到分歧")


@rules_app.command("list")
def list_rules(path: PathOption = None) -> None:
    """Every rule: id, outcome, title, who answers for it, its source and review date."""
    settings = get_settings()
    ruleset = _load_or_exit(settings, _dir(settings, path))
    try:
        rules = list(ruleset.rules)
    finally:
        ruleset.close()
    for rule in rules:
        meta = rule.meta
        review = meta.review_by.isoformat() if meta.review_by else "-"
        typer.echo(
            f"{rule.id:24} {rule.outcome.value:24} {rule.title}  "
            f"负责：{meta.owner or '-'}  复核日期：{review}  依据：{meta.source or '-'}"
        )


def facts_table() -> str:
    """The fact schema as Markdown tables (rules/README.md embeds them): the facts a rule may
    compare, then those only a reason text shows."""
    from approval.engine.facts import FACTS

    lines = ["| fact | type | meaning | values | range |", "|---|---|---|---|---|"]
    for spec in FACTS.values():
        if not spec.reason_only:
            values = ", ".join(f'"{c}"' for c in spec.choices) if spec.choices else ""
            lines.append(
                f"| `{spec.name}` | {spec.type.value} | {spec.description} | {values} "
                f"| {spec.range_text} |"
            )
    lines += [
        "",
        "Only for reason texts (a rule cannot compare them); empty when nothing applies:",
        "",
        "| fact | type | meaning |",
        "|---|---|---|",
    ]
    for spec in FACTS.values():
        if spec.reason_only:
            lines.append(f"| `{spec.name}` | {spec.type.value} | {spec.description} |")
    return "\n".join(lines)


@rules_app.command("facts")
def facts() -> None:
    """Print every fact a rule or a reason text may name, as the tables in rules/README.md."""
    typer.echo(facts_table())
