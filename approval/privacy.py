"""Keeping personal data out of logs."""

from __future__ import annotations

import re

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def redact(text: str) -> str:
    """Mask resident ID numbers and mobile numbers wherever they appear in the text."""
    return _MOBILE.sub(r"\1****\2", _ID_NUMBER.sub(r"\1********\2", text))
