"""Working days, with weekends, public holidays and adjusted working weekends."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from approval.calendar import WorkingCalendar
from approval.settings import PROJECT_ROOT

CALENDAR = WorkingCalendar.load(PROJECT_ROOT / "rules" / "calendar" / "holidays.yaml")


def test_three_working_days_skip_the_weekend() -> None:
    thursday = dt.date(2026, 11, 26)
    assert CALENDAR.add_working_days(thursday, 3) == dt.date(2026, 12, 1)


def test_national_day_week_is_skipped_and_the_adjusted_saturday_counts() -> None:
    assert CALENDAR.add_working_days(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)
    assert CALENDAR.is_working_day(dt.date(2026, 10, 10))  # a Saturday worked in lieu
    assert not CALENDAR.is_working_day(dt.date(2026, 10, 1))


def test_zero_days_is_the_same_day() -> None:
    assert CALENDAR.add_working_days(dt.date(2026, 11, 28), 0) == dt.date(2026, 11, 28)


@given(
    start=st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2026, 12, 31)),
    days=st.integers(min_value=0, max_value=40),
)
def test_adding_then_counting_gives_the_days_back(start: dt.date, days: int) -> None:
    due = CALENDAR.add_working_days(start, days)
    assert CALENDAR.working_days_between(start, due) == days
    assert days == 0 or CALENDAR.is_working_day(due)
