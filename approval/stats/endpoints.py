from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from approval.access.endpoints import ContextDep
from approval.stats.page import stats_page
from approval.stats.service import compute_stats, today_label

router = APIRouter(prefix="/v1/stats", tags=["statistics"])


# plain functions: FastAPI runs them in its thread pool, so the queries never hold the event loop
@router.get("")
def stats(context: ContextDep) -> dict[str, Any]:
    """办结率, processing times per item and channel, 秒批率 and 满意率 (public aggregates)."""
    with context.db.reading() as conn:
        return compute_stats(conn, context.catalog, context.calendar)


@router.get("/page", response_class=HTMLResponse)
def stats_chart_page(context: ContextDep) -> HTMLResponse:
    """The same figures as charts, for the hall's screen (public)."""
    with context.db.reading() as conn:
        figures = compute_stats(conn, context.catalog, context.calendar)
    return HTMLResponse(stats_page(figures, today_label(context.clock.today())))
