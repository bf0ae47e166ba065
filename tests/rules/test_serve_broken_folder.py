"""``miaopi serve`` restarts on the version in force although someone broke the rules folder it
runs from, says so, and shows the version decisions use."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import httpx

from approval.access.service import create_key
from approval.database import Database
from approval.migrate import upgrade_to_head
from approval.settings import PROJECT_ROOT
from tests.fixtures import application_for
from tests.fixtures.network import free_port
from tests.fixtures.processes import Processes, wait_until_ready


def _serve_once(tmp_path: Path, env: dict[str, str], name: str, key: str) -> tuple[str, str]:
    """Start, submit the README's clean applicant, stop; the decision's version and the log."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    processes = Processes(tmp_path)
    try:
        processes.start(name, ["serve", "--port", str(port)], env)
        wait_until_ready([base], processes)
        response = httpx.post(
            f"{base}/v1/applications",
            content=json.dumps(application_for("clean_owner"), ensure_ascii=False).encode(),
            headers={
                "Authorization": f"Bearer {key}",
                "Idempotency-Key": f"broken-folder-{name}",
                "Content-Type": "application/json",
            },
            timeout=30.0,
        )
        processes.check_alive()
    finally:
        processes.stop()
    assert response.status_code == 201, processes.logs()
    return str(response.json()["ruleset_version"]), (tmp_path / f"{name}.log").read_text()


def test_serve_keeps_the_version_in_force_when_the_folder_is_broken(
    tmp_path: Path, database_url: str
) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(PROJECT_ROOT / "rules", rules)
    upgrade_to_head(database_url)
    db = Database(database_url)
    try:
        with db.transaction() as conn:
            key = create_key(conn, "terminal", None, "kiosk", dt.datetime.now(dt.UTC))
    finally:
        db.dispose()
    env = {
        **os.environ,
        "APPROVAL_DATABASE_URL": database_url,
        "APPROVAL_RULES_DIR": str(rules),
        "APPROVAL_FIXED_TODAY": "2026-11-26",
        "APPROVAL_SIGNING_KEY_PATH": str(tmp_path / "signing-key.pem"),
        "APPROVAL_REGISTRY_KEYS_DIR": str(tmp_path / "registry-keys"),
        "APPROVAL_VERIFICATION_WORKER": "false",
        "APPROVAL_DISPATCH_INTERVAL_SECONDS": "0",
        "APPROVAL_FILING_INTERVAL_SECONDS": "0",
    }
    first, log = _serve_once(tmp_path, env, "first", key)
    assert f"版本 {first[:12]}" in log

    identity = rules / "identity.yaml"
    identity.write_text(
        identity.read_text(encoding="utf-8").replace("outcome: reject", "outcome: rejekt", 1),
        encoding="utf-8",
    )
    again, log = _serve_once(tmp_path, env, "again", key)
    assert again == first
    assert f"版本 {first[:12]}（现行版本，来自数据库）" in log
    assert "有错误，没有使用" in log
    assert "rejekt" in log
