"""Which registry client each registry gets: the in-process stub, or HTTP when a URL is set."""

from __future__ import annotations

from typing import Any

from approval.decisions.registries import Registries
from approval.settings import RegistryEndpoint, Settings
from connectors.base import Registry
from connectors.http import HttpRegistryConfig, http_registry
from connectors.signing import KeyDirectory
from connectors.stub import build_stub_registries


def http_config(endpoint: RegistryEndpoint, client_name: str = "miaopi") -> HttpRegistryConfig:
    assert endpoint.url is not None
    return HttpRegistryConfig(
        base_url=endpoint.url,
        connect_timeout_s=endpoint.connect_timeout_ms / 1000,
        read_timeout_s=endpoint.read_timeout_ms / 1000,
        retries=endpoint.retries,
        backoff_s=endpoint.backoff_ms / 1000,
        backoff_max_s=endpoint.backoff_max_ms / 1000,
        breaker_threshold=endpoint.breaker_threshold,
        breaker_reset_s=endpoint.breaker_reset_seconds,
        client_name=client_name,
    )


def endpoints(settings: Settings) -> dict[Registry, RegistryEndpoint]:
    return {
        Registry.MARKET: settings.registry_market,
        Registry.FOOD: settings.registry_food,
        Registry.REALESTATE: settings.registry_realestate,
    }


def build_registries(settings: Settings) -> Registries:
    stubs = build_stub_registries(
        settings.registry_data_dir,
        latency_ms=settings.registry_latency_ms,
        unavailable=settings.unavailable_registries,
    )
    chosen: dict[Registry, Any] = {
        Registry.MARKET: stubs.market,
        Registry.FOOD: stubs.food,
        Registry.REALESTATE: stubs.realestate,
    }
    keys = KeyDirectory(settings.registry_keys_dir)
    for registry, endpoint in endpoints(settings).items():
        if endpoint.url:
            chosen[registry] = http_registry(registry, http_config(endpoint), keys)
    return Registries(
        market=chosen[Registry.MARKET],
        food=chosen[Registry.FOOD],
        realestate=chosen[Registry.REALESTATE],
    )


async def close_registries(registries: Registries) -> None:
    """Close the HTTP clients' connection pools (stubs have none)."""
    for client in (registries.market, registries.food, registries.realestate):
        close = getattr(client, "aclose", None)
        if close is not None:
            await close()
