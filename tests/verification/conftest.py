from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.verification.stubs import StubServers, stub_servers


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StubServers]:
    with stub_servers(tmp_path_factory.mktemp("registry-keys")) as running:
        yield running


@pytest.fixture
def stubs(servers: StubServers) -> StubServers:
    """The stub servers with their faults cleared."""
    servers.reset()
    return servers
