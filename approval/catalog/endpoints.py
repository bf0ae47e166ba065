"""The public catalog: items, service guides (HTML and JSON), QR codes, halls and bundles."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from approval.access.endpoints import ContextDep
from approval.catalog.guides import guide_html, guide_json, qr_svg, qr_wall_html
from approval.catalog.items import CatalogItem
from approval.context import AppContext
from approval.errors import CatalogItemNotFound, answered_with
from approval.openapi import not_json

router = APIRouter(prefix="/v1/catalog", tags=["catalog"])


def _item(context: AppContext, code: str) -> CatalogItem:
    item = context.catalog.item(code)
    if item is None:
        raise CatalogItemNotFound(f"事项目录中没有编码为 {code} 的事项")
    return item


def _guide_url(context: AppContext, code: str) -> str:
    return f"{context.settings.base_url}/v1/catalog/items/{code}/guide"


@router.get("/items")
async def list_items(
    context: ContextDep,
    q: Annotated[str, Query(max_length=50, description="按编码、名称、部门或依据搜索")] = "",
    department: Annotated[str | None, Query(max_length=32)] = None,
    kind: Annotated[str | None, Query(max_length=16)] = None,
) -> dict[str, Any]:
    """Search the catalog (public)."""
    items = context.catalog.search(q, department, kind)
    return {
        "count": len(items),
        "items": [
            {
                "code": i.code,
                "name": i.name,
                "department": i.department,
                "department_name": context.catalog.department_name(i),
                "kind": i.kind,
                "promised_limit_days": i.promised_limit_days,
                "auto_approval": i.auto_approval,
                "guide": _guide_url(context, i.code),
            }
            for i in items
        ],
    }


@router.get("/items/{code}", responses=answered_with(CatalogItemNotFound))
async def item_guide_json(code: str, context: ContextDep) -> dict[str, Any]:
    """One item's service guide as JSON (public)."""
    item = _item(context, code)
    return guide_json(context.catalog, item, _guide_url(context, item.code))


@router.get(
    "/items/{code}/guide", response_class=HTMLResponse, responses=answered_with(CatalogItemNotFound)
)
async def item_guide_page(code: str, context: ContextDep) -> HTMLResponse:
    """One item's service guide as a readable page with its QR code (public)."""
    item = _item(context, code)
    return HTMLResponse(guide_html(context.catalog, item, _guide_url(context, item.code)))


@router.get(
    "/items/{code}/qr.svg",
    response_class=Response,
    responses={
        **not_json("image/svg+xml", "事项指南的二维码（SVG）"),
        **answered_with(CatalogItemNotFound),
    },
)
async def item_qr(code: str, context: ContextDep) -> Response:
    """The QR code that opens the item's guide (for printing on the hall's QR wall)."""
    item = _item(context, code)
    return Response(qr_svg(_guide_url(context, item.code), scale=8), media_type="image/svg+xml")


@router.get("/qr-wall", response_class=HTMLResponse)
async def qr_wall(request: Request, context: ContextDep) -> HTMLResponse:
    """Every item's QR code on one page (public)."""
    urls = {item.code: _guide_url(context, item.code) for item in context.catalog}
    return HTMLResponse(qr_wall_html(context.catalog, urls))


@router.get("/halls")
async def halls(context: ContextDep) -> dict[str, Any]:
    """The halls (city, township, village, bank branch) where applications can be filed."""
    return {"halls": [h.model_dump(mode="json") for h in context.catalog.halls.values()]}


@router.get("/bundles")
async def bundles(context: ContextDep) -> dict[str, Any]:
    """The bundles (一件事): several items handled as one application (public)."""
    return {
        "bundles": [
            {
                **b.model_dump(mode="json"),
                "item_names": [context.catalog.items[c].name for c in b.items],
            }
            for b in context.catalog.bundles.values()
        ]
    }
