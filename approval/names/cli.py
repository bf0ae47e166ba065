"""``miaopi names register-issued``: the names of licences issued before the name register."""

from __future__ import annotations

import typer

from approval.settings import Settings, get_settings

names_app = typer.Typer(help="The name register (R23–R25).")


def register_issued(settings: Settings, *, only_into_an_empty_register: bool = False) -> None:
    """Put the names of current licences the register does not know on it; say what it did."""
    from approval.clock import clock_for
    from approval.database import Database
    from approval.names import load_name_lexicon, repository
    from approval.names.register import register_issued_names

    db = Database(settings.database_url)
    try:
        with db.transaction() as conn:
            if only_into_an_empty_register and not repository.is_empty(conn):
                return
            lexicon = load_name_lexicon(settings.rules_dir / "words")
            report = register_issued_names(conn, lexicon, clock_for(settings.fixed_today).now())
    finally:
        db.dispose()
    if report.added or report.duplicates:
        typer.echo(f"name register: {report.added} names of licences issued before it added")
    for credit_code, name, holder in report.duplicates:
        typer.echo(
            f"  issued twice before the register: {name} ({credit_code}) is the same name as "
            f"{holder}, which keeps it; review the later licence",
            err=True,
        )


@names_app.command("register-issued")
def register_issued_command() -> None:
    """Put every current licence's name on the name register (idempotent); report names that
    were issued twice before the register existed."""
    register_issued(get_settings())
    typer.echo("name register is up to date")
