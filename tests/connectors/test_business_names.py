from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.names import (
    NameParts,
    comparison_key,
    names_identical,
    names_similar,
    split_name,
)

EXISTING = "泰州市海陵区张记小吃店"


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("泰州市海陵区张记小吃店", NameParts("张记", "小吃", "店")),
        ("兴化市宏兴化工店", NameParts("宏兴化工", "", "店")),
        ("靖江市老杨照相馆", NameParts("老杨", "照相", "馆")),
        ("泰兴市福满汽车修理厂", NameParts("福满", "汽车修理", "厂")),
        ("张记(海陵)小吃店", NameParts("张记", "小吃", "店")),
        ("小吃店张记", NameParts("张记", "小吃", "店")),
        ("鸿运五金经营部", NameParts("鸿运", "五金", "经营部")),
        ("鸿运五金商行", NameParts("鸿运", "五金", "商行")),
        ("五金鸿运店", NameParts("鸿运", "五金", "店")),
        ("鸿运超市", NameParts("鸿运", "超市", "")),
        ("花园店", NameParts("花园", "", "店")),
        ("泰州市海陵区", NameParts("", "", "")),
    ],
)
def test_split_name_separates_trade_name_from_industry(name: str, parts: NameParts) -> None:
    assert split_name(name) == parts


@pytest.mark.parametrize(
    "other",
    [
        "泰州市海陵区张记小吃店",
        "海陵区张记小吃店",
        "张记小吃店（泰州市海陵区）",
        "张记(海陵)小吃店",
        "泰州市海陵区 张记 小吃店。",
        "泰州市海陵区小吃店张记",
        "【海陵】张记\u3000小吃店",
        "泰州市海陵区张记小吃馆",
        "张记小吃部",
        "小吃张记店",
    ],
)
def test_identical_names(other: str) -> None:
    assert names_identical(EXISTING, other)
    assert not names_similar(EXISTING, other)


@pytest.mark.parametrize(
    "other",
    [
        "鸿运五金店",
        "鸿运五金商行",
        "鸿运五金经营部",
        "鸿运五金行",
        "鸿运五金部",
        "泰州市海陵区鸿运五金商行",
        "五金鸿运店",
        "五金店鸿运",
        "鸿运五金商行（海陵）",
        "鸿运(泰州)五金经营部",
        "鸿运海陵区五金行",
    ],
)
def test_the_same_trade_name_and_industry_with_another_organisation_form_is_identical(
    other: str,
) -> None:
    """比对规则: 字号 and 行业 the same, 组织形式, order or 行政区划 placement aside."""
    assert names_identical("泰州市海陵区鸿运五金店", other)
    assert names_identical(other, "泰州市海陵区鸿运五金店")
    assert not names_similar("泰州市海陵区鸿运五金店", other)
    assert comparison_key(other) == comparison_key("鸿运五金店")


def test_the_same_characters_in_another_order_are_another_trade_name() -> None:
    assert not names_identical("华美五金店", "美华五金店")
    assert not names_similar("华美五金店", "美华五金店")
    assert comparison_key("华美五金店") != comparison_key("美华五金店")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("鸿运五金店", "鸿运建材经营部"),  # same 字号, another 行业
        ("鸿运五金店", "鸿运小吃店"),
        ("鸿运五金店", "大鸿运五金店"),  # one 字号 contains the other
        ("鸿运五金店", "鸿运来五金商行"),
    ],
)
def test_the_same_trade_name_in_another_industry_or_contained_stays_similar(a: str, b: str) -> None:
    assert not names_identical(a, b)
    assert names_similar(a, b)


@pytest.mark.parametrize(
    "other",
    [
        "泰州市海陵区张记面馆",
        "泰州市海陵区张记店",
        "泰州市海陵区老张记小吃店",
        "泰州市海陵区张记烧烤城",
    ],
)
def test_similar_names(other: str) -> None:
    assert not names_identical(EXISTING, other)
    assert names_similar(EXISTING, other)
    assert names_similar(other, EXISTING)


@pytest.mark.parametrize(
    "other", ["泰州市海陵区李记小吃店", "泰州市海陵区张小吃店", "泰州市海陵区记张小吃店"]
)
def test_different_names(other: str) -> None:
    assert not names_identical(EXISTING, other)
    assert not names_similar(EXISTING, other)


_NOISE = st.lists(
    st.sampled_from([" ", "\u3000", "·", "、", "-", "(", ")", "。", "\t"]), max_size=3
)


@given(st.lists(_NOISE, min_size=len(EXISTING) + 1, max_size=len(EXISTING) + 1))
def test_whitespace_and_punctuation_never_make_a_name_new(noise: list[list[str]]) -> None:
    gaps = ["".join(chars) for chars in noise]
    noisy = "".join(gap + ch for gap, ch in zip(gaps, EXISTING, strict=False)) + gaps[-1]
    assert names_identical(EXISTING, noisy)


@given(st.text(alphabet="张李记老小吃店面馆福满泰州市海陵区", max_size=12))
def test_identical_and_similar_are_symmetric_and_exclusive(other: str) -> None:
    assert names_identical(EXISTING, other) == names_identical(other, EXISTING)
    assert names_similar(EXISTING, other) == names_similar(other, EXISTING)
    assert not (names_identical(EXISTING, other) and names_similar(EXISTING, other))
