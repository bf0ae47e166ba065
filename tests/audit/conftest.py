from __future__ import annotations

from pathlib import Path

import pytest

from approval.settings import Settings
from tests.conftest import TODAY
from tests.supervision.support import quiet_settings


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return quiet_settings(tmp_path, TODAY, database_url)
