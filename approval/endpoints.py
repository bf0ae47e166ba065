"""What every feature's endpoints share: the request's one unit of work, and adapters by name.

The composition root (``approval.context``) builds the adapters and ``api.py`` hands them to the
app; endpoints never see the whole set. An endpoint declares each adapter it uses with its type
(``Annotated[WorkingCalendar, provided("calendar", WorkingCalendar)]``), checked when the app
starts and on every use. Adapters of a feature that has endpoints of its own are declared there
(``CatalogDep`` in ``approval.catalog.endpoints``): this module imports no such feature, so no
import loop runs through it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy.engine import Connection

from approval.applications.lifecycle import Lifecycle
from approval.calendar import WorkingCalendar
from approval.clock import Clock
from approval.database import Database
from approval.settings import Settings
from approval.signing import LicenceSigner

_T = TypeVar("_T")

# every adapter some endpoint asks for, by name: the app refuses to start without one of them
DECLARED: dict[str, type] = {}


class AdapterMissing(RuntimeError):
    pass


def adapters_of(request: Request) -> object:
    return request.app.state.context


def adapter_of(app: Any, name: str, kind: type[_T]) -> _T:
    """One adapter of ``app``, for middleware that runs before any dependency."""
    value = getattr(app.state.context, name, None)
    if not isinstance(value, kind):
        raise AdapterMissing(f"adapter {name!r} is a {type(value).__name__}")
    return value


def check_adapters(adapters: object) -> None:
    """Refuse to serve if an endpoint's adapter is missing or of the wrong type."""
    for name, kind in DECLARED.items():
        if not isinstance(getattr(adapters, name, None), kind):
            raise AdapterMissing(f"adapter {name!r} ({kind.__name__}) is not provided")


def provided(name: str, kind: type) -> Any:
    """``Annotated[Kind, provided("name", Kind)]``: the adapter ``name`` of the running app,
    read on each use (the ruleset is swapped live) and checked to be a ``kind``."""
    DECLARED[name] = kind

    # async: a lookup on the event loop, not a hop to the thread pool and back
    async def get(request: Request) -> object:
        value = getattr(adapters_of(request), name, None)
        if not isinstance(value, kind):
            raise AdapterMissing(f"adapter {name!r} is a {type(value).__name__}")
        return value

    get.__name__ = f"get_{name}"
    return Depends(get)


def unit_of_work(request: Request) -> Iterator[Connection]:
    """The request's one transaction: committed after the endpoint returns and before the
    answer is sent, rolled back if anything raised. A sync dependency, so FastAPI runs both
    ends on a worker thread and the database is never touched on the event loop."""
    db = getattr(adapters_of(request), "db", None)
    if not isinstance(db, Database):
        raise AdapterMissing("adapter 'db' is not a Database")
    with db.transaction() as conn:
        yield conn


DECLARED["db"] = Database

ConnDep = Annotated[Connection, Depends(unit_of_work, scope="function")]
ClockDep = Annotated[Clock, provided("clock", Clock)]
SettingsDep = Annotated[Settings, provided("settings", Settings)]
SignerDep = Annotated[LicenceSigner, provided("signer", LicenceSigner)]
DatabaseDep = Annotated[Database, provided("db", Database)]
CalendarDep = Annotated[WorkingCalendar, provided("calendar", WorkingCalendar)]
LifecycleDep = Annotated[Lifecycle, provided("lifecycle", Lifecycle)]
