"""Every issued, revoked and restored registration goes through the filing outbox to the market
registry: written with the licence event, filed by the worker, retried, never lost."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from approval.applications.lifecycle import LicenceIssued
from approval.database import applications
from approval.filings import repository
from approval.filings.service import filing_of
from approval.filings.tables import registry_filings
from connectors.base import (
    FilingReceipt,
    MarketQuery,
    QueryPurpose,
    RegistrationFiling,
    RegistrationStatus,
    RegistryUnavailable,
)
from connectors.registries import MARKET
from connectors.stub import StubRegistry
from tests.conftest import TODAY, submit
from tests.filings.support import context, filings, step, worker
from tests.fixtures import application_for, personas
from tests.supervision.support import auth, install_clock

NAME = "泰州市姜堰区瑞澜五金店"  # at clean_owner's premises' authority, 321204


def _issued(client: TestClient, keys: dict[str, str], name: str = NAME) -> dict[str, Any]:
    created = submit(client, keys["terminal"], application_for("clean_owner", name=name))
    body: dict[str, Any] = created.json()
    assert body["status"] == "issued", body
    return body


def _stub(client: TestClient) -> StubRegistry[Any, Any]:
    filer = context(client).filer
    assert isinstance(filer, StubRegistry)
    return filer


def _count(client: TestClient) -> int:
    with context(client).db.reading() as conn:
        return int(conn.execute(select(func.count()).select_from(registry_filings)).scalar_one())


def _codes(body: dict[str, Any]) -> list[str]:
    return [r["code"] for r in body["reasons"]]


def test_an_issued_registration_is_written_to_the_outbox_with_its_particulars(
    client: TestClient, keys: dict[str, str]
) -> None:
    created = _issued(client, keys)
    [row] = filings(client, created["id"])
    owner = personas()["clean_owner"]
    assert (row.credit_code, row.version, row.event, row.status) == (
        created["licence"]["credit_code"],
        1,
        "issued",
        "current",
    )
    assert (row.name, row.operator_id_number, row.operator_name, row.authority_code) == (
        NAME,
        owner["id_number"],
        owner["name"],
        "321204",
    )
    assert row.registered_on == TODAY
    assert row.filed_at is None
    assert row.attempts == 0
    # what it says to the registry, with the purpose and legal basis of filings
    filing = filing_of(row)
    assert filing.purpose.case_id == created["id"]
    assert MARKET.filing is not None
    assert filing.purpose.legal_basis == MARKET.filing.legal_basis


def test_a_decision_without_a_licence_files_nothing(
    client: TestClient, keys: dict[str, str]
) -> None:
    created = submit(client, keys["terminal"], application_for("banned")).json()
    assert created["decision"] == "reject"
    assert filings(client, created["id"]) == []
    assert _count(client) == 0


def test_a_request_that_fails_writes_no_filing(client: TestClient, keys: dict[str, str]) -> None:
    def fail(_conn: Connection, _event: Any) -> None:
        raise RuntimeError("a later step of the same transaction fails")

    context(client).lifecycle.subscribe(LicenceIssued, fail)
    response = submit(client, keys["terminal"], application_for("clean_owner", name=NAME))
    assert response.status_code == 500
    assert _count(client) == 0
    with context(client).db.reading() as conn:
        assert conn.execute(select(func.count()).select_from(applications)).scalar_one() == 0


def test_the_worker_files_it_and_the_registry_then_holds_the_name(
    client: TestClient, keys: dict[str, str]
) -> None:
    created = _issued(client, keys)
    code = created["licence"]["credit_code"]
    report = step(client, worker(client))
    assert (report.claimed, report.filed, report.failed) == (1, 1, 0)
    [row] = filings(client, created["id"])
    assert row.filed_at is not None
    assert row.outcome == "recorded"
    assert row.receipt["version"] == 1
    assert row.receipt["credit_code"] == code
    assert row.last_error is None
    record = _stub(client).filings.get(code)
    assert record is not None
    assert (record.filing.name, record.filing.status) == (NAME, RegistrationStatus.CURRENT)
    assert step(client, worker(client)).claimed == 0  # nothing left to file
    # the registry answers with it: the name and its organisation-form variants are taken
    for variant in (NAME, "泰州市姜堰区瑞澜五金商行", "瑞澜五金经营部"):
        again = submit(client, keys["terminal"], application_for("clean_owner", name=variant))
        assert again.json()["decision"] == "reject", variant
        assert "NAME_IDENTICAL" in _codes(again.json()), variant


def test_the_filing_is_in_the_citizen_s_data_access_log(
    client: TestClient, keys: dict[str, str]
) -> None:
    created = _issued(client, keys)
    step(client, worker(client))
    log = client.get("/v1/me/data-access", headers=auth(keys["mobile"])).json()["items"]
    filed = [x for x in log if x["operation"] == "file"]
    assert [(x["registry"], x["application_id"], x["result"]) for x in filed] == [
        ("market", created["id"], "已答复")
    ]
    assert MARKET.filing is not None
    assert filed[0]["legal_basis"] == MARKET.filing.legal_basis


def test_a_registry_that_is_down_delays_the_filing_and_loses_nothing(
    client: TestClient, keys: dict[str, str]
) -> None:
    created = _issued(client, keys)
    stub, filer = _stub(client), worker(client)
    stub.available = False
    for attempt in (1, 2, 3):
        report = step(client, filer, after_seconds=3600 * attempt)
        assert (report.claimed, report.filed, report.failed) == (1, 0, 1)
        [row] = filings(client, created["id"])
        assert row.filed_at is None
        assert row.attempts == attempt
        assert "not available" in row.last_error
    assert step(client, filer, after_seconds=3 * 3600).claimed == 0  # waiting for its time
    assert len(stub.filings) == 0
    stub.available = True
    report = step(client, filer, after_seconds=4 * 3600)
    assert (report.filed, report.failed) == (1, 0)
    [row] = filings(client, created["id"])
    assert row.filed_at is not None
    assert len(stub.filings) == 1


def test_the_backoff_doubles_and_never_gives_up(client: TestClient) -> None:
    retry = worker(client).retry
    ceilings = [retry.delay(n, _Fixed(1.0)) for n in (1, 2, 3, 20, 1000)]
    first, maximum = retry.first_seconds, retry.max_seconds
    assert ceilings == [first, 2 * first, 4 * first, maximum, maximum]
    assert [retry.delay(n, _Fixed(0.0)) for n in (1, 2)] == [first / 2, first]


class _Fixed:
    """A random source that always draws the same end of the range."""

    def __init__(self, share: float) -> None:
        self.share = share

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self.share


@dataclasses.dataclass
class _ReceiptLost:
    """A registry that records the filing, then the answer is lost (once)."""

    inner: StubRegistry[Any, Any]
    lost: int = 1

    async def file(self, filing: RegistrationFiling) -> FilingReceipt:
        receipt = await self.inner.file(filing)
        if self.lost:
            self.lost -= 1
            raise RegistryUnavailable(MARKET.registry, "connection reset after the write")
        return receipt


@dataclasses.dataclass
class _Watching:
    """The registry, with the filings it was sent in the order they came."""

    inner: StubRegistry[Any, Any]
    seen: list[tuple[int, str]] = dataclasses.field(default_factory=list)

    async def file(self, filing: RegistrationFiling) -> FilingReceipt:
        self.seen.append((filing.version, filing.status.value))
        return await self.inner.file(filing)


def test_a_filing_whose_receipt_was_lost_is_sent_again_and_recorded_once(
    client: TestClient, keys: dict[str, str]
) -> None:
    created = _issued(client, keys)
    stub = _stub(client)
    filer = dataclasses.replace(worker(client), client=_ReceiptLost(stub))
    assert step(client, filer).failed == 1
    recorded = stub.filings.get(created["licence"]["credit_code"])
    assert recorded is not None  # the registry has it; we did not hear so
    assert step(client, filer, after_seconds=3600).filed == 1
    [row] = filings(client, created["id"])
    assert row.receipt == recorded.receipt().model_dump(mode="json")  # the same answer
    assert len(stub.filings) == 1


def test_a_worker_that_died_holding_filings_is_taken_over_after_its_lease(
    client: TestClient, keys: dict[str, str]
) -> None:
    _issued(client, keys)
    ctx, filer = context(client), worker(client)
    now = ctx.clock.now()
    with ctx.db.transaction() as conn:
        held = repository.claim_due(conn, now, now + filer.lease, "dead-worker", 10)
    assert len(held) == 1
    assert step(client, filer).claimed == 0  # still leased
    lease = filer.lease.total_seconds()
    assert step(client, filer, after_seconds=lease + 1).filed == 1
    assert len(_stub(client).filings) == 1


# -- revocation and restoration ---------------------------------------------------------------


def _objection(client: TestClient, keys: dict[str, str], credit_code: str) -> str:
    """An impersonation objection taken to its decision stage; its path."""
    response = client.post(
        "/v1/objections",
        headers=auth(keys["mobile"]),  # bound to clean_owner
        json={"credit_code": credit_code, "grounds": "本人从未申请该登记，身份证曾遗失"},
    )
    assert response.status_code == 201, response.json()
    base = f"/v1/objections/{response.json()['id']}"
    staff = keys["staff"]
    steps = [
        ("acceptance", {"accept": True, "reason": "身份核验通过"}),
        ("investigation", {"finding": "impersonation_confirmed", "reason": "人脸比对不符"}),
        ("legal-review", {"opinion": "agree", "reason": "事实清楚"}),
    ]
    for path, body in steps:
        answered = client.post(f"{base}/{path}", headers=auth(staff), json=body)
        assert answered.status_code == 200, answered.json()
    return base


REVOKE = {
    "decision": "revoke",
    "reason": "经核查系冒用他人身份登记",
    "responsible_person": {"id_number": personas()["clean_tenant"]["id_number"]},
}


def _post(client: TestClient, key: str, path: str, body: dict[str, Any]) -> None:
    response = client.post(path, headers=auth(key), json=body)
    assert response.status_code == 200, response.json()


def _market(client: TestClient, name: str) -> Any:
    query = MarketQuery(
        purpose=QueryPurpose(case_id="t" * 32, legal_basis=MARKET.legal_basis),
        operator_id_number=personas()["clean_tenant"]["id_number"],
        authority_code="321204",
        proposed_name=name,
    )
    return client.portal.call(_stub(client).lookup, query)  # type: ignore[union-attr]


def test_revocation_and_restoration_are_filed_in_order(
    client: TestClient, keys: dict[str, str]
) -> None:
    clock = install_clock(client, TODAY)
    created = _issued(client, keys)
    code = created["licence"]["credit_code"]
    stub, filer = _stub(client), worker(client)
    watching = _Watching(stub)
    filer = dataclasses.replace(filer, client=watching)
    step(client, filer)
    objection = _objection(client, keys, code)
    clock.move(days=1)
    _post(client, keys["staff"], f"{objection}/decision", REVOKE)
    step(client, filer)
    freed = _market(client, "瑞澜五金商行")
    assert not freed.identical_name_exists
    assert (freed.recently_freed_name, freed.recently_freed_on) == (NAME, clock.today())
    clock.move(days=1)
    _post(client, keys["staff"], f"{objection}/annulment", {"reason": "复议认定撤销决定错误"})
    step(client, filer)
    rows = filings(client, created["id"])
    assert [(r.version, r.event, r.status) for r in rows] == [
        (1, "issued", "current"),
        (2, "revoked", "revoked"),
        (3, "restored", "current"),
    ]
    assert all(r.filed_at is not None and r.outcome == "recorded" for r in rows)
    assert watching.seen == [(1, "current"), (2, "revoked"), (3, "current")]
    held = _market(client, "瑞澜五金商行")
    assert held.identical_name_exists
    assert held.recently_freed_name is None


def test_states_written_while_the_registry_was_down_are_filed_in_order_later(
    client: TestClient, keys: dict[str, str]
) -> None:
    install_clock(client, TODAY)
    created = _issued(client, keys)
    code = created["licence"]["credit_code"]
    stub, filer = _stub(client), worker(client)
    _post(client, keys["staff"], f"{_objection(client, keys, code)}/decision", REVOKE)
    stub.available = False
    report = step(client, filer)
    assert (report.claimed, report.failed) == (2, 1)  # version 2 waits for version 1
    assert all(r.filed_at is None for r in filings(client, created["id"]))
    stub.available = True
    assert step(client, filer, after_seconds=3600).filed == 2
    record = stub.filings.get(code)
    assert record is not None
    assert (record.filing.version, record.filing.status) == (2, RegistrationStatus.REVOKED)


def test_a_second_revocation_of_a_revoked_registration_files_nothing_new(
    client: TestClient, keys: dict[str, str]
) -> None:
    install_clock(client, TODAY)
    created = _issued(client, keys)
    code = created["licence"]["credit_code"]
    first, second = _objection(client, keys, code), _objection(client, keys, code)
    _post(client, keys["staff"], f"{first}/decision", REVOKE)
    _post(client, keys["staff"], f"{second}/decision", REVOKE)
    assert [r.event for r in filings(client, created["id"])] == ["issued", "revoked"]
    _post(client, keys["staff"], f"{first}/annulment", {"reason": "第一项撤销决定认定错误"})
    assert [r.event for r in filings(client, created["id"])] == ["issued", "revoked"]
    _post(client, keys["staff"], f"{second}/annulment", {"reason": "第二项撤销决定亦认定错误"})
    assert [r.version for r in filings(client, created["id"])] == [1, 2, 3]


def test_an_older_state_filed_after_a_newer_one_is_acknowledged_as_superseded(
    client: TestClient, keys: dict[str, str]
) -> None:
    install_clock(client, TODAY)
    created = _issued(client, keys)
    code = created["licence"]["credit_code"]
    _post(client, keys["staff"], f"{_objection(client, keys, code)}/decision", REVOKE)
    stub, filer = _stub(client), worker(client)
    newer = filings(client, created["id"])[1]
    client.portal.call(stub.file, filing_of(newer))  # type: ignore[union-attr]  # another worker
    step(client, filer)
    outcomes = [(r.version, r.outcome) for r in filings(client, created["id"])]
    assert outcomes == [(1, "superseded"), (2, "recorded")]
    record = stub.filings.get(code)
    assert record is not None
    assert record.filing.status == RegistrationStatus.REVOKED


def test_the_outbox_never_holds_two_states_with_one_version(
    client: TestClient, keys: dict[str, str]
) -> None:
    created = _issued(client, keys)
    [row] = filings(client, created["id"])
    copy = {c: getattr(row, c) for c in row._fields if c != "id"}
    with pytest.raises(IntegrityError), context(client).db.transaction() as conn:
        repository.insert(conn, {**copy, "status": "revoked", "event": "revoked"})
    assert len(filings(client, created["id"])) == 1


def test_two_workers_file_each_registration_once(client: TestClient, keys: dict[str, str]) -> None:
    names = ("泰州市姜堰区瑞澜五金店", "泰州市姜堰区青禾小吃店", "泰州市姜堰区松石茶馆")
    created = [_issued(client, keys, name) for name in names]
    watching = _Watching(_stub(client))
    first = dataclasses.replace(worker(client), client=watching)
    second = dataclasses.replace(worker(client), client=watching)
    now = context(client).clock.now()

    async def both() -> list[Any]:
        return list(await asyncio.gather(first.run_once(now), second.run_once(now)))

    reports = client.portal.call(both)  # type: ignore[union-attr]
    assert sum(r.claimed for r in reports) == len(names)
    assert sum(r.filed for r in reports) == len(names)
    assert len(watching.seen) == len(names)  # each sent once
    for body in created:
        [row] = filings(client, body["id"])
        assert row.filed_at is not None
        assert row.attempts == 1
