"""``miaopi serve --workers N``: several API processes need PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from approval.cli import app
from approval.settings import get_settings

runner = CliRunner()


@pytest.fixture
def sqlite_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("APPROVAL_DATABASE_URL", f"sqlite:///{tmp_path / 'serve.sqlite3'}")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_several_workers_on_sqlite_are_refused_before_anything_starts(
    sqlite_environment: Path,
) -> None:
    result = runner.invoke(app, ["serve", "--workers", "2"])
    assert result.exit_code == 2
    assert "PostgreSQL" in result.output
    assert not (sqlite_environment / "serve.sqlite3").exists()  # not even migrated


def test_workers_must_be_at_least_one(sqlite_environment: Path) -> None:
    assert runner.invoke(app, ["serve", "--workers", "0"]).exit_code == 2
