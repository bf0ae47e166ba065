"""The ``miaopi`` command: serve, and manage API keys."""

from __future__ import annotations

from typing import Annotated

import typer

from approval.settings import Settings, get_settings

app = typer.Typer(help="Miaopi 秒批 — instant approval of individual business registrations.")
keys_app = typer.Typer(help="API keys.")
rules_app = typer.Typer(help="Rule files: check them before they run.")
app.add_typer(keys_app, name="keys")
app.add_typer(rules_app, name="rules")


def _check_rules_or_exit(settings: Settings) -> str:
    """Load every rule and reference file; print each problem and exit 2 if any is refused."""
    from approval.catalog.scope import RuleDataError
    from approval.context import load_reference_data
    from approval.engine.language import RuleFileError
    from approval.engine.ruleset import Ruleset

    try:
        load_reference_data(settings)
        ruleset = Ruleset.load(settings.rules_dir)
    except (RuleFileError, RuleDataError) as exc:
        typer.echo(f"refused: the rules in {settings.rules_dir} cannot be used:\n{exc}", err=True)
        raise typer.Exit(2) from None
    version = ruleset.version
    count = len(ruleset.rules)
    ruleset.close()
    return f"{count} rules, version {version[:12]}"


@rules_app.command("check")
def check_rules() -> None:
    """Parse and check every rule file, word list and the scope catalogue."""
    typer.echo(f"ok: {_check_rules_or_exit(get_settings())}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
) -> None:
    """Bring the schema up to date and serve the API (uvicorn)."""
    import uvicorn

    from api import create_app
    from approval.migrate import upgrade_to_head

    settings = get_settings().model_copy(
        update={k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    )
    typer.echo(f"rules: {_check_rules_or_exit(settings)}")
    upgrade_to_head(settings.database_url)
    # no access log: request lines would carry applicants' data into logs
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        access_log=False,
        log_level="info",
    )


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (alembic upgrade head)."""
    from approval.migrate import upgrade_to_head

    upgrade_to_head(get_settings().database_url)
    typer.echo("schema is up to date")


@keys_app.command("create")
def create_key(
    role: Annotated[str, typer.Option(help="terminal, mobile, staff, rule_admin or supervisor")],
    subject: Annotated[
        str | None, typer.Option(help="the applicant's ID number (mobile keys only)")
    ] = None,
    label: Annotated[str | None, typer.Option(help="a note, e.g. the terminal's location")] = None,
) -> None:
    """Create an API key and print it (it is shown only once)."""
    from approval.access.service import create_key as create
    from approval.clock import clock_for
    from approval.database import Database
    from approval.errors import ApprovalError
    from approval.migrate import upgrade_to_head

    settings = get_settings()
    upgrade_to_head(settings.database_url)
    db = Database(settings.database_url)
    try:
        with db.transaction() as conn:
            secret = create(conn, role, subject, label, clock_for(settings.fixed_today).now())
    except ApprovalError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    finally:
        db.dispose()
    typer.echo(secret)


if __name__ == "__main__":
    app()
