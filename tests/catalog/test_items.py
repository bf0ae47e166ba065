"""The catalog (items, halls, bundles) loads from its files or is refused with file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from approval.catalog.items import Catalog, load_catalog
from approval.kernel.rule_data import RuleDataError
from approval.settings import PROJECT_ROOT

CATALOG = PROJECT_ROOT / "rules" / "catalog"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(CATALOG)


def test_shipped_catalog_loads_the_individual_business_items_in_full(catalog: Catalog) -> None:
    assert len(catalog.departments) == 18
    for code in ("SCJG-GT-001", "SCJG-GT-002", "SCJG-GT-003", "SCJG-SP-001", "SCJG-SP-002"):
        assert catalog.item(code) is not None
    registration = catalog.item("scjg-gt-001")
    assert registration is not None
    assert registration.auto_approval
    assert registration.promised_limit_days == 0
    assert {"terminal", "mobile"} <= set(registration.channels)
    # the premises proof is fetched from the real-estate register, never asked of the applicant
    fetched = {m.name for m in registration.materials if not m.asked_of_applicant}
    assert "经营场所使用证明" in fetched


def test_every_item_belongs_to_a_known_department(catalog: Catalog) -> None:
    assert all(item.department in catalog.departments for item in catalog)
    assert len({item.department for item in catalog}) >= 15


def test_search_finds_by_name_department_and_kind(catalog: Catalog) -> None:
    assert [i.code for i in catalog.search("食品经营许可")] == ["SCJG-SP-001"]
    assert {i.department for i in catalog.search("卫生健康")} == {"WJW"}
    assert all(i.kind == "filing" for i in catalog.search(kind="filing"))
    assert catalog.search("没有这样的事项") == []


@pytest.mark.parametrize(
    ("words", "item"),
    [
        ("营业执照", "SCJG-GT-001"),
        ("个体户", "SCJG-GT-001"),
        ("开饭店", "SCJG-SP-001"),
        ("饭店", "SCJG-SP-001"),
        ("餐饮", "SCJG-SP-001"),
        ("小卖部", "SCJG-SP-002"),
        ("便利店", "SCJG-SP-002"),
        ("食品", "SCJG-SP-001"),
    ],
)
def test_search_finds_items_by_the_words_people_use(
    catalog: Catalog, words: str, item: str
) -> None:
    found = [i.code for i in catalog.search(words)]
    assert item in found
    assert len(found) <= 5  # a word people use is not a match for everything


def test_search_still_matches_the_legal_basis(catalog: Catalog) -> None:
    assert [i.code for i in catalog.search("畜牧法")] == ["NYNC-002"]


def test_bundles_reference_real_items(catalog: Catalog) -> None:
    assert len(catalog.bundles) >= 3
    restaurant = catalog.bundles["BUNDLE-RESTAURANT"]
    assert restaurant.items == ("SCJG-GT-001", "SCJG-SP-001")


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "catalog"
    shutil.copytree(CATALOG, target)
    return target


def _refused(directory: Path) -> RuleDataError:
    with pytest.raises(RuleDataError) as caught:
        load_catalog(directory)
    return caught.value


def test_a_malformed_item_is_refused_with_file_and_line(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    path = directory / "items" / "market.yaml"
    text = path.read_text()
    path.write_text(text.replace("    legal_limit_days: 10\n", "    legal_limit_days: ten\n", 1))
    error = _refused(directory)
    assert error.path == path
    expected_line = text.splitlines().index("    legal_limit_days: 10") + 1
    assert error.problems[0].line == expected_line


def test_a_promise_longer_than_the_law_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    path = directory / "items" / "market.yaml"
    path.write_text(
        path.read_text().replace("promised_limit_days: 5", "promised_limit_days: 15", 1)
    )
    assert "不能超过法定时限" in str(_refused(directory))


def test_duplicate_item_codes_across_files_name_both_places(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    path = directory / "items" / "others.yaml"
    path.write_text(path.read_text().replace("code: WGLY-001", "code: SCJG-GT-001", 1))
    error = _refused(directory)
    assert error.path == path
    assert "market.yaml" in error.problems[0].message


def test_unknown_department_hall_parent_and_bundle_item_are_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    others = directory / "items" / "others.yaml"
    others.write_text(others.read_text().replace("department: WGLY,", "department: NOPE,", 1))
    assert "NOPE" in str(_refused(directory))
    shutil.copy(CATALOG / "items" / "others.yaml", others)
    bundles = directory / "bundles.yaml"
    bundles.write_text(bundles.read_text().replace("SCJG-SP-001]", "SCJG-XX-001]", 1))
    error = _refused(directory)
    assert error.path == bundles
    assert "SCJG-XX-001" in str(error)
