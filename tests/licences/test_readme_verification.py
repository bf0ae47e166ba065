"""The README's verification snippet, run as a user would, on a licence this service issued."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import submit
from tests.fixtures import application_for

README = Path(__file__).parents[2] / "README.md"


def _snippet() -> str:
    found = re.search(r"\.venv/bin/python - <<'PY'\n(.*?)\nPY\n", README.read_text(), re.S)
    assert found, "the README's verification snippet moved"
    return found.group(1)


def _run(folder: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _snippet()], cwd=folder, capture_output=True, text=True, check=False
    )
    return done.stdout + done.stderr


def test_the_readme_snippet_verifies_a_served_licence_and_refuses_a_doctored_one(
    client: TestClient, keys: dict[str, str], tmp_path: Path
) -> None:
    body = submit(client, keys["terminal"], application_for("clean_owner")).json()
    auth = {"Authorization": f"Bearer {keys['terminal']}"}
    served = client.get(body["licence"]["json"], headers=auth).text
    (tmp_path / "licence.json").write_text(served, encoding="utf-8")
    (tmp_path / "key.json").write_text(client.get("/v1/licence-signing-key").text)
    out = _run(tmp_path)
    assert "credit code valid: True" in out
    assert "signature verifies: True" in out

    doctored = served.replace('"operator_name":', '"operator_name":"冒名者","operator_name":', 1)
    (tmp_path / "licence.json").write_text(doctored, encoding="utf-8")
    out = _run(tmp_path)
    assert "signature verifies: True" not in out
    assert "DuplicateKey" in out
