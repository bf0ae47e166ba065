"""Unified social credit codes (统一社会信用代码, GB 32100-2015) for individual businesses.

Layout: ``92`` (工商 registration, 个体工商户) + the registering authority's 6-digit GB/T 2260
division code + a 9-character 主体标识码 + one MOD-31 check character.
"""

from __future__ import annotations

import re
from typing import Final

from stdnum.cn import uscc

ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
INDIVIDUAL_BUSINESS_PREFIX: Final = "92"
BODY_PREFIX: Final = "MA"
SERIAL_WIDTH: Final = 7
MAX_SERIAL: Final = len(ALPHABET) ** SERIAL_WIDTH - 1

_AUTHORITY_CODE = re.compile(r"[0-9]{6}")
_INDIVIDUAL_BUSINESS_CODE = re.compile(rf"92[0-9]{{6}}[{ALPHABET}]{{10}}")


def credit_code_for(authority_code: str, serial: int) -> str:
    """Build the credit code of the ``serial``-th individual business registered by an authority.

    The code is injective in ``(authority_code, serial)``: distinct serials from one
    authority's counter give distinct codes. ``serial`` must satisfy ``0 <= serial < 31**7``.
    """
    if not _AUTHORITY_CODE.fullmatch(authority_code):
        raise ValueError(f"authority code must be 6 digits (GB/T 2260), got {authority_code!r}")
    if isinstance(serial, bool) or not 0 <= serial <= MAX_SERIAL:
        raise ValueError(f"serial must be in 0..{MAX_SERIAL}, got {serial!r}")
    digits = []
    remaining = serial
    for _ in range(SERIAL_WIDTH):
        remaining, digit = divmod(remaining, len(ALPHABET))
        digits.append(ALPHABET[digit])
    body = BODY_PREFIX + "".join(reversed(digits))
    without_check = INDIVIDUAL_BUSINESS_PREFIX + authority_code + body
    return without_check + uscc.calc_check_digit(without_check)


def is_individual_business_code(code: str) -> bool:
    """Whether ``code`` is a valid credit code of an individual business, in canonical form.

    Canonical form means exactly 18 upper-case characters with no separators; codes that
    python-stdnum would only accept after compaction (spaces, lower case) are refused here.
    """
    return bool(_INDIVIDUAL_BUSINESS_CODE.fullmatch(code)) and uscc.is_valid(code)
