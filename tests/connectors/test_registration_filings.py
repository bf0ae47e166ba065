"""Registrations filed to the market-supervision registry: the stubs record them and answer with
them, in process and over signed HTTP, idempotent by credit code and version."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from connectors import exchanges, signing
from connectors.base import (
    FilingRefused,
    MarketQuery,
    QueryPurpose,
    RegistrationFiling,
    RegistrationStatus,
    Registry,
    RegistryUnavailable,
)
from connectors.filings import CHINA_TZ, one_year_after
from connectors.http import HttpRegistry, HttpRegistryConfig, http_registry, query_body
from connectors.registries import FOOD, MARKET
from connectors.seed_world import load_world
from connectors.signing import KeyDirectory
from connectors.stub import StubRegistry
from connectors.stub_server import RunningStub, build_stub_app, start_in_thread
from tests.fixtures import personas

_T = TypeVar("_T")

TODAY = dt.date(2026, 11, 26)
AUTHORITY = "321202"
NAME = "泰州市海陵区瑞澜五金店"
CODE = "92321202MA1XYW7Q57"


def run(coro: Awaitable[_T]) -> _T:
    async def main() -> _T:
        return await coro

    return asyncio.run(main())


def _operator() -> str:
    return str(personas()["clean_owner"]["id_number"])


def filing(
    version: int = 1,
    status: RegistrationStatus = RegistrationStatus.CURRENT,
    *,
    name: str = NAME,
    code: str = CODE,
    changed_on: dt.date = TODAY,
) -> RegistrationFiling:
    return RegistrationFiling(
        purpose=MARKET.filing_purpose("a" * 32),
        credit_code=code,
        version=version,
        status=status,
        name=name,
        operator_id_number=_operator(),
        operator_name=str(personas()["clean_owner"]["name"]),
        authority_code=AUTHORITY,
        registered_on=TODAY,
        changed_at=dt.datetime.combine(changed_on, dt.time(10, 0), CHINA_TZ),
    )


def ask(name: str | None, operator: str | None = None) -> MarketQuery:
    return MarketQuery(
        purpose=QueryPurpose(case_id="b" * 32, legal_basis=MARKET.legal_basis),
        operator_id_number=operator or str(personas()["clean_tenant"]["id_number"]),
        authority_code=AUTHORITY,
        proposed_name=name,
    )


class Today:
    """The registry's calendar, moved by the test."""

    def __init__(self, day: dt.date = TODAY) -> None:
        self.day = day

    def __call__(self) -> dt.date:
        return self.day


@pytest.fixture
def today() -> Today:
    return Today()


@pytest.fixture
def stub(today: Today) -> StubRegistry[Any, Any]:
    return StubRegistry(MARKET, today=today)


class TestTheRecord:
    def test_a_filing_is_recorded_and_a_repeat_gets_the_same_receipt(
        self, stub: StubRegistry[Any, Any]
    ) -> None:
        first = run(stub.file(filing()))
        assert (first.credit_code, first.version, first.status) == (CODE, 1, "current")
        assert run(stub.file(filing())) == first
        assert len(stub.filings) == 1

    def test_an_older_state_arriving_late_does_not_overwrite_a_newer_one(
        self, stub: StubRegistry[Any, Any]
    ) -> None:
        revoked = run(stub.file(filing(2, RegistrationStatus.REVOKED)))
        late = run(stub.file(filing(1)))
        assert late == revoked  # the record's version answers: 2, revoked
        record = stub.filings.get(CODE)
        assert record is not None
        assert record.filing.status == RegistrationStatus.REVOKED

    def test_the_same_version_with_other_particulars_is_refused(
        self, stub: StubRegistry[Any, Any]
    ) -> None:
        run(stub.file(filing()))
        with pytest.raises(FilingRefused):
            run(stub.file(filing(name="泰州市海陵区别的小吃店")))
        record = stub.filings.get(CODE)
        assert record is not None
        assert record.filing.name == NAME

    def test_a_registry_that_is_down_records_nothing(self, today: Today) -> None:
        down = StubRegistry(MARKET, available=False, today=today)
        with pytest.raises(RegistryUnavailable):
            run(down.file(filing()))
        assert len(down.filings) == 0

    def test_a_filing_leaves_the_evidence_of_its_exchange(
        self, stub: StubRegistry[Any, Any]
    ) -> None:
        with exchanges.recording() as log:
            run(stub.file(filing()))
        assert [(x.operation, x.status, x.case_id) for x in log] == [("file", "ok", "a" * 32)]
        assert MARKET.filing is not None
        assert log[0].legal_basis == MARKET.filing.legal_basis

    def test_a_registry_that_takes_no_filings_refuses_them(self, today: Today) -> None:
        with pytest.raises(FilingRefused):
            run(StubRegistry(FOOD, today=today).file(filing()))


class TestLookupsAnswerWithWhatWasFiled:
    def test_a_current_registration_holds_its_name_in_every_organisation_form(
        self, stub: StubRegistry[Any, Any]
    ) -> None:
        assert not run(stub.lookup(ask(NAME))).identical_name_exists
        run(stub.file(filing()))
        for variant in (
            NAME,
            "瑞澜五金商行",
            "瑞澜五金经营部",
            "泰州市海陵区瑞澜五金行",
            "五金瑞澜店",
        ):
            facts = run(stub.lookup(ask(variant)))
            assert facts.identical_name_exists, variant
            assert facts.identical_to == NAME
            assert not facts.similar_name_exists

    def test_the_same_trade_name_in_another_industry_or_contained_is_similar(
        self, stub: StubRegistry[Any, Any]
    ) -> None:
        run(stub.file(filing()))
        for variant in ("泰州市海陵区瑞澜小吃店", "泰州市海陵区大瑞澜五金店"):
            facts = run(stub.lookup(ask(variant)))
            assert facts.similar_name_exists, variant
            assert not facts.identical_name_exists, variant
        other_order = run(stub.lookup(ask("泰州市海陵区澜瑞五金店")))
        assert not other_order.identical_name_exists
        assert not other_order.similar_name_exists

    def test_the_name_is_held_at_its_own_authority_only(self, stub: StubRegistry[Any, Any]) -> None:
        run(stub.file(filing()))
        elsewhere = ask("泰州市姜堰区瑞澜五金店").model_copy(update={"authority_code": "321204"})
        assert not run(stub.lookup(elsewhere)).identical_name_exists

    def test_the_operator_s_existing_entities_include_the_filing_with_its_status(
        self, stub: StubRegistry[Any, Any]
    ) -> None:
        before = run(stub.lookup(ask(None, _operator()))).existing_entities
        run(stub.file(filing()))
        entities = run(stub.lookup(ask(None, _operator()))).existing_entities
        assert entities[: len(before)] == before
        assert [(e.credit_code, e.name, e.status) for e in entities[len(before) :]] == [
            (CODE, NAME, "存续")
        ]
        run(stub.file(filing(2, RegistrationStatus.REVOKED)))
        entities = run(stub.lookup(ask(None, _operator()))).existing_entities
        assert [e.status for e in entities if e.credit_code == CODE] == ["撤销"]

    def test_a_revoked_registration_frees_its_name_recently_for_a_year(
        self, stub: StubRegistry[Any, Any], today: Today
    ) -> None:
        run(stub.file(filing()))
        revoked_on = dt.date(2026, 11, 20)
        run(stub.file(filing(2, RegistrationStatus.REVOKED, changed_on=revoked_on)))
        facts = run(stub.lookup(ask("瑞澜五金商行")))
        assert not facts.identical_name_exists
        assert not facts.similar_name_exists
        assert (facts.recently_freed_name, facts.recently_freed_on) == (NAME, revoked_on)
        today.day = one_year_after(revoked_on) - dt.timedelta(days=1)
        assert run(stub.lookup(ask(NAME))).recently_freed_name == NAME
        today.day = one_year_after(revoked_on)
        facts = run(stub.lookup(ask(NAME)))
        assert (facts.recently_freed_name, facts.recently_freed_on) == (None, None)

    def test_a_restored_registration_holds_its_name_again(
        self, stub: StubRegistry[Any, Any]
    ) -> None:
        run(stub.file(filing()))
        run(stub.file(filing(2, RegistrationStatus.REVOKED)))
        run(stub.file(filing(3, RegistrationStatus.CURRENT)))
        facts = run(stub.lookup(ask(NAME)))
        assert facts.identical_name_exists
        assert facts.recently_freed_name is None

    def test_one_year_after_29_february_is_28_february(self) -> None:
        assert one_year_after(dt.date(2028, 2, 29)) == dt.date(2029, 2, 28)


# -- over HTTP, against the stub server ------------------------------------------------------


@pytest.fixture
def server(tmp_path: Path, today: Today) -> Iterator[RunningStub]:
    app = build_stub_app(Registry.MARKET, KeyDirectory(tmp_path), load_world(), today=today)
    running = start_in_thread(app)
    try:
        yield running
    finally:
        running.stop()


def _http(server: RunningStub, tmp_path: Path, **config: Any) -> HttpRegistry[Any, Any]:
    settings = {"read_timeout_s": 0.3, "backoff_s": 0.01, "backoff_max_s": 0.02, **config}
    return http_registry(
        Registry.MARKET, HttpRegistryConfig(base_url=server.url, **settings), KeyDirectory(tmp_path)
    )


async def _closing(client: HttpRegistry[Any, Any], coro: Awaitable[_T]) -> _T:
    try:
        return await coro
    finally:
        await client.aclose()


class TestOverHttp:
    def test_a_signed_filing_is_recorded_and_answered_by_later_lookups(
        self, server: RunningStub, tmp_path: Path
    ) -> None:
        client = _http(server, tmp_path)

        async def exchange() -> tuple[Any, Any, Any]:
            first = await client.file(filing())
            again = await client.file(filing())
            facts = await client.lookup(ask("瑞澜五金经营部"))
            return first, again, facts

        with exchanges.recording() as log:
            first, again, facts = run(_closing(client, exchange()))
        assert first == again
        assert first.version == 1
        assert facts.identical_name_exists
        assert facts.identical_to == NAME
        assert [x.operation for x in log] == ["file", "file", "lookup"]
        assert all(x.status == exchanges.OK for x in log)
        assert len(server.app.filings) == 1
        listed = httpx.get(f"{server.url}/admin/filings").json()
        assert [(f["credit_code"], f["version"], f["status"]) for f in listed] == [
            (CODE, 1, "current")
        ]

    def test_a_registry_that_fails_is_retried_and_records_nothing(
        self, server: RunningStub, tmp_path: Path
    ) -> None:
        server.app.set_faults({"error_rate": 1.0})
        client = _http(server, tmp_path)
        with pytest.raises(RegistryUnavailable) as raised:
            run(_closing(client, client.file(filing())))
        assert not isinstance(raised.value, FilingRefused)
        assert server.app.stats["error"] == 3  # the first attempt and two retries
        assert len(server.app.filings) == 0

    def test_a_recorded_filing_whose_answer_was_lost_is_the_same_on_the_retry(
        self, server: RunningStub, tmp_path: Path
    ) -> None:
        server.app.set_faults({"bad_signature_rate": 1.0})
        client = _http(server, tmp_path)
        with pytest.raises(RegistryUnavailable):
            run(_closing(client, client.file(filing())))
        recorded = server.app.filings.get(CODE)
        assert recorded is not None  # recorded, but its answer did not check
        server.app.set_faults({"bad_signature_rate": 0.0})
        receipt = run(_closing(client, client.file(filing())))
        assert receipt == recorded.receipt()

    def test_a_conflicting_filing_is_refused_not_retried(
        self, server: RunningStub, tmp_path: Path
    ) -> None:
        client = _http(server, tmp_path)
        run(_closing(client, client.file(filing())))
        with pytest.raises(FilingRefused):
            run(_closing(client, client.file(filing(name="泰州市海陵区别的小吃店"))))
        assert server.app.stats["conflict"] == 1

    def test_an_unsigned_filing_is_refused(self, server: RunningStub) -> None:
        response = httpx.post(
            f"{server.url}{MARKET.filing_path}",
            content=query_body(filing()),
            headers={signing.ISSUE: "a" * 32, signing.USER_ID: "miaopi", signing.LEGAL_BASIS: "x"},
        )
        assert response.status_code == 401
        assert len(server.app.filings) == 0

    @pytest.mark.parametrize(
        "body",
        [b'{"credit_code": "not a code", "version": 0}', b"[1, 2]", b"{", b'"text"'],
    )
    def test_a_filing_that_is_not_a_registration_is_a_bad_request(
        self, server: RunningStub, tmp_path: Path, body: bytes
    ) -> None:
        response = _signed_post(server, KeyDirectory(tmp_path), MARKET.filing_path, body)
        assert response.status_code == 400
        assert server.app.stats["bad_request"] == 1
        assert len(server.app.filings) == 0


def _signed_post(server: RunningStub, keys: KeyDirectory, path: str, body: bytes) -> Any:
    """A request signed with Miaopi's key, whatever its body says."""
    legal_basis = signing.encode_header(MARKET.filing.legal_basis if MARKET.filing else "")
    request = signing.SignedRequest(
        method="POST",
        path=path,
        timestamp=str(int(time.time())),
        nonce=uuid.uuid4().hex,
        message_id=uuid.uuid4().hex,
        client="miaopi",
        issue="a" * 32,
        user_id="miaopi",
        legal_basis=legal_basis,
        body_hash=signing.sha256_hex(body),
    )
    headers = {
        signing.CLIENT: request.client,
        signing.MESSAGE_ID: request.message_id,
        signing.NONCE: request.nonce,
        signing.TIMESTAMP: request.timestamp,
        signing.ISSUE: request.issue,
        signing.USER_ID: request.user_id,
        signing.LEGAL_BASIS: request.legal_basis,
        signing.SIGNATURE: signing.sign(keys.private(signing.CLIENT_KEY_NAME), request.canonical()),
    }
    return httpx.post(f"{server.url}{path}", content=body, headers=headers)
