"""``miaopi dispatch``: the outbox dispatcher as a process of its own."""

from __future__ import annotations

import signal
import time
from typing import Annotated

import typer

from approval.settings import get_settings


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def dispatch(
    once: Annotated[bool, typer.Option(help="one step, then exit")] = False,
    every: Annotated[float, typer.Option(help="seconds between steps")] = 2.0,
) -> None:
    """Push outbox events to the supervising departments (webhooks), escalate overdue claims.

    Run any number of these beside ``serve`` (set APPROVAL_DISPATCH_INTERVAL_SECONDS=0 there).
    """
    from approval.context import build_context
    from approval.migrate import upgrade_to_head
    from approval.privacy import configure_logging
    from approval.supervision.dispatcher import Dispatcher

    configure_logging()
    settings = get_settings()
    upgrade_to_head(settings.database_url)
    context = build_context(settings)
    dispatcher = Dispatcher.from_settings(
        settings, context.db, context.clock, context.signer, context.reference.scope
    )
    # SIGTERM, as process managers stop a service, ends it like Ctrl-C: every step is its own
    # transactions and deliveries are at-least-once, so stopping anywhere loses nothing
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        while True:
            report = dispatcher.run_once()
            if once:
                typer.echo(
                    f"routed {report.routed}, delivered {report.delivered}, "
                    f"failed {report.failed}, escalated {report.escalated}"
                )
                return
            time.sleep(every)
    except KeyboardInterrupt:
        pass
    finally:
        dispatcher.close()
        context.close()
