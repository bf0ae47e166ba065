from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.names import NameParts, names_identical, names_similar, split_name

EXISTING = "泰州市海陵区张记小吃店"


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("泰州市海陵区张记小吃店", NameParts("张记", "小吃店")),
        ("兴化市宏兴化工店", NameParts("宏兴化工", "店")),
        ("靖江市老杨照相馆", NameParts("老杨", "照相馆")),
        ("泰兴市福满汽车修理厂", NameParts("福满", "汽车修理厂")),
        ("张记(海陵)小吃店", NameParts("张记", "小吃店")),
        ("小吃店张记", NameParts("张记", "小吃店")),
        ("泰州市海陵区", NameParts("", "")),
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
    ],
)
def test_identical_names(other: str) -> None:
    assert names_identical(EXISTING, other)
    assert not names_similar(EXISTING, other)


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
