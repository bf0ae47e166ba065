"""Tables (SQLAlchemy Core) and the database handle.

Repositories write SQL with Core on one connection per transaction: on SQLite the whole write
happens as one short synchronous block, which is what keeps the submit path fast.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Computed,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    create_engine,
    event,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnElement

from approval.kernel.status import ApplicationStatus, Outcome

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TS = DateTime(timezone=True)


class PerDatabase(ColumnElement[Any]):
    """SQL whose text differs by database: the expression of a generated column."""

    inherit_cache = False

    def __init__(self, sqlite: str, postgresql: str) -> None:
        self.sql = {"sqlite": sqlite, "postgresql": postgresql}


@compiles(PerDatabase)
def _per_database(element: PerDatabase, compiler: SQLCompiler, **_kw: Any) -> str:
    return element.sql[compiler.dialect.name]


# 办结 (approval.kernel.status.is_completed), as SQL; the statistics read these columns, which
# the database keeps current on every write (migration e5b7d9stat01)
_S = ApplicationStatus
_COMPLETED = (
    f"status IN ('{_S.ISSUED}', '{_S.DECIDED}', '{_S.REVOKED}')"
    f" AND coalesce(outcome, '') <> '{Outcome.MANUAL_REVIEW}' AND decided_at IS NOT NULL"
)
FIRST_DECISION = PerDatabase(
    sqlite="json_extract(response, '$.decision')", postgresql="response ->> 'decision'"
)
COMPLETED_IN_US = PerDatabase(
    sqlite=f"CASE WHEN {_COMPLETED} THEN max(0,"
    " (strftime('%s', substr(decided_at, 1, 19)) - strftime('%s', substr(created_at, 1, 19)))"
    " * 1000000 + CAST(substr(decided_at, 21, 6) AS INTEGER)"
    " - CAST(substr(created_at, 21, 6) AS INTEGER)) END",
    postgresql=f"CASE WHEN {_COMPLETED} THEN greatest(0,"
    " CAST(EXTRACT(EPOCH FROM decided_at - created_at) * 1000000 AS BIGINT)) END",
)
# due dates are dates in China (the service clock's zone); SQLite keeps its local time as text
ON_TIME = PerDatabase(
    sqlite=f"CASE WHEN {_COMPLETED} AND due_date IS NOT NULL"
    " THEN substr(decided_at, 1, 10) <= due_date END",
    postgresql=f"CASE WHEN {_COMPLETED} AND due_date IS NOT NULL"
    " THEN date(timezone(INTERVAL '8 hours', decided_at)) <= due_date END",
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("subject", String(32), nullable=True),
    Column("label", String(100), nullable=True),
    Column("created_at", TS, nullable=False),
    Column("revoked_at", TS, nullable=True),
    Column("revoked_by", String(40), nullable=True),  # who revoked it (migration e5a7c9keys01)
    # terminal and window keys: the hall they stand in (migration d4f6b8cata01)
    Column("hall_code", String(32), nullable=True),
    # supervisor keys: the supervising department (migration c3e5a7supv01)
    Column("department", String(16), nullable=True),
)

applications = Table(
    "applications",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("key_id", String(32), ForeignKey("api_keys.id"), nullable=False),
    Column("idempotency_key", String(128), nullable=True),
    Column("request_hash", String(64), nullable=False),
    Column("status", String(24), nullable=False),
    Column("operator_id_number", String(32), nullable=False),
    Column("authority_code", String(6), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("facts", JSON, nullable=True),
    Column("ruleset_version", String(64), nullable=True),
    Column("outcome", String(32), nullable=True),
    Column("reasons", JSON, nullable=False),
    Column("conditions", JSON, nullable=False),
    Column("decided_at", TS, nullable=True),
    Column("response", JSON, nullable=True),
    # channels, halls, bundles and due dates (migration d4f6b8cata01)
    Column("item_code", String(32), nullable=True),
    Column("hall_code", String(32), nullable=True),
    Column("due_date", Date, nullable=True),
    Column("bundle_id", String(32), nullable=True),
    # how many of its audit chain's first records are its opening timeline events, stored only
    # there; NULL on rows stored before, whose events are all rows of application_events, and
    # whose answer kept its timeline in ``response`` (migration a1c3e5tmln01)
    Column("opening_records", Integer, nullable=True),
    # computed by the database for the statistics (migration e5b7d9stat01): the decision first
    # answered, microseconds from receipt to decision once completed (办结), decided by the due date
    Column("first_decision", String(32), Computed(FIRST_DECISION)),
    Column("completed_in_us", BigInteger, Computed(COMPLETED_IN_US)),
    Column("on_time", Boolean, Computed(ON_TIME)),
    UniqueConstraint("key_id", "idempotency_key", name="uq_applications_idempotency"),
    Index("ix_applications_operator", "operator_id_number", "created_at"),
    Index("ix_applications_status", "status"),
    # the statistics read these two indexes only, in their order: no table rows, no sort
    Index(
        "ix_applications_stats_totals",
        "first_decision",
        "outcome",
        "item_code",
        "channel",
        "on_time",
        "completed_in_us",
    ),
    Index("ix_applications_stats_times", "item_code", "channel", "completed_in_us"),
)

registry_answers = Table(
    "registry_answers",
    metadata,
    Column("application_id", String(32), ForeignKey("applications.id"), primary_key=True),
    Column("registry", String(16), primary_key=True),
    Column("available", Boolean, nullable=False),
    Column("answer", JSON, nullable=True),
    Column("detail", String(200), nullable=True),
    Column("latency_ms", Integer, nullable=False),
    Column("fetched_at", TS, nullable=False),
)

application_events = Table(
    "application_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("application_id", String(32), ForeignKey("applications.id"), nullable=False),
    Column("at", TS, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("detail", JSON, nullable=False),
    Index("ix_application_events_application", "application_id", "id"),
)

licences = Table(
    "licences",
    metadata,
    Column("credit_code", String(18), primary_key=True),
    Column(
        "application_id", String(32), ForeignKey("applications.id"), nullable=False, unique=True
    ),
    Column("licence_id", String(32), nullable=False, unique=True),
    Column("issued_on", Date, nullable=False),
    Column("document", JSON, nullable=False),
    Column("signature", Text, nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", TS, nullable=False),
    # automatic | manual: who decided it, recorded once (migration f6a8c0licr01)
    Column("route", String(16), nullable=False, server_default="automatic"),
)

credit_code_counters = Table(
    "credit_code_counters",
    metadata,
    Column("authority_code", String(6), primary_key=True),
    Column("next_serial", Integer, nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("aggregate_id", String(32), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("delivered_at", TS, nullable=True),
    Index("ix_outbox_pending", "delivered_at", "id"),
)


class RowWriter:
    """Inserts rows into one table straight through the driver's cursor.

    The SQL is compiled once from the table for the engine's dialect, and values pass through
    the columns' own bind processors (JSON, dates), so rows read back through SQLAlchemy
    exactly as if SQLAlchemy had written them. It skips SQLAlchemy's per-statement execution
    machinery, which cost more than the writes themselves on the submit path.
    """

    def __init__(self, table: Table, dialect: Dialect) -> None:
        columns = [
            c
            for c in table.columns
            if not (c.primary_key and c.autoincrement is True) and c.computed is None
        ]
        compiled = (
            insert(table)
            .values({c.key: bindparam(c.key) for c in columns})
            .compile(dialect=dialect)
        )
        self.sql = str(compiled)
        self._keys = list(compiled.positiontup or ()) if compiled.positional else None
        processors = {c.key: c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns}
        self._processors = {key: fn for key, fn in processors.items() if fn is not None}
        self._columns = [c.key for c in columns]
        self._driver_error: type[Exception] = dialect.loaded_dbapi.Error

    def _parameters(self, row: dict[str, Any]) -> Any:
        values = {key: row.get(key) for key in self._columns}
        for key, process in self._processors.items():
            values[key] = process(values[key])
        return tuple(values[key] for key in self._keys) if self._keys is not None else values

    def insert(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        unknown = {key for row in rows for key in row} - set(self._columns)
        if unknown:
            raise KeyError(f"not columns of this table: {sorted(unknown)}")
        parameters = [self._parameters(row) for row in rows]
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(self.sql, parameters)
        except self._driver_error as exc:
            # the same exception types SQLAlchemy raises (IntegrityError for a duplicate key…)
            raise DBAPIError.instance(
                self.sql, parameters, exc, self._driver_error, hide_parameters=True
            ) from exc
        finally:
            cursor.close()


@lru_cache(maxsize=64)
def row_writer(table: Table, dialect: Dialect) -> RowWriter:
    return RowWriter(table, dialect)


def _json_text(value: Any) -> str:
    # orjson: several times faster than json on the submit path's JSON columns
    return orjson.dumps(value).decode()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    # checkpoints run from a background task (Database.checkpoint), not inside a request's commit
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def claim_leases(
    conn: Connection,
    key: Column[Any],
    *,
    due: ColumnElement[bool],
    order_by: ColumnElement[Any],
    now: dt.datetime,
    lease_until: dt.datetime,
    token: str,
    limit: int,
    **values: Any,
) -> list[Any]:
    """Lease up to ``limit`` due rows of ``key``'s queue table to ``token``; their keys.

    The table has ``claim_token`` and ``claimed_until``. PostgreSQL: the rows are locked with
    SKIP LOCKED, so concurrent workers take different ones. SQLite (one writer at a time): the
    conditional UPDATE re-checks the lease while it holds the write lock. Either way a row is
    held by one worker until its lease ends. ``values`` are set on the leased rows too.
    """
    table = key.table
    free = or_(table.c.claimed_until.is_(None), table.c.claimed_until < now)
    chosen = (
        select(key)
        .where(due, free)
        .order_by(order_by)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    keys = list(conn.execute(chosen).scalars())
    if keys:
        conn.execute(
            update(table)
            .where(key.in_(keys), due, free)
            .values(claim_token=token, claimed_until=lease_until, **values)
        )
    return keys


_AFTER_COMMIT = "miaopi.after_commit"


def after_commit(conn: Connection, callback: Callable[[], object]) -> None:
    """Run ``callback`` once this transaction has committed (never if it rolls back)."""
    conn.info[_AFTER_COMMIT].append(callback)


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        options: dict[str, Any] = {
            "json_serializer": _json_text,
            "json_deserializer": orjson.loads,
            # errors must not quote bound values: they are applicants' ID numbers, mobiles…
            "hide_parameters": True,
        }
        if self.is_sqlite:
            self.engine: Engine = create_engine(url, pool_size=4, max_overflow=4, **options)
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(
                url, pool_size=10, max_overflow=10, pool_pre_ping=True, **options
            )

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One unit of work: committed when the block ends, rolled back if it raises; then
        what was registered with ``after_commit`` runs, once the work is durable."""
        pending: list[Callable[[], object]] = []
        with self.engine.begin() as conn:
            conn.info[_AFTER_COMMIT] = pending
            try:
                yield conn
            finally:
                conn.info.pop(_AFTER_COMMIT, None)
        for callback in pending:
            callback()

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads only: no transaction to commit."""
        with self.engine.connect() as conn:
            yield conn

    def checkpoint(self) -> None:
        """Fold the SQLite write-ahead log back into the database file (no-op elsewhere)."""
        if self.is_sqlite:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def dispose(self) -> None:
        self.engine.dispose()
