"""Rule files posted over the API are data: a name that leads outside the rules tree is refused
before anything is written, and drafts are written only inside a private temporary folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from approval.kernel.rule_paths import RulePathInvalid, parse_rule_path, write_inside
from approval.rules import service

ESCAPES = [
    "../../escape-{tag}.yaml",
    "../escape-{tag}.yaml",
    "/tmp/escape-{tag}.yaml",
    "{outside}/escape-{tag}.yaml",
    "words/../../escape-{tag}.yaml",
    "%2e%2e/%2e%2e/escape-{tag}.yaml",
    "..%2fescape-{tag}.yaml",
    "\u2024\u2024/escape-{tag}.yaml",  # ONE DOT LEADER
    "\uff0e\uff0e/escape-{tag}.yaml",  # FULLWIDTH FULL STOP
    "..\\escape-{tag}.yaml",
    "C:escape-{tag}.yaml",
    "C:/escape-{tag}.yaml",
    "escape-{tag}.yaml\x00.yaml",
    "./escape-{tag}.yaml",
    "a//escape-{tag}.yaml",
    "a/b/c/d/escape-{tag}.yaml",
    "escape-{tag}.pth",
    "escape-{tag}.yaml/",
]


def _created(tmp_path: Path, tag: str) -> list[Path]:
    """Anything named for this attempt: anywhere under the test's own folder (which holds the
    temporary folders drafts are written to), or directly in the places an absolute or
    relative name could reach. Shared folders are not walked: other processes change them."""
    pattern = f"*escape-{tag}*"
    found = list(tmp_path.rglob(pattern))
    for shared in (Path(tempfile.gettempdir()), Path("/tmp"), Path.cwd(), Path("/")):
        found += shared.glob(pattern)
    return found


@pytest.mark.parametrize("pattern", ESCAPES)
def test_a_name_outside_the_rules_tree_is_refused_and_writes_nothing(
    client: TestClient,
    keys: dict[str, str],
    tmp_path: Path,
    pattern: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(drafts))
    tag = os.urandom(4).hex()
    name = pattern.format(tag=tag, outside=tmp_path)
    files = {"identity.yaml": "rules: []\n", name: "rules: []\n"}
    answer = client.post(
        "/v1/rule-changes",
        json={"files": files},
        headers={"Authorization": f"Bearer {keys['rule_admin']}"},
    )
    assert answer.status_code == 422
    body = answer.json()
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert body["code"] == "rule_file_name_invalid"
    assert "规则" in body["detail"]
    assert _created(tmp_path, tag) == []


@pytest.mark.parametrize(
    "name", ["identity.yaml", "words/prohibited.yaml", "catalog/scope.yaml", "tests/cases.yml"]
)
def test_names_inside_the_tree_are_accepted(name: str) -> None:
    assert parse_rule_path(name) == name


def test_the_writer_refuses_a_folder_that_is_a_link_to_outside(tmp_path: Path) -> None:
    root, outside = tmp_path / "rules", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "words").symlink_to(outside, target_is_directory=True)
    with pytest.raises(RulePathInvalid):
        write_inside(root, "words/prohibited.yaml", b"x")
    assert list(outside.iterdir()) == []


def test_the_writer_refuses_a_file_that_is_a_link(tmp_path: Path) -> None:
    root, target = tmp_path / "rules", tmp_path / "target.yaml"
    root.mkdir()
    target.write_bytes(b"original")
    (root / "identity.yaml").symlink_to(target)
    with pytest.raises(RulePathInvalid):
        write_inside(root, "identity.yaml", b"x")
    assert target.read_bytes() == b"original"


def test_drafts_are_materialised_in_a_private_folder_removed_afterwards() -> None:
    with service.materialised({"identity.yaml": "rules: []\n", "words/a.yaml": "x\n"}) as root:
        assert (root / "words" / "a.yaml").read_text() == "x\n"
        assert root.parent.stat().st_mode & 0o077 == 0
        seen = root
    assert not seen.exists()
    assert not seen.parent.exists()


def test_stored_versions_with_a_bad_name_are_not_written_out() -> None:
    with pytest.raises(Exception, match="规则文件名"), service.materialised({"../x.yaml": ""}):
        pass
