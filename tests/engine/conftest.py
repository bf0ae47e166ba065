from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from approval.engine.ruleset import Ruleset
from approval.settings import PROJECT_ROOT

RULES_DIR = PROJECT_ROOT / "rules"


@pytest.fixture(scope="session")
def shipped_ruleset() -> Iterator[Ruleset]:
    ruleset = Ruleset.load(RULES_DIR)
    yield ruleset
    ruleset.close()


@pytest.fixture(scope="session")
def baseline_facts() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((RULES_DIR / "tests" / "baseline.yaml").read_text())
    return dict(loaded["baseline"])


def write_rules(directory: Path, text: str, name: str = "rules.yaml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(text, encoding="utf-8")
    return directory
