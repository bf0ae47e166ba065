from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from approval.licences import (
    LicenceFontMissing,
    LicenceSigner,
    ScopeItem,
    SignedLicence,
    find_licence_font,
    render_licence_pdf,
    sign_licence,
)
from approval.licences import pdf as licence_pdf

from .conftest import DocumentFactory

VERIFY_URL = "http://127.0.0.1:8000/v1/licences/LIC-2025-000123/verify"


@pytest.fixture(scope="session")
def font_path() -> Path:
    try:
        return find_licence_font().path
    except LicenceFontMissing as error:
        pytest.skip(str(error))


@pytest.fixture
def licence(make_document: DocumentFactory, signer: LicenceSigner) -> SignedLicence:
    return sign_licence(make_document(), signer)


def page_count(pdf: bytes) -> int:
    [count] = re.findall(rb"/Count (\d+) /Kids", pdf)
    return int(count)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """The PDF's text with line breaks removed, so wrapped values read whole."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "licence.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    )
    return result.stdout.decode().replace("\n", "")


def test_renders_a_one_page_pdf_with_an_embedded_font(
    licence: SignedLicence, font_path: Path
) -> None:
    pdf = render_licence_pdf(licence, VERIFY_URL, font_path)

    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert b"/FontFile2" in pdf
    assert page_count(pdf) == 1


def test_pdf_shows_the_registered_items(
    licence: SignedLicence, font_path: Path, tmp_path: Path
) -> None:
    text = pdf_text(render_licence_pdf(licence, VERIFY_URL, font_path), tmp_path)
    document = licence.document

    for expected in [
        "营业执照",
        document.credit_code,
        "泰州市海陵区老王面馆",
        "王小明",
        "个人经营",
        "江苏省泰州市海陵区城中街道青年南路88号101室",
        "小餐饮",
        "取得食品经营许可证后方可经营",
        "2025年06月01日",
        "泰州市海陵区市场监督管理局",
        "扫描二维码验证执照真伪",
        licence.key_id,
    ]:
        assert expected in text


def test_unnamed_business_and_markup_characters_print_as_given(
    make_document: DocumentFactory, signer: LicenceSigner, font_path: Path, tmp_path: Path
) -> None:
    unnamed = sign_licence(make_document(name=None, premises="青年南路<88>号 & 1室"), signer)

    text = pdf_text(render_licence_pdf(unnamed, VERIFY_URL, font_path), tmp_path)

    assert "—" in text
    assert "青年南路<88>号 & 1室" in text


def test_long_scope_stays_on_one_page(
    make_document: DocumentFactory, signer: LicenceSigner, font_path: Path, tmp_path: Path
) -> None:
    scope = [
        ScopeItem(
            code=f"X{number:04d}", title=f"经营项目第{number}项", condition="取得许可后方可经营"
        )
        for number in range(1, 31)
    ]
    licence = sign_licence(make_document(scope=scope), signer)

    pdf = render_licence_pdf(licence, VERIFY_URL, font_path)
    text = pdf_text(pdf, tmp_path)

    assert page_count(pdf) == 1
    assert "经营项目第1项" in text
    assert "经营项目第30项" in text


def test_rendering_is_deterministic(licence: SignedLicence, font_path: Path) -> None:
    assert render_licence_pdf(licence, VERIFY_URL, font_path) == render_licence_pdf(
        licence, VERIFY_URL, font_path
    )


@pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("zbarimg") is None,
    reason="needs pdftoppm (poppler-utils) and zbarimg (zbar-tools)",
)
def test_qr_code_encodes_the_verify_url(
    licence: SignedLicence, font_path: Path, tmp_path: Path
) -> None:
    pdf_file = tmp_path / "licence.pdf"
    pdf_file.write_bytes(render_licence_pdf(licence, VERIFY_URL + "?k=测试", font_path))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "100", str(pdf_file), str(tmp_path / "page")], check=True
    )

    [image] = tmp_path.glob("page*.png")
    result = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(image)], capture_output=True, check=True
    )

    assert result.stdout.decode().strip() == VERIFY_URL + "?k=测试"


def test_missing_font_names_the_package_and_the_setting(
    licence: SignedLicence, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(licence_pdf, "FONT_CANDIDATES", ())
    monkeypatch.setattr(licence_pdf, "FONT_SEARCH_ROOTS", (tmp_path,))

    with pytest.raises(LicenceFontMissing) as raised:
        render_licence_pdf(licence, VERIFY_URL, None)

    assert "fonts-wqy-microhei" in str(raised.value)
    assert "APPROVAL_LICENCE_FONT_PATH" in str(raised.value)


def test_unusable_candidates_are_skipped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, font_path: Path
) -> None:
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"not a font")
    monkeypatch.setattr(
        licence_pdf,
        "FONT_CANDIDATES",
        (licence_pdf.LicenceFont(tmp_path / "absent.ttc"), licence_pdf.LicenceFont(broken)),
    )
    monkeypatch.setattr(licence_pdf, "FONT_SEARCH_ROOTS", (font_path.parent,))

    assert find_licence_font().path.parent == font_path.parent


@pytest.mark.parametrize("content", [None, b"", b"not a font at all"])
def test_unusable_configured_font_is_reported(
    licence: SignedLicence, tmp_path: Path, content: bytes | None
) -> None:
    path = tmp_path / "configured.ttf"
    if content is not None:
        path.write_bytes(content)

    with pytest.raises(LicenceFontMissing, match="APPROVAL_LICENCE_FONT_PATH"):
        render_licence_pdf(licence, VERIFY_URL, path)


def test_configured_font_without_chinese_glyphs_is_reported(licence: SignedLicence) -> None:
    latin_only = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not latin_only.is_file():
        pytest.skip("DejaVuSans is not installed")

    with pytest.raises(LicenceFontMissing, match="no glyph"):
        render_licence_pdf(licence, VERIFY_URL, latin_only)
