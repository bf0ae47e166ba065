from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from approval.catalog import (
    ScopeCatalog,
    ScopeKind,
    ScopeTag,
    load_scope_catalog,
)
from approval.kernel.rule_data import RuleDataError

SHIPPED = Path(__file__).resolve().parents[2] / "rules" / "catalog" / "scope.yaml"


@pytest.fixture(scope="module")
def catalog() -> ScopeCatalog:
    return load_scope_catalog(SHIPPED)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scope.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def refused(path: Path) -> RuleDataError:
    with pytest.raises(RuleDataError) as caught:
        load_scope_catalog(path)
    assert caught.value.path == path
    assert str(path) in str(caught.value)
    return caught.value


# ── the shipped catalogue ────────────────────────────────────────────────────


def test_shipped_catalogue_has_enough_entries_of_every_kind(catalog: ScopeCatalog) -> None:
    assert len(catalog) >= 70
    kinds = {item.kind for item in catalog}
    assert kinds == set(ScopeKind)
    by_kind = {kind: [i for i in catalog if i.kind is kind] for kind in ScopeKind}
    assert len(by_kind[ScopeKind.POST_PERMIT]) >= 12
    assert 2 <= len(by_kind[ScopeKind.PRE_APPROVAL]) <= 4
    assert 1 <= len(by_kind[ScopeKind.FILING]) <= 2
    assert len(by_kind[ScopeKind.CLOSED]) >= 6


def test_shipped_codes_are_unique_and_catalogue_style(catalog: ScopeCatalog) -> None:
    codes = [item.code for item in catalog]
    assert len(codes) == len(set(codes))
    assert all(len(code) == 5 and code[0].isupper() and code[1:].isdigit() for code in codes)


def test_every_permit_item_names_its_permit_and_authority(catalog: ScopeCatalog) -> None:
    for item in catalog:
        if item.kind in (ScopeKind.POST_PERMIT, ScopeKind.PRE_APPROVAL, ScopeKind.FILING):
            assert item.permit, item.code
            assert item.authority, item.code
        if item.kind is ScopeKind.CLOSED:
            assert item.basis is not None, item.code
            assert "《" in item.basis, item.code
            assert not item.open_to_individuals


@pytest.mark.parametrize(
    ("title", "kind", "authority"),
    [
        ("餐饮服务", ScopeKind.POST_PERMIT, "市场监督管理局"),
        ("食品销售（仅销售预包装食品）", ScopeKind.FILING, "市场监督管理局"),
        ("出版物零售", ScopeKind.POST_PERMIT, "文化广电和旅游局"),
        ("烟草制品零售", ScopeKind.POST_PERMIT, "烟草专卖局"),
        ("药品零售", ScopeKind.POST_PERMIT, "市场监督管理局"),
        ("道路货物运输（不含危险货物）", ScopeKind.POST_PERMIT, "交通运输局"),
        ("旅馆业", ScopeKind.POST_PERMIT, "公安局"),
        ("娱乐性场所经营活动", ScopeKind.POST_PERMIT, "文化广电和旅游局"),
        ("日用百货销售", ScopeKind.GENERAL, None),
        ("理发服务", ScopeKind.GENERAL, None),
    ],
)
def test_standard_items_have_the_expected_kind(
    catalog: ScopeCatalog, title: str, kind: ScopeKind, authority: str | None
) -> None:
    (item,) = [i for i in catalog if i.title == title]
    assert item.kind is kind
    assert item.authority == authority


@pytest.mark.parametrize(
    ("title", "basis"),
    [
        ("快递服务", "《邮政法》第五十二条"),
        ("互联网上网服务", "《互联网上网服务营业场所管理条例》第八条"),
        ("机动车驾驶员培训", "《道路运输条例》第三十八条"),
    ],
)
def test_items_closed_to_individuals_cite_the_law(
    catalog: ScopeCatalog, title: str, basis: str
) -> None:
    (item,) = [i for i in catalog if i.title == title]
    assert item.kind is ScopeKind.CLOSED
    assert item.basis is not None
    assert item.basis.startswith(basis)


def test_tags_mark_fumes_entertainment_premises_and_food(catalog: ScopeCatalog) -> None:
    def titles(tag: ScopeTag) -> set[str]:
        return {item.title for item in catalog if tag in item.tags}

    assert "餐饮服务" in titles(ScopeTag.FUMES)
    assert "餐饮服务（不产生油烟、异味、废气）" not in titles(ScopeTag.FUMES)
    assert titles(ScopeTag.FUMES) <= titles(ScopeTag.FOOD)
    assert {"娱乐性场所经营活动", "互联网上网服务"} <= titles(ScopeTag.ENTERTAINMENT)
    assert "理发服务" in titles(ScopeTag.PHYSICAL_PREMISES_REQUIRED)
    assert "日用百货销售" not in titles(ScopeTag.PHYSICAL_PREMISES_REQUIRED)


def test_get_is_forgiving_about_case_and_spaces(catalog: ScopeCatalog) -> None:
    item = catalog.get(" h2001 ")
    assert item is not None
    assert item.title == "餐饮服务"
    assert catalog["H2001"] is item
    assert "H2001" in catalog
    assert catalog.get("Z9999") is None
    assert "Z9999" not in catalog
    with pytest.raises(KeyError):
        catalog["Z9999"]


# ── suggestions ──────────────────────────────────────────────────────────────


def test_suggests_catering_for_free_text(catalog: ScopeCatalog) -> None:
    suggestions = catalog.suggest("餐饮")
    assert suggestions[0].title == "餐饮服务"
    assert "餐饮服务（不产生油烟、异味、废气）" in [item.title for item in suggestions]


def test_suggests_by_common_words(catalog: ScopeCatalog) -> None:
    assert catalog.suggest("网吧")[0].title == "互联网上网服务"
    assert catalog.suggest("卖水果")[0].title == "新鲜水果零售"


def test_suggests_the_intended_code_for_a_mistyped_one(catalog: ScopeCatalog) -> None:
    assert catalog.suggest("F1O01")[0].code == "F1001"
    assert catalog.suggest("h2001")[0].code == "H2001"
    close = catalog.suggest("F1091", limit=3)
    assert len(close) == 3
    assert all(item.code.startswith("F10") for item in close)


def test_suggest_returns_nothing_for_blank_or_unrelated_text(catalog: ScopeCatalog) -> None:
    assert catalog.suggest("   ") == []
    assert catalog.suggest("量子引力") == []


# ── malformed files are refused with file and line ───────────────────────────


def test_bad_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        items:
          - {code: F1001, title: 日用百货销售, kind: general}
          - {code: F1002, title: 服装服饰零售, kind: general
          - {code: F1003, title: 鞋帽零售, kind: general}
        """,
    )
    error = refused(path)
    assert error.line in (3, 4)
    assert "花括号 { 没有闭合" in str(error)


def test_unknown_kind_is_refused_at_its_line_with_a_suggestion(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        items:
          - code: F1001
            title: 日用百货销售
            kind: general
          - code: F1002
            title: 服装服饰零售
            kind: genral
        """,
    )
    error = refused(path)
    assert error.line == 7
    assert "genral" in str(error)
    assert "general" in str(error)
    assert f"{path}:7:" in str(error)


def test_missing_title_is_refused_at_the_item(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        items:
          - {code: F1001, title: 日用百货销售, kind: general}
          - code: F1002
            kind: general
        """,
    )
    error = refused(path)
    assert error.line == 3
    assert "title" in str(error)


def test_duplicate_code_is_refused_naming_both_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        items:
          - {code: F1001, title: 日用百货销售, kind: general}
          - {code: F1002, title: 服装服饰零售, kind: general}
          - {code: F1001, title: 鞋帽零售, kind: general}
        """,
    )
    error = refused(path)
    assert error.line == 4
    assert "F1001" in str(error)
    assert "第 2 行" in str(error)
    assert "第 4 行" in str(error)


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        items:
          - {code: F1001, kind: general}
          - {code: F1002, title: 服装服饰零售, kind: unknown}
          - {code: F1003, title: 鞋帽零售, kind: general, colour: red}
        """,
    )
    error = refused(path)
    assert [problem.line for problem in error.problems] == [2, 3, 4]
    assert "colour" in str(error)


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("items:\n  - {code: 1053, title: 日用百货销售, kind: general}\n", 2, "code"),
        ("items:\n  - {code: F10, title: 日用百货销售, kind: general}\n", 2, "F10"),
        ("items:\n  - {code: F1001, title: '', kind: general}\n", 2, "title"),
        (
            "items:\n  - {code: F1001, title: 日用百货销售, kind: general, tags: [noisy]}\n",
            2,
            "noisy",
        ),
        ("items:\n  - {code: H2001, title: 餐饮服务, kind: post_permit}\n", 2, "permit"),
        ("items:\n  - {code: G3001, title: 快递服务, kind: closed}\n", 2, "basis"),
        (
            "items:\n  - code: F1001\n    title: 日用百货销售\n    kind: general\n    permit: 无\n",
            2,
            "permit",
        ),
        (
            "items:\n  - code: F1001\n    code: F1002\n    title: 百货\n    kind: general\n",
            3,
            "code",
        ),
        ("items: []\n", 1, "items"),
        ("things: []\n", 1, "things"),
        ("# nothing here\n", 1, "空"),
    ],
)
def test_malformed_entries_are_refused(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    error = refused(write(tmp_path, text))
    assert error.line == line
    assert fragment in str(error)


def test_missing_file_is_refused_with_its_name(tmp_path: Path) -> None:
    error = refused(tmp_path / "scope.yaml")
    assert error.line is None
