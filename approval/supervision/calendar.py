"""Working days: weekends and the holiday file (rules/supervision/holidays.yaml), with 调休."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()  # weekend days worked instead (调休)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: dt.date, count: int) -> dt.date:
        """The ``count``-th working day after ``start`` (the start day itself is not counted)."""
        day = start
        while count > 0:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                count -= 1
        return day


def add_months(start: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the month's last day if it has no such day."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def add_years(start: dt.date, years: int) -> dt.date:
    return add_months(start, 12 * years)


@cache
def load_calendar(rules_dir: Path) -> WorkCalendar:
    path = rules_dir / "supervision" / "holidays.yaml"
    if not path.exists():
        return WorkCalendar()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return WorkCalendar(
        holidays=frozenset(_dates(data.get("holidays"), path)),
        workdays=frozenset(_dates(data.get("workdays"), path)),
    )


def _dates(values: object, path: Path) -> list[dt.date]:
    if values is None:
        return []
    if not isinstance(values, list) or not all(isinstance(v, dt.date) for v in values):
        raise ValueError(f"{path}: holidays and workdays must be lists of dates (YYYY-MM-DD)")
    return list(values)
