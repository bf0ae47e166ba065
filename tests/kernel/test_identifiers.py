"""Identifier parsers: full-width folds to ASCII, every other non-ASCII character is refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from approval.kernel.identifiers import (
    IdentifierInvalid,
    parse_credit_code,
    parse_district_code,
    parse_document_number,
    parse_mobile,
    parse_property_certificate,
    parse_resident_id,
)
from approval.kernel.text import clean_text

ID = "321085199309045582"
PARSERS = [
    parse_document_number,
    parse_resident_id,
    parse_district_code,
    parse_credit_code,
    parse_property_certificate,
    parse_mobile,
]


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def test_full_width_becomes_ascii() -> None:
    assert parse_resident_id(_full_width(ID)) == ID
    assert parse_resident_id(ID[:17] + "x") == ID[:17] + "X"
    assert parse_mobile(_full_width("13805261234")) == "13805261234"
    assert parse_district_code(_full_width("321204")) == "321204"
    certificate = "苏（2019）泰州市姜堰区不动产权第００２８７６４号"
    assert parse_property_certificate(certificate) == "苏(2019)泰州市姜堰区不动产权第0028764号"


@pytest.mark.parametrize(
    "lookalike",
    [
        "\u0663",  # ARABIC-INDIC DIGIT THREE
        "\u06f3",  # EXTENDED ARABIC-INDIC DIGIT THREE
        "\u0969",  # DEVANAGARI DIGIT THREE
        "\u00b3",  # SUPERSCRIPT THREE
        "\u2462",  # CIRCLED DIGIT THREE
        "\u2083",  # SUBSCRIPT THREE
        "\U0001d7d1",  # MATHEMATICAL BOLD DIGIT THREE
        "\u2153",  # VULGAR FRACTION ONE THIRD
        "\u3023",  # HANGZHOU NUMERAL THREE
    ],
)
def test_digits_of_other_scripts_are_refused(lookalike: str) -> None:
    with pytest.raises(IdentifierInvalid) as caught:
        parse_resident_id(lookalike + ID[1:])
    assert caught.value.code == "identifier_characters"
    assert "证件号码" in caught.value.message
    with pytest.raises(IdentifierInvalid):
        parse_mobile("1380526123" + lookalike)
    with pytest.raises(IdentifierInvalid):
        parse_property_certificate("苏(2019)泰州市不动产权第002876" + lookalike + "号")


@pytest.mark.parametrize("parse", PARSERS)
@given(raw=st.text(max_size=40))
def test_any_string_gives_ascii_or_a_typed_refusal(parse: Callable[[str], str], raw: str) -> None:
    try:
        value = parse(raw)
    except IdentifierInvalid as exc:
        refusal = exc.message
        assert refusal
        return
    if parse is parse_property_certificate:
        assert all(c.isascii() or "\u3400" <= c <= "\ufaff" for c in value)
    else:
        assert value.isascii()
        assert value == value.strip()
    assert parse(value) == value  # canonical: parsing again changes nothing


@given(body=st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_resident_ids_round_trip(body: str) -> None:
    number = body + ric.calc_check_digit(body + "0")
    assert parse_resident_id(number) == number


def test_credit_codes_are_checked() -> None:
    code = "92321204MA0000001" + uscc.calc_check_digit("92321204MA0000001")
    assert parse_credit_code(_full_width(code.lower())) == code
    with pytest.raises(IdentifierInvalid):
        parse_credit_code(code[:-1] + ("0" if code[-1] != "0" else "1"))


@pytest.mark.parametrize(
    "hidden",
    [
        "\u200b",
        "\u2060",
        "\ufeff",
        "\u00ad",
        "\u3164",
        "\u115f",
        "\uffa0",
        "\ufe0f",
        "\U000e0041",
        "\U000e0100",
        "\ue000",
        "\u0378",
        "\u2028",
        "\x07",
    ],
)
def test_names_refuse_invisible_characters(hidden: str) -> None:
    with pytest.raises(ValueError, match="不可见字符"):
        clean_text(f"周{hidden}兵")
    assert clean_text("周兵") == "周兵"
