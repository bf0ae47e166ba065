"""The three stub registries as HTTP servers on 127.0.0.1, for fault-injection tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.base import Registry
from connectors.signing import KeyDirectory
from connectors.stub import load_world
from connectors.stub_server import Faults, RunningStub, build_stub_app, start_in_thread

FAULTS: dict[str, dict[str, Any]] = {
    "error": {"error_rate": 1.0},
    "timeout": {"timeout_rate": 1.0},
    "malformed": {"malformed_rate": 1.0},
    "bad_signature": {"bad_signature_rate": 1.0},
    "outage": {"outage": True},
}


@dataclass
class StubServers:
    keys: KeyDirectory
    running: dict[Registry, RunningStub]

    def __getitem__(self, registry: Registry | str) -> RunningStub:
        return self.running[Registry(registry)]

    def reset(self) -> None:
        for stub in self.running.values():
            stub.app.faults = Faults()
            stub.app.stats.clear()

    def inject(self, registry: Registry | str, **faults: Any) -> None:
        self[registry].app.set_faults(faults)

    def restart(self, registry: Registry | str) -> None:
        """Stop the server (connections refused meanwhile) and start it again on its port."""
        old = self[registry]
        old.stop()
        self.running[Registry(registry)] = start_in_thread(old.app, old.port)

    def urls(self) -> dict[Registry, dict[str, Any]]:
        return {r: {"url": s.url} for r, s in self.running.items()}

    def stop(self) -> None:
        for stub in self.running.values():
            stub.stop()


@contextmanager
def stub_servers(keys_dir: Path) -> Iterator[StubServers]:
    keys = KeyDirectory(keys_dir)
    world = load_world()
    running: dict[Registry, RunningStub] = {}
    servers = StubServers(keys, running)
    try:
        for registry in Registry:
            running[registry] = start_in_thread(build_stub_app(registry, keys, world))
        yield servers
    finally:
        servers.stop()
