"""The city's registering authorities: jurisdiction follows the premises (细则 Art.10)."""

from __future__ import annotations

CITY_NAME = "泰州市"

AUTHORITIES: dict[str, str] = {
    "321202": "泰州市海陵区市场监督管理局",
    "321203": "泰州市高港区市场监督管理局",
    "321204": "泰州市姜堰区市场监督管理局",
    "321281": "兴化市市场监督管理局",
    "321282": "靖江市市场监督管理局",
    "321283": "泰兴市市场监督管理局",
}


def authority_for(district_code: str) -> str | None:
    """The authority code registering premises in this district, or None outside the city."""
    return district_code if district_code in AUTHORITIES else None
