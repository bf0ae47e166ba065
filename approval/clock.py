"""The service's one clock: ages, bans, deadlines and licence dates all read it."""

from __future__ import annotations

import datetime as dt
from typing import Protocol, runtime_checkable

CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


@runtime_checkable
class Clock(Protocol):
    def now(self) -> dt.datetime: ...

    def today(self) -> dt.date: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(CHINA_TZ)

    def today(self) -> dt.date:
        return self.now().date()


class FixedDateClock:
    """Real time of day, but on a fixed calendar date (tests, demos, replays)."""

    def __init__(self, today: dt.date) -> None:
        self._today = today

    def now(self) -> dt.datetime:
        real = dt.datetime.now(CHINA_TZ)
        return dt.datetime.combine(self._today, real.timetz())

    def today(self) -> dt.date:
        return self._today


def clock_for(fixed_today: dt.date | None) -> Clock:
    return FixedDateClock(fixed_today) if fixed_today else SystemClock()
