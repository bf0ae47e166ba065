"""Webhook delivery: signed, retried, at least once — and exactly once to a receiver that
deduplicates, even when the dispatcher dies mid-delivery."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi.testclient import TestClient

from approval.signing import canonical_json
from approval.supervision.service import Delivery
from tests.conftest import TODAY, submit
from tests.fixtures import application_for
from tests.supervision.support import auth, dispatcher, install_clock


class Receiver:
    """A department's webhook endpoint on 127.0.0.1 that checks signatures and deduplicates."""

    def __init__(self, public_key: Ed25519PublicKey) -> None:
        self.public_key = public_key
        self.posts: list[str] = []
        self.accepted: dict[str, dict[str, Any]] = {}
        self.fail_next = 0
        self.delay_seconds = 0.0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                delivery = self.headers["X-Miaopi-Delivery"]
                statement = {
                    "delivery_id": delivery,
                    "timestamp": self.headers["X-Miaopi-Timestamp"],
                    "body_sha256": hashlib.sha256(body).hexdigest(),
                }
                time.sleep(receiver.delay_seconds)
                signature = self.headers["X-Miaopi-Signature"]
                receiver.public_key.verify(
                    base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)),
                    canonical_json(statement),
                )
                with receiver.lock:
                    receiver.posts.append(delivery)
                    failing = receiver.fail_next > 0
                    if failing:
                        receiver.fail_next -= 1
                    else:
                        receiver.accepted.setdefault(delivery, json.loads(body))
                self.send_response(500 if failing else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def receiver(client: TestClient) -> Iterator[Receiver]:
    pem = client.app.state.context.signer.public_key_pem()  # type: ignore[attr-defined]
    key = load_pem_public_key(pem.encode())
    assert isinstance(key, Ed25519PublicKey)
    with Receiver(key) as running:
        yield running


class Crash(BaseException):
    """The dispatcher process dying: nothing after the post runs."""


def _issue(client: TestClient, keys: dict[str, str], count: int) -> None:
    for _ in range(count):
        body = application_for("clean_owner")
        assert submit(client, keys["terminal"], body).json()["status"] == "issued"


def test_killed_mid_delivery_then_restarted_delivers_each_event_exactly_once(
    client: TestClient, keys: dict[str, str], receiver: Receiver
) -> None:
    clock = install_clock(client, TODAY)
    _issue(client, keys, 3)
    webhooks = {"SCJG": receiver.url, "SW": receiver.url}
    posted: list[str] = []

    def die_after_the_fourth_post(delivery: Delivery) -> None:
        posted.append(delivery.copy_id)
        if len(posted) == 4:
            raise Crash()  # the receiver has it; we never record that it did

    first = dispatcher(client, webhooks=webhooks, after_post=die_after_the_fourth_post)
    with pytest.raises(Crash):
        first.run_once()
    first.close()
    assert len(receiver.accepted) == 4
    # a restarted dispatcher picks up the rest; the interrupted lease runs out, then it too
    clock.move(seconds=61)
    restarted = dispatcher(client, webhooks=webhooks)
    report = restarted.run_once()
    restarted.close()
    assert report.delivered == 3  # the unrecorded fourth again, plus the two never sent
    copies = client.get("/v1/supervision/copies", headers=auth(keys["staff"])).json()["items"]
    assert len(copies) == 6  # 3 events × (SCJG, SW)
    assert {c["id"] for c in copies} == set(receiver.accepted)  # none lost
    assert len(receiver.posts) == 7  # one duplicate post, deduplicated by the receiver
    assert all(c["status"] == "acknowledged" for c in copies)
    assert {p["event"] for p in receiver.accepted.values()} == {"licence_issued"}
    # nothing left to send
    again = dispatcher(client, webhooks=webhooks)
    clock.move(seconds=120)
    assert again.run_once().delivered == 0
    again.close()


def test_a_failing_receiver_is_retried_later_and_nothing_is_dropped(
    client: TestClient, keys: dict[str, str], receiver: Receiver
) -> None:
    clock = install_clock(client, TODAY)
    _issue(client, keys, 1)
    receiver.fail_next = 1
    webhooks = {"SCJG": receiver.url}
    step = dispatcher(client, webhooks=webhooks)
    report = step.run_once()
    assert report.failed == 1
    staff = auth(keys["staff"])
    pending = client.get("/v1/supervision/copies?status=pending", headers=staff).json()["items"]
    scjg = [c for c in pending if c["department"] == "SCJG"]
    assert scjg
    assert scjg[0]["channel"] == "webhook"
    clock.move(seconds=1000)  # past the capped backoff
    assert step.run_once().delivered == 1
    step.close()
    assert len(receiver.accepted) == 1


def test_a_dispatch_process_killed_mid_delivery_loses_nothing(
    client: TestClient, keys: dict[str, str], receiver: Receiver, settings: Any
) -> None:
    """Real processes: `miaopi dispatch` is killed (SIGKILL) while posting, then started again."""
    _issue(client, keys, 4)  # 4 approvals, each pushed to SCJG and SW: 8 copies
    receiver.delay_seconds = 0.3  # a slow department, so the kill lands mid-delivery
    env = {
        **os.environ,
        "APPROVAL_DATABASE_URL": settings.database_url,
        "APPROVAL_SIGNING_KEY_PATH": str(settings.signing_key_path),
        "APPROVAL_FIXED_TODAY": TODAY.isoformat(),
        "APPROVAL_SUPERVISION_WEBHOOKS": json.dumps({"SCJG": receiver.url, "SW": receiver.url}),
        # the post cut short by the kill is taken over once its lease runs out
        "APPROVAL_DISPATCH_LEASE_SECONDS": "2",
    }
    command = [sys.executable, "-m", "approval.cli", "dispatch", "--every", "0.2"]

    def wait_for(check: Any, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while not check():
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.05)

    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: len(receiver.posts) >= 3)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    assert len(receiver.accepted) < 8  # it died with work left
    receiver.delay_seconds = 0.0
    second = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for(lambda: len(receiver.accepted) == 8)
        time.sleep(0.5)  # a few more steps: nothing is sent again once received
    finally:
        second.terminate()
        second.wait(timeout=10)
    assert len(receiver.accepted) == 8
    assert {copy["department"] for copy in receiver.accepted.values()} == {"SCJG", "SW"}
    assert len(receiver.posts) <= 8 + 1  # at most the post cut short is sent again
