"""The ``miaopi`` command: serve, and manage API keys."""

from __future__ import annotations

from typing import Annotated

import typer

from approval.audit.cli import audit_app
from approval.names.cli import names_app, register_issued
from approval.rules.change_cli import register as register_change_commands
from approval.rules.cli import rules_app
from approval.settings import Settings, get_settings
from approval.supervision.cli import dispatch

app = typer.Typer(help="Miaopi 秒批 — instant approval of individual business registrations.")
keys_app = typer.Typer(help="API keys.")
app.add_typer(keys_app, name="keys")
app.add_typer(rules_app, name="rules")
register_change_commands(rules_app)
app.add_typer(audit_app, name="audit")
app.add_typer(names_app, name="names")
app.command("dispatch")(dispatch)


def _rules_banner(settings: Settings) -> str:
    """The version in force, as decisions will use it; the folder's problems are reported but
    stop nothing while the database holds a version. Exit 2 only when there is none yet and
    the folder cannot be used."""
    from approval.context import load_reference_data
    from approval.database import Database
    from approval.engine.language import RuleFileError, parse_rules_dir
    from approval.engine.ruleset import ruleset_version
    from approval.kernel.rule_data import RuleDataError
    from approval.rules import service

    db = Database(settings.database_url)
    try:
        with db.reading() as conn:
            files = service.in_force_files(conn)
    finally:
        db.dispose()
    try:
        # read and checked, not compiled: the server compiles the version it runs
        load_reference_data(settings)
        parse_rules_dir(settings.rules_dir)
        folder_error = None
    except (RuleFileError, RuleDataError) as exc:
        folder_error = str(exc)
    if files is None:
        if folder_error is not None:
            typer.echo(
                f"已拒绝：{settings.rules_dir} 中的规则无法使用：\n{folder_error}",
                err=True,
            )
            raise typer.Exit(2)
        files = service.files_from_dir(settings.rules_dir)
        origin = f"来自 {settings.rules_dir}，已存为第一个版本"
    else:
        origin = "现行版本，来自数据库"
        if folder_error is not None:
            typer.echo(
                f"警告：规则文件夹 {settings.rules_dir} 有错误，没有使用；"
                f"现行版本继续做决定：\n{folder_error}",
                err=True,
            )
        elif (folder := ruleset_version(settings.rules_dir)) != service.version_of(files):
            typer.echo(
                f"提示：规则文件夹（版本 {folder[:12]}）与现行版本不同；要改用它，"
                "请用 `miaopi rules propose` 提出变更",
                err=True,
            )
    version = service.version_of(files)
    return f"{len(service.rules_of(version, files))} 条规则，版本 {version[:12]}（{origin}）"


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="API processes; more than one needs PostgreSQL")
    ] = 1,
) -> None:
    """Bring the schema up to date and serve the API (uvicorn)."""
    import logging.config
    import os

    import uvicorn

    from api import create_app
    from approval.migrate import upgrade_to_head
    from approval.privacy import logging_config

    settings = get_settings().model_copy(
        update={k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    )
    if workers > 1 and settings.database_url.startswith("sqlite"):
        typer.echo(
            "refused: --workers above 1 needs PostgreSQL (APPROVAL_DATABASE_URL); SQLite is "
            "served by one process with one writer — run one `miaopi serve` on it",
            err=True,
        )
        raise typer.Exit(2)
    # every log record of the process, uvicorn's and alembic's too, goes out redacted
    log_config = logging_config()
    logging.config.dictConfig(log_config)
    upgrade_to_head(settings.database_url)
    typer.echo(f"规则：{_rules_banner(settings)}")
    # the first start after an upgrade: names issued before the register are refused too
    register_issued(settings, only_into_an_empty_register=True)
    # no access log: request lines would carry applicants' data into logs
    if workers == 1:
        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            access_log=False,
            log_level="info",
            log_config=log_config,
        )
        return
    # each worker process builds its app from the environment: pass the overrides there
    os.environ["APPROVAL_HOST"] = settings.host
    os.environ["APPROVAL_PORT"] = str(settings.port)
    uvicorn.run(
        "api:create_app",
        factory=True,
        workers=workers,
        host=settings.host,
        port=settings.port,
        access_log=False,
        log_level="info",
        log_config=log_config,
    )


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (alembic upgrade head)."""
    from approval.migrate import upgrade_to_head

    settings = get_settings()
    upgrade_to_head(settings.database_url)
    register_issued(settings)
    typer.echo("schema is up to date")


@keys_app.command("create")
def create_key(
    role: Annotated[str, typer.Option(help="terminal, mobile, staff, rule_admin or supervisor")],
    subject: Annotated[
        str | None, typer.Option(help="the applicant's ID number (mobile keys only)")
    ] = None,
    label: Annotated[str | None, typer.Option(help="a note, e.g. the terminal's location")] = None,
    department: Annotated[
        str | None, typer.Option(help="supervisor keys: the department code, e.g. SCJG")
    ] = None,
    hall: Annotated[
        str | None,
        typer.Option(help="terminal and window keys: the hall code (rules/catalog/halls.yaml)"),
    ] = None,
) -> None:
    """Create an API key and print it (it is shown only once)."""
    from approval.access.service import create_key as create
    from approval.catalog.items import load_catalog
    from approval.clock import clock_for
    from approval.database import Database
    from approval.errors import ApprovalError
    from approval.migrate import upgrade_to_head

    settings = get_settings()
    if hall is not None and hall not in load_catalog(settings.rules_dir / "catalog").halls:
        typer.echo(f"error: 没有编码为 {hall} 的办事大厅（见 rules/catalog/halls.yaml）", err=True)
        raise typer.Exit(2)
    upgrade_to_head(settings.database_url)
    db = Database(settings.database_url)
    try:
        with db.transaction() as conn:
            now = clock_for(settings.fixed_today).now()
            secret = create(
                conn,
                role,
                subject,
                label,
                now,
                department,
                hall,
                actor=_operator(),
                actor_role="operator",
            )
    except ApprovalError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    finally:
        db.dispose()
    typer.echo(secret)


def _operator() -> str:
    """Who runs the command, for the audit trail: the operating-system account."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"[:40]
    except (KeyError, OSError):  # no name for this uid
        return "cli"


@keys_app.command("list")
def list_keys() -> None:
    """List every key: id, role, label, applicant (masked), hall, department, created, revoked."""
    from approval.access.service import list_keys as listed
    from approval.database import Database
    from approval.migrate import upgrade_to_head

    settings = get_settings()
    upgrade_to_head(settings.database_url)
    db = Database(settings.database_url)
    try:
        with db.reading() as conn:
            records = listed(conn)
    finally:
        db.dispose()
    typer.echo(
        "\t".join(("id", "role", "label", "subject", "hall", "department", "created", "revoked"))
    )
    for r in records:
        revoked = f"{r.revoked_at:%Y-%m-%d %H:%M:%S} by {r.revoked_by}" if r.revoked_at else "-"
        fields = (r.id, r.role, r.label, r.subject, r.hall_code, r.department)
        created = f"{r.created_at:%Y-%m-%d %H:%M:%S}"
        typer.echo("\t".join([*(f or "-" for f in fields), created, revoked]))


@keys_app.command("revoke")
def revoke_key(
    key_id: Annotated[str, typer.Argument(help="the key's id (from `keys list`)")],
) -> None:
    """Revoke a key for good (audited); every process refuses it within a second."""
    from approval.access.service import revoke_key as revoke
    from approval.clock import clock_for
    from approval.database import Database
    from approval.errors import ApprovalError
    from approval.migrate import upgrade_to_head

    settings = get_settings()
    upgrade_to_head(settings.database_url)
    db = Database(settings.database_url)
    try:
        with db.transaction() as conn:
            now = clock_for(settings.fixed_today).now()
            revoke(conn, key_id, _operator(), "operator", now)
    except ApprovalError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    finally:
        db.dispose()
    typer.echo(f"revoked {key_id}")


@app.command("stub-registry")
def stub_registry(
    registry: Annotated[str, typer.Argument(help="market, food, realestate or population")],
    port: Annotated[int, typer.Option(help="port")] = 8101,
    host: Annotated[str, typer.Option(help="bind address (keep it local: admin is open)")] = (
        "127.0.0.1"
    ),
    latency: Annotated[str, typer.Option(help="fixed, uniform or long_tail")] = "fixed",
    latency_ms: Annotated[float, typer.Option(help="fixed / uniform low / tail median")] = 0.0,
    latency_max_ms: Annotated[float, typer.Option(help="uniform high / tail cap")] = 0.0,
    error_rate: Annotated[float, typer.Option(help="share of requests answered 5xx")] = 0.0,
    timeout_rate: Annotated[float, typer.Option(help="share never answered")] = 0.0,
    malformed_rate: Annotated[float, typer.Option(help="share with a broken body")] = 0.0,
    bad_signature_rate: Annotated[float, typer.Option(help="share wrongly signed")] = 0.0,
    outage: Annotated[bool, typer.Option(help="answer every request 503")] = False,
    seed: Annotated[int, typer.Option(help="seed of the injected faults")] = 0,
) -> None:
    """Serve one stub registry over HTTP (signed exchanges; faults via PUT /admin/faults)."""
    from pydantic import ValidationError

    from approval.clock import clock_for
    from connectors.base import Registry
    from connectors.signing import KeyDirectory
    from connectors.stub import load_world
    from connectors.stub_server import Faults, build_stub_app, serve

    try:
        which = Registry(registry)
        faults = Faults(
            latency=latency,
            latency_ms=latency_ms,
            latency_max_ms=latency_max_ms,
            error_rate=error_rate,
            timeout_rate=timeout_rate,
            malformed_rate=malformed_rate,
            bad_signature_rate=bad_signature_rate,
            outage=outage,
            seed=seed,
        )
    except (ValueError, ValidationError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    settings = get_settings()
    stub = build_stub_app(
        which,
        KeyDirectory(settings.registry_keys_dir),
        load_world(settings.registry_data_dir),
        faults,
        # the registry's calendar follows Miaopi's (APPROVAL_FIXED_TODAY in demos and drills)
        today=clock_for(settings.fixed_today).today,
    )
    typer.echo(f"stub {which.value} registry on http://{host}:{port}")
    serve(stub, host, port)


@app.command()
def worker() -> None:
    """Run the registry work of ``serve`` alone: pending verification, and filing registrations
    to the market registry (any number may run against PostgreSQL)."""
    import asyncio
    import signal

    from approval.context import build_context
    from approval.filings.worker import FilingRunner, filing_worker
    from approval.migrate import upgrade_to_head
    from approval.privacy import configure_logging
    from approval.rules.live import LiveRules
    from approval.verification.connections import close_registries
    from approval.verification.worker import run_worker

    configure_logging()
    settings = get_settings()
    upgrade_to_head(settings.database_url)
    ctx = build_context(settings)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        # decide with the active ruleset version, and follow it when it changes, as serve does
        rules = LiveRules(ctx)
        rules.start()
        poll = asyncio.create_task(rules.run(settings.rules_poll_seconds))
        filer = filing_worker(ctx)
        filing = (
            FilingRunner(filer, settings.filing_interval_seconds or 1.0).start() if filer else None
        )
        try:
            await run_worker(ctx, stop)
        finally:
            poll.cancel()
            rules.close()
            if filing is not None:
                await filing.stop()
            await close_registries(ctx.registries)

    typer.echo("verification and filing worker running (Ctrl-C to stop)")
    try:
        asyncio.run(main())
    finally:
        ctx.close()


if __name__ == "__main__":
    app()
