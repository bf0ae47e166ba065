"""The public catalog: items, service guides (HTML and JSON), QR codes, halls, bundles and the
business-scope catalogue."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from approval.catalog.guides import guide_html, guide_json, qr_svg, qr_wall_html
from approval.catalog.items import Catalog, CatalogItem
from approval.catalog.schemas import ScopeCatalogPage, ScopeEntryRead
from approval.catalog.scope import ScopeCatalog, ScopeKind
from approval.endpoints import SettingsDep, provided
from approval.errors import CatalogItemNotFound, answered_with
from approval.openapi import not_json
from approval.settings import Settings

router = APIRouter(prefix="/v1/catalog", tags=["catalog"])

CatalogDep = Annotated[Catalog, provided("catalog", Catalog)]
# the catalogue published with the ruleset in force, swapped with it
ScopeCatalogDep = Annotated[ScopeCatalog, provided("scope_catalog", ScopeCatalog)]


def _item(catalog: Catalog, code: str) -> CatalogItem:
    item = catalog.item(code)
    if item is None:
        raise CatalogItemNotFound(f"事项目录中没有编码为 {code} 的事项")
    return item


def _guide_url(settings: Settings, code: str) -> str:
    return f"{settings.base_url}/v1/catalog/items/{code}/guide"


@router.get("/items")
async def list_items(
    catalog: CatalogDep,
    settings: SettingsDep,
    q: Annotated[str, Query(max_length=50, description="按编码、名称、部门或依据搜索")] = "",
    department: Annotated[str | None, Query(max_length=32)] = None,
    kind: Annotated[str | None, Query(max_length=16)] = None,
) -> dict[str, Any]:
    """Search the catalog (public)."""
    items = catalog.search(q, department, kind)
    return {
        "count": len(items),
        "items": [
            {
                "code": i.code,
                "name": i.name,
                "department": i.department,
                "department_name": catalog.department_name(i),
                "kind": i.kind,
                "promised_limit_days": i.promised_limit_days,
                "auto_approval": i.auto_approval,
                "guide": _guide_url(settings, i.code),
            }
            for i in items
        ],
    }


@router.get("/items/{code}", responses=answered_with(CatalogItemNotFound))
async def item_guide_json(code: str, catalog: CatalogDep, settings: SettingsDep) -> dict[str, Any]:
    """One item's service guide as JSON (public)."""
    item = _item(catalog, code)
    return guide_json(catalog, item, _guide_url(settings, item.code))


@router.get(
    "/items/{code}/guide", response_class=HTMLResponse, responses=answered_with(CatalogItemNotFound)
)
async def item_guide_page(code: str, catalog: CatalogDep, settings: SettingsDep) -> HTMLResponse:
    """One item's service guide as a readable page with its QR code (public)."""
    item = _item(catalog, code)
    return HTMLResponse(guide_html(catalog, item, _guide_url(settings, item.code)))


@router.get(
    "/items/{code}/qr.svg",
    response_class=Response,
    responses={
        **not_json("image/svg+xml", "事项指南的二维码（SVG）"),
        **answered_with(CatalogItemNotFound),
    },
)
async def item_qr(code: str, catalog: CatalogDep, settings: SettingsDep) -> Response:
    """The QR code that opens the item's guide (for printing on the hall's QR wall)."""
    item = _item(catalog, code)
    return Response(qr_svg(_guide_url(settings, item.code), scale=8), media_type="image/svg+xml")


@router.get("/qr-wall", response_class=HTMLResponse)
async def qr_wall(catalog: CatalogDep, settings: SettingsDep) -> HTMLResponse:
    """Every item's QR code on one page (public)."""
    urls = {item.code: _guide_url(settings, item.code) for item in catalog}
    return HTMLResponse(qr_wall_html(catalog, urls))


@router.get("/halls")
async def halls(catalog: CatalogDep) -> dict[str, Any]:
    """The halls (city, township, village, bank branch) where applications can be filed."""
    return {"halls": [h.model_dump(mode="json") for h in catalog.halls.values()]}


@router.get("/bundles")
async def bundles(catalog: CatalogDep) -> dict[str, Any]:
    """The bundles (一件事): several items handled as one application (public)."""
    return {
        "bundles": [
            {
                **b.model_dump(mode="json"),
                "item_names": [catalog.items[c].name for c in b.items],
            }
            for b in catalog.bundles.values()
        ]
    }


@router.get("/scope", response_model=ScopeCatalogPage)
async def scope_catalogue(
    scope_catalog: ScopeCatalogDep,
    q: Annotated[
        str, Query(max_length=50, description="按编码、规范表述、常用说法、许可证或部门搜索")
    ] = "",
    kind: Annotated[ScopeKind | None, Query(description="只列出这一类条目")] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="每页最多条目数")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000, description="从第几条开始（从 0 起）")] = 0,
) -> ScopeCatalogPage:
    """The business-scope catalogue (经营范围规范表述目录) applicants choose codes from (public)."""
    found = scope_catalog.search(q, kind)
    page = found[offset : offset + limit]
    return ScopeCatalogPage(
        total=len(found),
        limit=limit,
        offset=offset,
        next_offset=offset + limit if offset + limit < len(found) else None,
        items=[ScopeEntryRead.of(item) for item in page],
    )
