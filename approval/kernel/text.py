"""Free text from applicants (names, addresses): printable characters only, in NFC."""

from __future__ import annotations

import unicodedata

# Hangul and half-width fillers render as nothing; braille blank likewise
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"})


def _variation_selector(char: str) -> bool:
    point = ord(char)
    return 0xFE00 <= point <= 0xFE0F or 0xE0100 <= point <= 0xE01EF or 0x180B <= point <= 0x180F


def clean_text(value: str) -> str:
    """The text in NFC; ValueError (zh-CN) for control, format, private-use, unassigned,
    filler or variation-selector characters, which let two spellings look the same."""
    for char in value:
        if (
            unicodedata.category(char) in _REFUSED_CATEGORIES
            or char in _FILLERS
            or _variation_selector(char)
        ):
            raise ValueError(f"不能包含控制字符、格式字符或不可见字符（U+{ord(char):04X}）")
    return unicodedata.normalize("NFC", value)
