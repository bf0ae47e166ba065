"""The chart page is served by the service and rendered by a real browser (headless Chromium)."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from PIL import Image

from api import create_app
from approval.migrate import upgrade_to_head
from approval.settings import Settings
from tests.conftest import submit
from tests.fixtures import application_for
from tests.fixtures.network import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def served(settings: Settings) -> Iterator[str]:
    upgrade_to_head(settings.database_url)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_page_shows_the_figures(client: TestClient, keys: dict[str, str]) -> None:
    submit(client, keys["terminal"], application_for("clean_owner"))
    page = client.get("/v1/stats/page")
    assert page.headers["content-type"].startswith("text/html")
    for label in ("按时办结率", "秒批率", "满意率", "<svg"):
        assert label in page.text
    assert "100.0%" in page.text


@pytest.mark.skipif(
    CHROMIUM is None, reason="needs the Debian package chromium (make test installs it)"
)
def test_chart_page_renders_in_headless_chromium(served: str, tmp_path: Path) -> None:
    shot = tmp_path / "stats.png"
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1280,900",
            f"{served}/v1/stats/page",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    with Image.open(shot) as image:
        assert image.size == (1280, 900)
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 20  # a rendered page, not a blank one
