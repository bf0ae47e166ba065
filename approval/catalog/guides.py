"""Service guides (办事指南): one readable page per item, with a QR code that opens it."""

from __future__ import annotations

import html
from typing import Any

import segno

from approval.catalog.items import (
    CHANNEL_LABELS,
    KIND_LABELS,
    LEVEL_LABELS,
    Catalog,
    CatalogItem,
)

_STYLE = """
body{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC",sans-serif;max-width:52rem;
margin:2rem auto;padding:0 1rem;color:#222;line-height:1.6}
h1{color:#b3261e;font-size:1.6rem;margin-bottom:.2rem}.meta{color:#666}
table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{border:1px solid #ddd;padding:.4rem .6rem;text-align:left;vertical-align:top}
th{background:#f6f1f0;width:9rem}
.qr{float:right;text-align:center;font-size:.8rem;color:#666}
.tag{display:inline-block;background:#eef;border-radius:.3rem;padding:0 .4rem;margin-right:.3rem}
.wall{display:grid;grid-template-columns:repeat(auto-fill,minmax(11rem,1fr));gap:1rem}
.card{border:1px solid #ddd;padding:.6rem;text-align:center}
"""


def qr_svg(url: str, scale: int = 4) -> str:
    return str(segno.make(url, error="m").svg_inline(scale=scale))


def guide_json(catalog: Catalog, item: CatalogItem, guide_url: str) -> dict[str, Any]:
    return {
        **item.model_dump(mode="json"),
        "department_name": catalog.department_name(item),
        "kind_label": KIND_LABELS[item.kind],
        "materials_asked": [m.name for m in item.materials if m.asked_of_applicant],
        "materials_fetched": [m.name for m in item.materials if not m.asked_of_applicant],
        "guide_url": guide_url,
    }


def _list(values: tuple[str, ...] | list[str]) -> str:
    return "<ol>" + "".join(f"<li>{html.escape(v)}</li>" for v in values) + "</ol>"


def guide_html(catalog: Catalog, item: CatalogItem, guide_url: str) -> str:
    asked = [m for m in item.materials if m.asked_of_applicant]
    fetched = [m for m in item.materials if not m.asked_of_applicant]

    def material(m: Any) -> str:
        note = f"（{html.escape(m.note)}）" if m.note else ""
        return f"{html.escape(m.name)}{note}"

    rows = [
        ("事项编码", html.escape(item.code)),
        ("实施部门", html.escape(catalog.department_name(item))),
        ("事项类型", KIND_LABELS[item.kind]),
        ("服务对象", "、".join(html.escape(s) for s in item.service_objects)),
        ("受理条件", _list(item.acceptance_conditions)),
        ("办理流程", " → ".join(html.escape(s) for s in item.process)),
        (
            "申请材料",
            ("<ol>" + "".join(f"<li>{material(m)}</li>" for m in asked) + "</ol>")
            if asked
            else "无需提交",
        ),
        (
            "无需提交（部门共享获取）",
            "、".join(material(m) for m in fetched) if fetched else "—",
        ),
        ("法定时限", f"{item.legal_limit_days} 个工作日"),
        (
            "承诺时限",
            "即办（秒批）"
            if item.promised_limit_days == 0
            else f"{item.promised_limit_days} 个工作日",
        ),
        ("收费", html.escape(item.fee)),
        (
            "办理地点",
            "".join(f'<span class="tag">{LEVEL_LABELS[v]}</span>' for v in item.hall_levels),
        ),
        (
            "办理渠道",
            "".join(f'<span class="tag">{CHANNEL_LABELS[c]}</span>' for c in item.channels),
        ),
        ("智能审批", "支持秒批" if item.auto_approval else "人工审核"),
        ("设定依据", html.escape(item.legal_basis)),
    ]
    body = "".join(f"<tr><th>{label}</th><td>{value}</td></tr>" for label, value in rows)
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(item.name)} · 办事指南</title><style>{_STYLE}</style></head><body>"
        f'<div class="qr">{qr_svg(guide_url)}<br>扫码查看本指南</div>'
        f"<h1>{html.escape(item.name)}</h1>"
        f'<p class="meta">办事指南 · {html.escape(catalog.department_name(item))}</p>'
        f"<table>{body}</table></body></html>"
    )


def qr_wall_html(catalog: Catalog, guide_url_of: dict[str, str]) -> str:
    """The hall's QR wall: a card per item whose QR code opens its guide."""
    cards = "".join(
        f'<div class="card">{qr_svg(guide_url_of[item.code], scale=3)}'
        f"<div>{html.escape(item.name)}</div></div>"
        for item in catalog
    )
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>二维码墙 · 办事指南</title><style>{_STYLE}</style></head><body>"
        f'<h1>扫码办事</h1><p class="meta">共 {len(catalog)} 项</p>'
        f'<div class="wall">{cards}</div></body></html>'
    )
