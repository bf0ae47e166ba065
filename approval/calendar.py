"""Working days (weekends and public holidays off, adjusted working weekends on: 调休), and
calendar-month arithmetic for deadlines counted in months and years."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from approval.kernel.rule_data import read_rule_data


class _CalendarFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    holidays: tuple[dt.date, ...] = ()
    working_weekends: tuple[dt.date, ...] = ()


@dataclass(frozen=True)
class WorkingCalendar:
    holidays: frozenset[dt.date] = frozenset()
    working_weekends: frozenset[dt.date] = frozenset()

    @classmethod
    def load(cls, path: Path) -> WorkingCalendar:
        parsed, _ = read_rule_data(path, _CalendarFile)
        return cls(frozenset(parsed.holidays), frozenset(parsed.working_weekends))

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.working_weekends:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The day by which ``days`` working days after ``start`` have passed (0 ⇒ same day)."""
        day = start
        remaining = days
        while remaining > 0:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            count += self.is_working_day(day)
        return count


def add_months(start: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the month's last day if it has no such day."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def add_years(start: dt.date, years: int) -> dt.date:
    return add_months(start, 12 * years)
