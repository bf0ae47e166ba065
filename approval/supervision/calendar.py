"""Calendar-month arithmetic for supervision deadlines (working days: approval.calendar)."""

from __future__ import annotations

import calendar
import datetime as dt


def add_months(start: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the month's last day if it has no such day."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def add_years(start: dt.date, years: int) -> dt.date:
    return add_months(start, 12 * years)
