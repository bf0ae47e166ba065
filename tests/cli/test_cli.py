"""The miaopi command: keys, and rules refused before anything runs."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from approval.cli import app
from approval.settings import PROJECT_ROOT, get_settings

runner = CliRunner()


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("APPROVAL_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_keys_create_prints_a_key_per_role(environment: Path) -> None:
    result = runner.invoke(app, ["keys", "create", "--role", "terminal"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("mpk_terminal_")


def test_mobile_key_needs_a_valid_subject(environment: Path) -> None:
    assert runner.invoke(app, ["keys", "create", "--role", "mobile"]).exit_code == 2
    bad = runner.invoke(app, ["keys", "create", "--role", "mobile", "--subject", "123"])
    assert bad.exit_code == 2
    good = runner.invoke(
        app, ["keys", "create", "--role", "mobile", "--subject", "322421198002194811"]
    )
    assert good.exit_code == 0, good.output


def test_unknown_role_is_refused(environment: Path) -> None:
    result = runner.invoke(app, ["keys", "create", "--role", "admin"])
    assert result.exit_code == 2
    assert "未知的角色" in result.output


def test_rules_check_passes_on_the_shipped_rules(environment: Path) -> None:
    result = runner.invoke(app, ["rules", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("通过：")


def test_a_broken_rule_file_is_refused_with_file_and_line(
    environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = environment / "rules"
    shutil.copytree(PROJECT_ROOT / "rules", rules)
    path = rules / "identity.yaml"
    path.write_text(path.read_text().replace("operator.age < 16", "operator.agee < 16"))
    monkeypatch.setenv("APPROVAL_RULES_DIR", str(rules))
    get_settings.cache_clear()
    for command in (["rules", "check"], ["serve"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2
        assert "rules/identity.yaml:" in result.output
        assert "是不是要写 'operator.age'" in result.output
