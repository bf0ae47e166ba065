"""Service statistics: 办结率, processing times, the auto-approval rate and 满意率."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from approval.calendar import WorkingCalendar
from approval.catalog.endpoints import CatalogDep
from approval.catalog.items import Catalog
from approval.database import Database
from approval.endpoints import CalendarDep, ClockDep, DatabaseDep
from approval.stats.page import stats_page
from approval.stats.service import compute_stats, today_label

router = APIRouter(prefix="/v1/stats", tags=["statistics"])


@dataclass(frozen=True, slots=True)
class Figures:
    data: dict[str, Any]
    json: bytes  # encoded once, on the worker thread, for every caller who shares it


class SharedFigures:
    """One computation of the figures at a time; whoever asks meanwhile shares its answer.

    The statistics are public, so anyone may ask for them as often as they like: however many
    ask at once, the database computes them once, on a worker thread, while the event loop
    serves everyone else and no waiting caller holds a thread or a connection.
    """

    def __init__(self) -> None:
        self._running: asyncio.Future[Figures] | None = None

    async def get(self, compute: Callable[[], Figures]) -> Figures:
        """``compute``'s answer, computed on a worker thread unless a computation is running."""
        if self._running is None:
            self._running = asyncio.ensure_future(asyncio.to_thread(compute))
            self._running.add_done_callback(self._done)
        # a caller who goes away does not cancel the answer the others wait for
        return await asyncio.shield(self._running)

    def _done(self, running: asyncio.Future[Figures]) -> None:
        self._running = None
        if not running.cancelled():
            running.exception()  # retrieved here even if every caller has gone


def _compute(db: Database, catalog: Catalog, calendar: WorkingCalendar) -> Figures:
    with db.reading() as conn:
        data = compute_stats(conn, catalog, calendar)
    return Figures(data, orjson.dumps(data))


async def shared_figures(request: Request) -> SharedFigures:
    """One per app (and so per event loop)."""
    state = request.app.state
    shared: SharedFigures | None = getattr(state, "shared_stats", None)
    if shared is None:
        shared = state.shared_stats = SharedFigures()
    return shared


FiguresDep = Annotated[SharedFigures, Depends(shared_figures)]


@router.get(
    "",
    response_class=Response,
    responses={200: {"description": "统计数据", "content": {"application/json": {}}}},
)
async def stats(
    db: DatabaseDep, catalog: CatalogDep, calendar: CalendarDep, figures: FiguresDep
) -> Response:
    """办结率, processing times per item and channel, 秒批率 and 满意率 (public aggregates)."""
    shared = await figures.get(partial(_compute, db, catalog, calendar))
    return Response(shared.json, media_type="application/json")


@router.get("/page", response_class=HTMLResponse)
async def stats_chart_page(
    db: DatabaseDep,
    catalog: CatalogDep,
    calendar: CalendarDep,
    clock: ClockDep,
    figures: FiguresDep,
) -> HTMLResponse:
    """The same figures as charts, for the hall's screen (public)."""
    shared = await figures.get(partial(_compute, db, catalog, calendar))
    return HTMLResponse(stats_page(shared.data, today_label(clock.today())))
