"""Stepping the filing worker of an app under test, and reading its outbox."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from fastapi.testclient import TestClient

from approval.context import AppContext
from approval.filings import repository
from approval.filings.worker import FilingReport, FilingWorker, filing_worker


def context(client: TestClient) -> AppContext:
    ctx: AppContext = client.app.state.context  # type: ignore[attr-defined]
    return ctx


def worker(client: TestClient) -> FilingWorker:
    made = filing_worker(context(client))
    assert made is not None, "the market registry of this app takes no filings"
    return made


def step(client: TestClient, filer: FilingWorker, after_seconds: float = 0.0) -> FilingReport:
    """One round of ``filer``, as if ``after_seconds`` had passed since now."""
    now = context(client).clock.now() + dt.timedelta(seconds=after_seconds)
    report: FilingReport = client.portal.call(  # type: ignore[union-attr]
        functools.partial(filer.run_once, now)
    )
    return report


def filings(client: TestClient, application_id: str) -> list[Any]:
    with context(client).db.reading() as conn:
        return repository.for_application(conn, application_id)
