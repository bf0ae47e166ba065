from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from approval.licences import (
    LicenceDocument,
    LicenceSigner,
    ScopeItem,
    credit_code_for,
)

DocumentFactory = Callable[..., LicenceDocument]


@pytest.fixture(scope="session")
def signer() -> LicenceSigner:
    return LicenceSigner.generate()


@pytest.fixture
def make_document() -> DocumentFactory:
    def make(**changes: Any) -> LicenceDocument:
        fields: dict[str, Any] = {
            "licence_id": "LIC-2025-000123",
            "credit_code": credit_code_for("321202", 4711),
            "name": "泰州市海陵区老王面馆",
            "operator_name": "王小明",
            "organisation_form": "individual",
            "premises": "江苏省泰州市海陵区城中街道青年南路88号101室",
            "scope": [
                ScopeItem(code="F5227", title="食品销售（仅销售预包装食品）"),
                ScopeItem(code="H6210", title="小餐饮", condition="取得食品经营许可证后方可经营"),
            ],
            "issue_date": dt.date(2025, 6, 1),
            "authority_code": "321202",
            "authority_name": "泰州市海陵区市场监督管理局",
        }
        fields.update(changes)
        return LicenceDocument(**fields)

    return make
