"""``miaopi audit verify`` and ``miaopi audit export``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer

from approval.settings import get_settings

audit_app = typer.Typer(help="The tamper-evident audit trail.")


@audit_app.command("verify")
def verify() -> None:
    """Check every chain; exit 1 and name the first broken record if any."""
    from approval.audit.service import verify_all
    from approval.database import Database

    db = Database(get_settings().database_url)
    try:
        with db.reading() as conn:
            report = verify_all(conn)
    finally:
        db.dispose()
    broken = report.first_break
    if broken is not None:
        record = f"record id {broken.record_id}, " if broken.record_id is not None else ""
        typer.echo(
            f"BROKEN: chain {broken.chain}, seq {broken.seq} ({record}{broken.problem})", err=True
        )
        raise typer.Exit(1)
    typer.echo(f"ok: {report.chains} chains, {report.records} records intact")


@audit_app.command("export")
def export(
    application_id: Annotated[str, typer.Argument(help="the application id")],
    output: Annotated[Path | None, typer.Option(help="file to write (default: stdout)")] = None,
) -> None:
    """Write one application's records, hashes, signed head and how to check them (JSON)."""
    from approval.audit.service import export_chain
    from approval.database import Database
    from approval.errors import ApprovalError
    from approval.signing import signer_from_settings

    settings = get_settings()
    db = Database(settings.database_url)
    try:
        with db.reading() as conn:
            exported = export_chain(conn, application_id, signer_from_settings(settings))
    except ApprovalError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    finally:
        db.dispose()
    data = orjson.dumps(exported, option=orjson.OPT_INDENT_2).decode()
    if output is None:
        typer.echo(data)
    else:
        output.write_text(data, encoding="utf-8")
