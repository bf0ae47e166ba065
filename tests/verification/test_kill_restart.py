"""Killed mid-way, restarted: nothing acknowledged is lost, and parked applications get decided.

Real processes: a stub real-estate registry that is down, and `miaopi serve`, killed with
SIGKILL while applications wait for that registry. After the registry recovers, a new `serve` on
the same database decides every one of them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures import application_for
from tests.fixtures.network import free_port


def _wait_until(check: Any, what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {seconds} s")


class Processes:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, args: list[str], env: dict[str, str], log: str) -> subprocess.Popen[bytes]:
        with (self.tmp / log).open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "approval.cli", *args],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    running = Processes(tmp_path)
    yield running
    running.stop_all()


def test_nothing_is_lost_when_serve_is_killed_and_restarted(
    tmp_path: Path, processes: Processes
) -> None:
    registry_port, service_port = free_port(), free_port()
    registry = f"http://127.0.0.1:{registry_port}"
    service = f"http://127.0.0.1:{service_port}"
    env = {
        **os.environ,
        "APPROVAL_DATABASE_URL": f"sqlite:///{tmp_path / 'killed.sqlite3'}",
        "APPROVAL_SIGNING_KEY_PATH": str(tmp_path / "licence-key.pem"),
        "APPROVAL_REGISTRY_KEYS_DIR": str(tmp_path / "registry-keys"),
        "APPROVAL_FIXED_TODAY": "2026-11-26",
        "APPROVAL_PORT": str(service_port),
        "APPROVAL_REGISTRY_REALESTATE": json.dumps(
            {"url": registry, "read_timeout_ms": 200, "retries": 0}
        ),
        "APPROVAL_VERIFICATION_POLL_SECONDS": "0.2",
        "APPROVAL_VERIFICATION_BACKOFF_SECONDS": "0.2",
        "APPROVAL_VERIFICATION_BACKOFF_MAX_SECONDS": "0.5",
        "APPROVAL_DISPATCH_INTERVAL_SECONDS": "0",
        # a killed process's claims outlive any wait here: the restart must free them itself
        "APPROVAL_VERIFICATION_LEASE_SECONDS": "3600",
    }
    key = subprocess.run(
        [sys.executable, "-m", "approval.cli", "keys", "create", "--role", "terminal"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    headers = {"Authorization": f"Bearer {key}"}
    processes.start(
        ["stub-registry", "realestate", "--port", str(registry_port), "--outage"], env, "stub.log"
    )
    _wait_until(lambda: httpx.get(f"{registry}/healthz").status_code == 200, "the registry start")

    first = processes.start(["serve"], env, "serve-1.log")
    _wait_until(lambda: httpx.get(f"{service}/healthz").status_code == 200, "serve start")
    parked = []
    for n in range(5):
        response = httpx.post(
            f"{service}/v1/applications",
            json=application_for("clean_owner", employees=n),
            headers={**headers, "Idempotency-Key": f"kill-{n}"},
            timeout=10,
        )
        assert response.status_code == 201
        assert response.json()["status"] == "pending_verification"
        parked.append(response.json()["id"])

    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    httpx.post(f"{registry}/admin/reset")

    processes.start(["serve"], env, "serve-2.log")
    _wait_until(lambda: httpx.get(f"{service}/healthz").status_code == 200, "the restart")

    def decided() -> list[dict[str, Any]]:
        return [
            httpx.get(f"{service}/v1/applications/{app_id}", headers=headers).json()
            for app_id in parked
        ]

    _wait_until(lambda: all(a["status"] == "issued" for a in decided()), "deciding the parked ones")
    codes = [a["licence"]["credit_code"] for a in decided()]
    assert len(set(codes)) == len(parked)
    # a retry after the restart replays the acknowledged answer and creates nothing
    again = httpx.post(
        f"{service}/v1/applications",
        json=application_for("clean_owner", employees=0),
        headers={**headers, "Idempotency-Key": "kill-0"},
        timeout=10,
    )
    assert again.json()["id"] == parked[0]
