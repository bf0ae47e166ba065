"""Shared by the rule tests: the shipped ruleset and a copy of the rules folder to edit."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from approval.settings import PROJECT_ROOT, Settings, get_settings
from tests.engine.conftest import baseline_facts, shipped_ruleset

__all__ = ["baseline_facts", "rules_copy", "shipped_ruleset"]


@pytest.fixture
def rules_copy(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    rules = tmp_path / "rules"
    shutil.copytree(PROJECT_ROOT / "rules", rules)
    monkeypatch.setenv("APPROVAL_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("APPROVAL_FIXED_TODAY", "2026-11-26")
    monkeypatch.setenv("APPROVAL_SIGNING_KEY_PATH", str(settings.signing_key_path))
    get_settings.cache_clear()
    yield rules
    get_settings.cache_clear()
