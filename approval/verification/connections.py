"""Which registry client each registry gets: the in-process stub, or HTTP when a URL is set."""

from __future__ import annotations

from typing import Any

from approval.clock import clock_for
from approval.settings import RegistryEndpoint, Settings
from connectors.base import Registry, RegistryClient
from connectors.http import HttpRegistryConfig, http_registry
from connectors.registries import REGISTRIES, Registries
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


def build_registries(settings: Settings) -> Registries:
    """Per registry of the table: the in-process stub, or the HTTP client when its URL is set."""
    stubs = build_stub_registries(
        settings.registry_data_dir,
        latency_ms=settings.registry_latency_ms,
        unavailable=settings.unavailable_registries,
        # the stubs' calendar is the service's ("a name freed less than a year ago")
        today=clock_for(settings.fixed_today).today,
    )
    keys = KeyDirectory(settings.registry_keys_dir)
    clients: dict[Registry, RegistryClient[Any, Any]] = {}
    for spec in REGISTRIES:
        endpoint = settings.registry_endpoint(spec.registry)
        clients[spec.registry] = (
            http_registry(spec.registry, http_config(endpoint), keys)
            if endpoint.url
            else stubs[spec.registry]
        )
    return Registries(clients)


async def close_registries(registries: Registries) -> None:
    """Close the HTTP clients' connection pools (stubs have none)."""
    for client in registries.clients():
        close = getattr(client, "aclose", None)
        if close is not None:
            await close()
