"""The printable 营业执照 (个体工商户) of a signed licence, as a one-page PDF."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Frame, KeepInFrame, Paragraph, Table, TableStyle

from approval.licences.document import SignedLicence

INSTALL_HINT: Final = (
    "install a CJK TrueType font (Debian/Ubuntu: apt-get install fonts-wqy-microhei) "
    "or set APPROVAL_LICENCE_FONT_PATH to a .ttf/.ttc file with Chinese glyphs"
)
VERIFY_CAPTION: Final = "扫描二维码验证执照真伪"


class LicenceFontMissing(RuntimeError):
    """No usable CJK TrueType font, so a licence PDF cannot be rendered."""


@dataclass(frozen=True)
class LicenceFont:
    path: Path
    subfont_index: int = 0


FONT_CANDIDATES: tuple[LicenceFont, ...] = (
    LicenceFont(Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")),
    LicenceFont(Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")),
    LicenceFont(Path("/usr/share/fonts/truetype/arphic/uming.ttc")),
    LicenceFont(Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")),
)
# Searched after FONT_CANDIDATES. Most Noto CJK builds have CFF outlines, which reportlab
# cannot embed; those fail to load and are skipped.
FONT_SEARCH_ROOTS: tuple[Path, ...] = (Path("/usr/share/fonts"),)
FONT_SEARCH_PATTERNS: Final = ("Noto*CJK*.tt[fc]", "Noto*SC*.ttf", "wqy-*.tt[fc]")

# Every licence prints these, so a font without them is useless for the purpose.
_REQUIRED_GLYPHS: Final = "营业执照经营者统一社会信用代码"


def find_licence_font(font_path: Path | None = None) -> LicenceFont:
    """The CJK font to draw licences with: ``font_path`` if given, else the first usable one found.

    Raises ``LicenceFontMissing`` (with how to fix it) if ``font_path`` is unusable or, when it
    is ``None``, if no usable font is installed in the well-known places.
    """
    if font_path is not None:
        font = LicenceFont(font_path)
        problem = _font_problem(font)
        if problem:
            raise LicenceFontMissing(
                f"licence font {font_path} is unusable: {problem}; {INSTALL_HINT}"
            )
        return font
    for font in _installed_candidates():
        if _font_problem(font) is None:
            return font
    raise LicenceFontMissing(f"no CJK font found for licence PDFs; {INSTALL_HINT}")


def _installed_candidates() -> Iterator[LicenceFont]:
    yield from (font for font in FONT_CANDIDATES if font.path.is_file())
    for root in FONT_SEARCH_ROOTS:
        for pattern in FONT_SEARCH_PATTERNS:
            yield from (LicenceFont(path) for path in sorted(root.rglob(pattern)) if path.is_file())


def _font_problem(font: LicenceFont) -> str | None:
    if not font.path.is_file():
        return "no such file"
    try:
        ttf = _load_font(font)
    # Truncated or odd font files make reportlab fail in assorted ways, not only TTFError.
    except Exception as error:
        return f"cannot be embedded ({error})"
    missing = [char for char in _REQUIRED_GLYPHS if ord(char) not in ttf.face.charToGlyph]
    if missing:
        return f"has no glyph for {''.join(missing)}"
    return None


@lru_cache(maxsize=8)
def _load_font(font: LicenceFont) -> TTFont:
    digest = hashlib.sha256(f"{font.path.resolve()}#{font.subfont_index}".encode()).hexdigest()
    return TTFont(f"LicenceCJK-{digest[:10]}", str(font.path), subfontIndex=font.subfont_index)


def _registered_font_name(font: LicenceFont) -> str:
    ttf = _load_font(font)
    if ttf.fontName not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(ttf)
    return str(ttf.fontName)


PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
MARGIN: Final = 70.0
BORDER_COLOUR: Final = colors.HexColor("#a3332b")
LABEL_COLOUR: Final = colors.HexColor("#444444")
FAINT_COLOUR: Final = colors.HexColor("#666666")
QR_SIZE: Final = 104.0
LABEL_WIDTH: Final = 76.0


def render_licence_pdf(licence: SignedLicence, verify_url: str, font_path: Path | None) -> bytes:
    """Render the licence as a one-page A4 landscape PDF whose QR code encodes ``verify_url``.

    The CJK font is embedded (subset). Rendering is deterministic: the same licence, URL and
    font give the same bytes. Raises ``LicenceFontMissing`` if no usable font is found.
    """
    font_name = _registered_font_name(find_licence_font(font_path))
    document = licence.document
    buffer = io.BytesIO()
    canvas = Canvas(
        buffer,
        pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
        invariant=True,
        pageCompression=1,
        lang="zh-CN",
        initialFontName=font_name,
    )
    canvas.setTitle(f"营业执照 {document.credit_code}")
    canvas.setSubject("营业执照（个体工商户）")
    canvas.setAuthor(document.authority_name)
    canvas.setCreator("Miaopi 秒批")

    _draw_border(canvas)
    _draw_heading(canvas, font_name, document.credit_code)
    _draw_qr(canvas, font_name, verify_url)
    _draw_registered_items(canvas, font_name, licence)
    _draw_authority(canvas, font_name, document.authority_name, document.issue_date)
    _draw_footer(canvas, font_name, licence, verify_url)

    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_border(canvas: Canvas) -> None:
    canvas.setStrokeColor(BORDER_COLOUR)
    canvas.setLineWidth(3)
    canvas.rect(22, 22, PAGE_WIDTH - 44, PAGE_HEIGHT - 44)
    canvas.setLineWidth(0.8)
    canvas.rect(29, 29, PAGE_WIDTH - 58, PAGE_HEIGHT - 58)


def _draw_heading(canvas: Canvas, font_name: str, credit_code: str) -> None:
    canvas.setFillColor(colors.black)
    canvas.setFont(font_name, 44)
    canvas.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 110, "营业执照", charSpace=14)
    canvas.setFont(font_name, 14)
    canvas.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 138, "（个体工商户）")

    canvas.setFillColor(LABEL_COLOUR)
    canvas.setFont(font_name, 11)
    canvas.drawString(MARGIN, PAGE_HEIGHT - 78, "统一社会信用代码")
    canvas.setFillColor(colors.black)
    canvas.setFont(font_name, 16)
    canvas.drawString(MARGIN, PAGE_HEIGHT - 100, credit_code)


def _draw_qr(canvas: Canvas, font_name: str, verify_url: str) -> None:
    qr = segno.make_qr(verify_url, error="m")
    modules = [tuple(row) for row in qr.matrix_iter(scale=1, border=0)]
    module = QR_SIZE / len(modules)
    left = PAGE_WIDTH - MARGIN - QR_SIZE
    top = PAGE_HEIGHT - 48
    quiet = 4 * module

    canvas.setFillColor(colors.white)
    canvas.rect(
        left - quiet,
        top - QR_SIZE - quiet,
        QR_SIZE + 2 * quiet,
        QR_SIZE + 2 * quiet,
        stroke=0,
        fill=1,
    )
    # One filled path of horizontal runs keeps the QR vector and small, without seams
    # between neighbouring modules when rasterised.
    path = canvas.beginPath()
    for row_index, row in enumerate(modules):
        y = top - (row_index + 1) * module
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            start = column
            while column < len(row) and row[column]:
                column += 1
            path.rect(left + start * module, y, (column - start) * module, module)
    canvas.setFillColor(colors.black)
    canvas.drawPath(path, stroke=0, fill=1)

    canvas.setFillColor(LABEL_COLOUR)
    canvas.setFont(font_name, 8.5)
    canvas.drawCentredString(left + QR_SIZE / 2, top - QR_SIZE - 14, VERIFY_CAPTION)


def _styles(font_name: str) -> tuple[ParagraphStyle, ParagraphStyle, ParagraphStyle]:
    value = ParagraphStyle("value", fontName=font_name, fontSize=12, leading=18, wordWrap="CJK")
    condition = ParagraphStyle(
        "condition",
        parent=value,
        fontSize=10,
        leading=14,
        leftIndent=18,
        textColor=FAINT_COLOUR,
    )
    note = ParagraphStyle("note", parent=condition, leftIndent=0, spaceBefore=8)
    return value, condition, note


def _chinese_date(date: dt.date) -> str:
    return f"{date.year}年{date.month:02d}月{date.day:02d}日"


def _draw_registered_items(canvas: Canvas, font_name: str, licence: SignedLicence) -> None:
    document = licence.document
    value, condition, note = _styles(font_name)
    rows = [
        ("名　　称", document.display_name),
        ("类　　型", "个体工商户"),
        ("经\u2002营\u2002者", document.operator_name),
        ("组成形式", document.organisation_form_label),
        ("注册日期", _chinese_date(document.issue_date)),
        ("经营场所", document.premises),
    ]
    left_table = _field_table(
        [(name, [Paragraph(escape(text), value)]) for name, text in rows], font_name
    )

    top = PAGE_HEIGHT - 180
    bottom = 140
    height = top - bottom
    middle = PAGE_WIDTH * 0.46
    left_width = middle - MARGIN
    scope_left = middle + 20 + LABEL_WIDTH
    scope_width = PAGE_WIDTH - MARGIN - scope_left

    notes: list[Flowable] = []
    if any(item.condition for item in document.scope):
        notes.append(Paragraph("（依法须经批准的项目，经相关部门批准后方可开展经营活动）", note))
    scope: list[Flowable] = []
    for number, item in enumerate(document.scope, start=1):
        scope.append(Paragraph(f"{number}. {escape(item.title)}", value))
        if item.condition:
            scope.append(Paragraph(f"（{escape(item.condition)}）", condition))
    scope += notes
    if _stacked_height(scope, scope_width) > height:
        # Too many items to list one per line: run them on as one paragraph, as paper licences do.
        running = "；".join(
            escape(item.title) + (f"（{escape(item.condition)}）" if item.condition else "")
            for item in document.scope
        )
        scope = [Paragraph(running + "。", value), *notes]

    for flowables, x, width in (
        ([left_table], MARGIN, left_width),
        ([_field_table([("经营范围", [])], font_name)], middle + 20, LABEL_WIDTH),
        (scope, scope_left, scope_width),
    ):
        frame = Frame(x, bottom, width, height, 0, 0, 0, 0, showBoundary=0)
        # The last resort for very long text: shrink to fit rather than run off the page.
        frame.addFromList([KeepInFrame(width, height, flowables, mode="shrink")], canvas)


def _stacked_height(flowables: list[Flowable], width: float) -> float:
    total = 0.0
    for flowable in flowables:
        _, height = flowable.wrap(width, PAGE_HEIGHT)
        total += height + flowable.getSpaceBefore() + flowable.getSpaceAfter()
    return total


def _field_table(rows: list[tuple[str, list[Flowable]]], font_name: str) -> Table:
    # Labels are plain strings, not Paragraphs, so the ideographic spaces that justify
    # 名　　称 to four characters' width are kept.
    table = Table([list(row) for row in rows], colWidths=[LABEL_WIDTH, None])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONT", (0, 0), (0, -1), font_name, 12, 18),
                ("TEXTCOLOR", (0, 0), (0, -1), LABEL_COLOUR),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 12),
            ]
        )
    )
    return table


def _draw_authority(
    canvas: Canvas, font_name: str, authority_name: str, issue_date: dt.date
) -> None:
    right = PAGE_WIDTH - MARGIN
    canvas.setFillColor(LABEL_COLOUR)
    canvas.setFont(font_name, 12)
    canvas.drawString(right - 300, 118, "登记机关")
    canvas.setFillColor(colors.black)
    size = 13.0
    while size > 8 and pdfmetrics.stringWidth(authority_name, font_name, size) > 220:
        size -= 0.5
    canvas.setFont(font_name, size)
    canvas.drawRightString(right, 118, authority_name)
    canvas.setFont(font_name, 13)
    canvas.drawRightString(right, 94, _chinese_date(issue_date))


def _draw_footer(canvas: Canvas, font_name: str, licence: SignedLicence, verify_url: str) -> None:
    style = ParagraphStyle(
        "footer",
        fontName=font_name,
        fontSize=7,
        leading=10,
        textColor=FAINT_COLOUR,
        alignment=1,
        wordWrap="CJK",
    )
    lines = [
        f"执照编号 {escape(licence.document.licence_id)}　·　验证网址 {escape(verify_url)}",
        f"电子签名 {licence.algorithm}　·　签名密钥 {escape(licence.key_id)}",
    ]
    width = PAGE_WIDTH - 2 * MARGIN
    frame = Frame(MARGIN, 38, width, 36, 0, 0, 0, 0, showBoundary=0)
    frame.addFromList(
        [KeepInFrame(width, 36, [Paragraph(line, style) for line in lines], mode="shrink")], canvas
    )
