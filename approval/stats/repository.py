"""The statistics' SQL: aggregates over the columns the database computes for them.

The queries on applications walk one of the two statistics indexes in its own order: no
application row, no stored answer and no sort. The exception, applications stored before due
dates were, is asked only when there are some.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.engine import Connection

from approval.database import applications
from approval.feedback.tables import ratings

_a = applications.c


@dataclass(frozen=True, slots=True)
class Tally:
    """Applications alike in first decision, outcome, item, channel and timeliness."""

    first_decision: str | None
    outcome: str | None
    item_code: str | None
    channel: str
    on_time: bool | None  # None: not completed, or no due date stored
    count: int
    completed: int


_TALLY_KEYS = (_a.first_decision, _a.outcome, _a.item_code, _a.channel, _a.on_time)
_TALLIES = select(*_TALLY_KEYS, func.count(), func.count(_a.completed_in_us)).group_by(*_TALLY_KEYS)


def tallies(conn: Connection) -> list[Tally]:
    return [Tally(*row) for row in conn.execute(_TALLIES)]


def undated_completions(conn: Connection) -> list[tuple[str | None, dt.date, dt.date, int]]:
    """Completed applications stored without a due date: item, day received, day decided."""
    received, decided = _china_day(conn, _a.created_at), _china_day(conn, _a.decided_at)
    query = (
        select(_a.item_code, received, decided, func.count())
        .where(_a.completed_in_us.is_not(None), _a.due_date.is_(None))
        .group_by(_a.item_code, received, decided)
    )
    return [
        (item, _as_date(day_received), _as_date(day_decided), n)
        for item, day_received, day_decided, n in conn.execute(query)
    ]


@dataclass(frozen=True, slots=True)
class Times:
    longest_us: int
    above_us: list[int]  # how many took longer than each bound
    ranked_us: list[int]  # the value at each rank asked for


def completion_times(
    conn: Connection,
    item_codes: Sequence[str | None],
    channel: str,
    count: int,
    bounds_us: Sequence[int],
    ranks: Sequence[int],
) -> Times:
    """Order statistics of the completion times of one item (its codes) on one channel.

    ``count`` is how many were completed; each rank is read from whichever end of the index is
    nearer, and each bound counts the (few) slower ones, so a group costs a fraction of a walk.
    """
    codes = [c for c in item_codes if c is not None]
    descending = tuple(rank > (count - 1) // 2 for rank in ranks)
    query = _times_query(len(codes), None in item_codes, tuple(bounds_us), descending)
    parameters: dict[str, object] = {"channel": channel}
    parameters |= {f"code_{i}": code for i, code in enumerate(codes)}
    parameters |= {
        f"offset_{i}": count - 1 - rank if down else rank
        for i, (rank, down) in enumerate(zip(ranks, descending, strict=True))
    }
    row = conn.execute(query, parameters).one()
    return Times(row[0], list(row[1 : 1 + len(bounds_us)]), list(row[1 + len(bounds_us) :]))


@cache
def _times_query(
    codes: int, with_none: bool, bounds_us: tuple[int, ...], descending: tuple[bool, ...]
) -> Select[Any]:
    """One statement per shape, built once (building it costs more than running it)."""
    us = _a.completed_in_us
    # one stored code (the usual case) is an equality, which walks the index in order
    same_item = (
        _a.item_code == bindparam("code_0")
        if codes == 1
        else _a.item_code.in_([bindparam(f"code_{i}") for i in range(codes)])
    )
    if with_none:
        same_item = or_(same_item, _a.item_code.is_(None))
    group = and_(same_item, _a.channel == bindparam("channel"), us.is_not(None))
    ranked = (
        select(us)
        .where(group)
        .order_by(us.desc() if down else us.asc())
        .limit(1)
        .offset(bindparam(f"offset_{i}", type_=Integer))
        .scalar_subquery()
        for i, down in enumerate(descending)
    )
    return select(
        select(us).where(group).order_by(us.desc()).limit(1).scalar_subquery(),
        *(select(func.count()).where(group, us > bound).scalar_subquery() for bound in bounds_us),
        *ranked,
    )


@dataclass(frozen=True, slots=True)
class Ratings:
    count: int
    satisfied: int  # 4 or 5
    total: int


_SCORE = ratings.c.rating
_RATINGS = select(
    func.count(),
    func.coalesce(func.sum(case((_SCORE >= 4, 1), else_=0)), 0),
    func.coalesce(func.sum(_SCORE), 0),
).select_from(ratings)


def rating_totals(conn: Connection) -> Ratings:
    return Ratings(*conn.execute(_RATINGS).one())


def _china_day(conn: Connection, column: ColumnElement[dt.datetime]) -> ColumnElement[str]:
    if conn.dialect.name == "sqlite":  # SQLite keeps the clock's local (China) time as text
        return func.substr(column, 1, 10)
    return func.date(func.timezone(literal_column("INTERVAL '8 hours'"), column))


def _as_date(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
