"""The HTTP clients against the stub registry servers on 127.0.0.1, with injected faults."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from prometheus_client import REGISTRY

from connectors import exchanges, signing
from connectors.base import (
    FoodQuery,
    MarketQuery,
    PopulationQuery,
    PropertyQuery,
    QueryPurpose,
    Registry,
    RegistryUnavailable,
)
from connectors.http import HttpRegistryConfig, http_registry, lookup_path, query_body
from connectors.stub import build_stub_registries
from tests.fixtures import application_for
from tests.verification.stubs import FAULTS, StubServers, stub_servers

_T = TypeVar("_T")


def run(coro: Awaitable[_T]) -> _T:
    async def main() -> _T:
        return await coro

    return asyncio.run(main())


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StubServers]:
    with stub_servers(tmp_path_factory.mktemp("keys")) as running:
        yield running


@pytest.fixture(autouse=True)
def _reset(servers: StubServers) -> None:
    servers.reset()


def _query(registry: Registry, persona: str = "clean_owner") -> Any:
    body = application_for(persona)
    purpose = QueryPurpose(case_id="a" * 32, legal_basis="《不动产登记暂行条例》第二十八条")
    operator = body["operator"]["id_number"]
    if registry == Registry.MARKET:
        return MarketQuery(
            purpose=purpose,
            operator_id_number=operator,
            authority_code=body["premises"]["district_code"],
            proposed_name="泰州市海陵区老街小吃店",
        )
    if registry == Registry.FOOD:
        return FoodQuery(purpose=purpose, operator_id_number=operator)
    if registry == Registry.POPULATION:
        return PopulationQuery(purpose=purpose, id_numbers=(operator,))
    return PropertyQuery(
        purpose=purpose, certificate_number=body["premises"]["property_certificate_number"]
    )


def _client(servers: StubServers, registry: Registry, **config: Any) -> Any:
    settings = {"read_timeout_s": 0.15, "backoff_s": 0.01, "backoff_max_s": 0.02, **config}
    return http_registry(
        registry, HttpRegistryConfig(base_url=servers[registry].url, **settings), servers.keys
    )


async def _lookup(client: Any, query: Any) -> Any:
    try:
        return await client.lookup(query)
    finally:
        await client.aclose()


@pytest.mark.parametrize("registry", list(Registry))
@pytest.mark.parametrize("persona", ["clean_owner", "banned", "child_15"])
def test_http_answers_are_the_stub_answers(
    servers: StubServers, registry: Registry, persona: str
) -> None:
    stubs = build_stub_registries()
    query = _query(registry, persona)
    expected = run(stubs[registry].lookup(query))
    assert run(_lookup(_client(servers, registry), query)) == expected


@pytest.mark.parametrize("registry", list(Registry))
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_every_fault_is_unavailable_within_the_retry_budget(
    servers: StubServers, registry: Registry, fault: str
) -> None:
    servers.inject(registry, **FAULTS[fault])
    with exchanges.recording() as log, pytest.raises(RegistryUnavailable):
        run(_lookup(_client(servers, registry), _query(registry)))
    seen = servers[registry].app.stats
    retried = fault in ("error", "timeout", "outage")  # transport failures and 5xx only
    assert sum(seen.values()) == (3 if retried else 1)
    assert len(log) == sum(seen.values())
    assert [x.attempt for x in log] == list(range(1, len(log) + 1))
    assert all(x.status != exchanges.OK and x.case_id == "a" * 32 for x in log)


def test_no_retries_when_the_budget_is_zero(servers: StubServers) -> None:
    servers.inject(Registry.FOOD, error_rate=1.0)
    with pytest.raises(RegistryUnavailable):
        run(_lookup(_client(servers, Registry.FOOD, retries=0), _query(Registry.FOOD)))
    assert servers[Registry.FOOD].app.stats["error"] == 1


def test_a_retry_after_a_transient_fault_gets_the_answer(servers: StubServers) -> None:
    servers.inject(Registry.MARKET, error_rate=0.5, seed=3)
    client = _client(servers, Registry.MARKET, breaker_threshold=50)

    async def many() -> int:
        answered = 0
        for _ in range(10):
            try:
                await client.lookup(_query(Registry.MARKET))
                answered += 1
            except RegistryUnavailable:
                pass
        await client.aclose()
        return answered

    answered = run(many())
    stats = servers[Registry.MARKET].app.stats
    assert answered >= 7  # each lookup fails only if three attempts in a row fail
    assert sum(stats.values()) <= 30


def test_breaker_opens_fails_fast_and_closes_after_a_probe(servers: StubServers) -> None:
    registry = Registry.REALESTATE
    client = _client(servers, registry, retries=0, breaker_threshold=2, breaker_reset_s=0.2)
    query = _query(registry)

    async def scenario() -> list[str]:
        states = []
        servers.inject(registry, outage=True)
        for _ in range(2):
            with pytest.raises(RegistryUnavailable):
                await client.lookup(query)
        states.append(client.breaker_state)
        seen_before = sum(servers[registry].app.stats.values())
        with pytest.raises(RegistryUnavailable, match="circuit open"):
            await client.lookup(query)
        assert sum(servers[registry].app.stats.values()) == seen_before  # nothing was sent
        servers.inject(registry, outage=False)
        await asyncio.sleep(0.25)  # the breaker's reset time passes
        await client.lookup(query)
        states.append(client.breaker_state)
        await client.aclose()
        return states

    assert run(scenario()) == ["opened", "closed"]
    metric = REGISTRY.get_sample_value("miaopi_registry_breaker_state", {"registry": "realestate"})
    assert metric == 0


def test_a_failed_probe_opens_the_breaker_again(servers: StubServers) -> None:
    registry = Registry.FOOD
    client = _client(servers, registry, retries=0, breaker_threshold=1, breaker_reset_s=0.1)

    async def scenario() -> str:
        servers.inject(registry, error_rate=1.0)
        with pytest.raises(RegistryUnavailable):
            await client.lookup(_query(registry))
        await asyncio.sleep(0.15)
        with pytest.raises(RegistryUnavailable, match="HTTP"):
            await client.lookup(_query(registry))  # the half-open probe fails
        await client.aclose()
        return str(client.breaker_state)

    assert run(scenario()) == "opened"


def test_refusals_are_not_retried_and_do_not_open_the_breaker(
    servers: StubServers, tmp_path: Path
) -> None:
    registry = Registry.MARKET
    # our own client key, which the registry does not know; the registry's real public key
    shutil.copy(servers.keys.folder / f"{registry.value}.pub.pem", tmp_path)
    client = http_registry(
        registry,
        HttpRegistryConfig(base_url=servers[registry].url, breaker_threshold=1),
        signing.KeyDirectory(tmp_path),
    )

    async def scenario() -> None:
        for _ in range(2):
            with pytest.raises(RegistryUnavailable, match="HTTP 401"):
                await client.lookup(_query(registry))
        await client.aclose()

    run(scenario())
    assert servers[registry].app.stats["refused"] == 2
    assert client.breaker_state == "closed"


def _signed_post(
    servers: StubServers,
    registry: Registry,
    *,
    key: Ed25519PrivateKey | None = None,
    nonce: str = "n1",
    legal_basis: str = "《不动产登记暂行条例》第二十八条",
    timestamp: int | None = None,
) -> httpx.Response:
    body = query_body(_query(registry))
    request = signing.SignedRequest(
        method="POST",
        path=lookup_path(registry),
        timestamp=str(int(timestamp if timestamp is not None else time.time())),
        nonce=nonce,
        message_id="m1",
        client="miaopi",
        issue="case-1",
        user_id="miaopi",
        legal_basis=signing.encode_header(legal_basis),
        body_hash=signing.sha256_hex(body),
    )
    key = key or servers.keys.private(signing.CLIENT_KEY_NAME)
    headers = {
        signing.CLIENT: request.client,
        signing.MESSAGE_ID: request.message_id,
        signing.NONCE: request.nonce,
        signing.TIMESTAMP: request.timestamp,
        signing.ISSUE: request.issue,
        signing.USER_ID: request.user_id,
        signing.LEGAL_BASIS: request.legal_basis,
        signing.SIGNATURE: signing.sign(key, request.canonical()),
    }
    return httpx.post(servers[registry].url + lookup_path(registry), content=body, headers=headers)


def test_the_stub_answers_signed_requests_that_state_their_purpose(
    servers: StubServers,
) -> None:
    response = _signed_post(servers, Registry.FOOD, nonce="fresh-1")
    assert response.status_code == 200
    canonical = signing.response_canonical(
        response.headers[signing.REQUEST_HASH],
        200,
        response.headers[signing.TIMESTAMP],
        response.content,
    )
    assert signing.verify(
        servers.keys.public("food"), canonical, response.headers[signing.SIGNATURE]
    )


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"key": Ed25519PrivateKey.generate()}, "signature invalid"),
        ({"legal_basis": ""}, "purpose required"),
        ({"timestamp": 1_000_000_000}, "clock skew"),
    ],
)
def test_the_stub_refuses_unsigned_stale_or_purposeless_requests(
    servers: StubServers, change: dict[str, Any], why: str
) -> None:
    response = _signed_post(servers, Registry.REALESTATE, nonce=f"n-{why}", **change)
    assert response.status_code == 401
    assert why in response.json()["error"]


def test_the_stub_refuses_a_replayed_request(servers: StubServers) -> None:
    assert _signed_post(servers, Registry.MARKET, nonce="once").status_code == 200
    assert _signed_post(servers, Registry.MARKET, nonce="once").status_code == 401


def test_exchanges_carry_purpose_and_hashes(servers: StubServers) -> None:
    with exchanges.recording() as log:
        run(_lookup(_client(servers, Registry.FOOD), _query(Registry.FOOD)))
    (exchange,) = log
    assert exchange.status == "ok"
    assert exchange.http_status == 200
    assert exchange.legal_basis == "《不动产登记暂行条例》第二十八条"
    assert len(exchange.request_hash) == 64
    assert exchange.response_hash is not None
    assert len(exchange.response_hash) == 64


def test_admin_endpoint_sets_faults_at_run_time(servers: StubServers) -> None:
    url = servers[Registry.MARKET].url
    changed = httpx.put(f"{url}/admin/faults", json={"latency": "uniform", "latency_ms": 1})
    assert changed.status_code == 200
    assert changed.json()["latency"] == "uniform"
    assert httpx.put(f"{url}/admin/faults", json={"error_rate": 2}).status_code == 422
    assert httpx.post(f"{url}/admin/reset").json()["latency"] == "fixed"


def test_request_metrics_count_outcomes(servers: StubServers) -> None:
    def count(outcome: str) -> float:
        labels = {"registry": "food", "outcome": outcome}
        return REGISTRY.get_sample_value("miaopi_registry_requests_total", labels) or 0.0

    before_ok, before_bad = count("ok"), count("malformed")
    run(_lookup(_client(servers, Registry.FOOD), _query(Registry.FOOD)))
    servers.inject(Registry.FOOD, malformed_rate=1.0)
    with pytest.raises(RegistryUnavailable):
        run(_lookup(_client(servers, Registry.FOOD), _query(Registry.FOOD)))
    assert (count("ok"), count("malformed")) == (before_ok + 1, before_bad + 1)
