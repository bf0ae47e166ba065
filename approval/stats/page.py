"""The statistics page: figures a person would rather look at than read (server-rendered SVG)."""

from __future__ import annotations

import html
from typing import Any

from approval.kernel.status import Outcome

_STYLE = """
body{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC",sans-serif;margin:0;background:#f4f6f9;
color:#1f2933}
header{background:#b3261e;color:#fff;padding:1rem 2rem}h1{margin:0;font-size:1.5rem}
main{padding:1.5rem 2rem;display:grid;gap:1.2rem}
.tiles{display:grid;grid-template-columns:repeat(4,1fr);gap:1rem}
.tile{background:#fff;border-radius:.6rem;padding:1rem 1.2rem;box-shadow:0 1px 3px #0002}
.tile .v{font-size:2.2rem;font-weight:bold;color:#b3261e}.tile .l{color:#52606d}
.panel{background:#fff;border-radius:.6rem;padding:1rem 1.2rem;box-shadow:0 1px 3px #0002}
h2{font-size:1.1rem;margin:.2rem 0 .8rem}
"""

_BUCKET_LABELS = ["≤1秒", "≤5秒", "≤1分钟", "≤1小时", "≤1天", "≤3天", ">3天"]
_OUTCOME_LABELS = {
    Outcome.APPROVE: "批准",
    Outcome.APPROVE_WITH_CONDITIONS: "附条件批准",
    Outcome.MANUAL_REVIEW: "转人工审核",
    Outcome.REJECT: "不予登记",
}
_COLOURS = ["#b3261e", "#e07a5f", "#3d5a80", "#81b29a", "#f2cc8f", "#6d597a", "#98c1d9"]


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} 毫秒"
    if seconds < 120:
        return f"{seconds:.1f} 秒"
    if seconds < 7200:
        return f"{seconds / 60:.0f} 分钟"
    return f"{seconds / 3600:.1f} 小时"


def _bars(items: list[tuple[str, int]], width: int = 640, bar: int = 26) -> str:
    """A horizontal bar chart: one labelled bar per item."""
    top = max((n for _, n in items), default=0) or 1
    height = len(items) * (bar + 10) + 10
    rows = []
    for i, (label, count) in enumerate(items):
        y = 10 + i * (bar + 10)
        length = int((width - 220) * count / top)
        colour = _COLOURS[i % len(_COLOURS)]
        baseline = y + bar * 0.7
        rows.append(
            f'<text x="0" y="{baseline:.0f}" font-size="14">{html.escape(label)}</text>'
            f'<rect x="150" y="{y}" width="{max(length, 1)}" height="{bar}" '
            f'fill="{colour}" rx="3"/>'
            f'<text x="{158 + length}" y="{baseline:.0f}" font-size="14">{count}</text>'
        )
    return f'<svg width="{width}" height="{height}" role="img">{"".join(rows)}</svg>'


def stats_page(stats: dict[str, Any], as_of: str) -> str:
    tiles = [
        (str(stats["applications"]), "申请总数"),
        (_percent(stats["on_time_rate"]), "按时办结率"),
        (_percent(stats["auto_approval_rate"]), "秒批率"),
        (_percent(stats["satisfaction_rate"]), f"满意率（{stats['ratings']} 条评价）"),
    ]
    tile_html = "".join(
        f'<div class="tile"><div class="v">{v}</div><div class="l">{html.escape(label)}</div></div>'
        for v, label in tiles
    )
    decisions = [
        (_OUTCOME_LABELS.get(k, k), n) for k, n in sorted(stats["first_decisions"].items())
    ]
    panels = [f'<div class="panel"><h2>即时决定</h2>{_bars(decisions)}</div>']
    for group in stats["processing"]:
        buckets = [
            (label, bucket["count"])
            for label, bucket in zip(_BUCKET_LABELS, group["histogram"], strict=True)
        ]
        title = (
            f"{group['item_name']} · {group['channel_name']}：{group['count']} 件，"
            f"中位 {_duration(group['p50_seconds'])}，90% 在 {_duration(group['p90_seconds'])} 内"
        )
        panels.append(f'<div class="panel"><h2>{html.escape(title)}</h2>{_bars(buckets)}</div>')
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>审批服务统计</title><style>{_STYLE}</style></head><body>"
        f"<header><h1>审批服务统计</h1><div>截至 {html.escape(as_of)}</div></header>"
        f'<main><div class="tiles">{tile_html}</div>{"".join(panels)}</main></body></html>'
    )
