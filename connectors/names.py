"""How the stub market-supervision registry compares business names (比对规则 〔2017〕133号).

A 个体工商户 name is 行政区划 + 字号 + 行业 + 组织形式. Two names at the same authority are
*identical* when, ignoring whitespace, punctuation and where the 行政区划 stands, they have the
same 字号 and the same 行业/组织形式 (in any order). They are *similar* when the 字号 is the same
but the 行业/组织形式 differs, or when one 字号 contains the other.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Longest first, so 泰州市海陵区 is removed as a whole rather than leaving 海陵区 behind.
REGION_TOKENS: tuple[str, ...] = (
    "江苏省",
    "泰州市",
    "海陵区",
    "高港区",
    "姜堰区",
    "兴化市",
    "靖江市",
    "泰兴市",
)
# Bare names are only removed in brackets (宏兴化工 must keep its 兴化), and not when the
# brackets merely interrupt a full name such as 泰州市(海陵)区.
_BARE_REGIONS = ("泰州", "海陵", "高港", "姜堰", "兴化", "靖江", "泰兴")
_BRACKETED_REGION = re.compile(
    r"[(\[【〔]\s*(?:" + "|".join(_BARE_REGIONS) + r")\s*[)\]】〕](?![\W_]*[区市])"
)

# 行业 + 组织形式 endings the registry knows; anything else falls back to a bare 组织形式.
INDUSTRY_SUFFIXES: tuple[str, ...] = (
    "小吃店",
    "餐饮店",
    "饭店",
    "面馆",
    "菜馆",
    "茶馆",
    "火锅店",
    "烧烤店",
    "早餐店",
    "包子铺",
    "水果店",
    "便利店",
    "超市",
    "烟酒店",
    "副食品店",
    "粮油店",
    "服装店",
    "鞋店",
    "理发店",
    "美容美发店",
    "洗衣店",
    "五金店",
    "建材经营部",
    "装饰材料经营部",
    "电器维修部",
    "手机维修部",
    "家电经营部",
    "日用品商行",
    "百货商行",
    "农资经营部",
    "汽车修理厂",
    "汽车美容店",
    "文具店",
    "花店",
    "药店",
    "眼镜店",
    "照相馆",
    "摄影工作室",
    "广告工作室",
    "打印店",
    "家政服务部",
    "水产品经营部",
    "蔬菜店",
    "肉品店",
    "糕点店",
    "奶茶店",
    "网店",
)
ORGANISATION_FORMS: tuple[str, ...] = (
    "工作室",
    "经营部",
    "服务部",
    "中心",
    "商行",
    "店",
    "馆",
    "部",
    "行",
    "厂",
    "坊",
    "铺",
    "社",
    "室",
    "站",
    "场",
    "所",
    "屋",
    "吧",
)
_SUFFIXES = tuple(sorted({*INDUSTRY_SUFFIXES, *ORGANISATION_FORMS}, key=len, reverse=True))
_NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class NameParts:
    """A name with its 行政区划 removed: the 字号 (``trade``) and the 行业/组织形式 (``suffix``)."""

    trade: str
    suffix: str


def normalise_name(name: str) -> str:
    """The name without 行政区划, whitespace or punctuation, in NFKC form."""
    text = unicodedata.normalize("NFKC", name)
    text = _NOT_WORD.sub("", _BRACKETED_REGION.sub("", text))
    for token in REGION_TOKENS:
        text = text.replace(token, "")
    return text


def split_name(name: str) -> NameParts:
    """Split a name into 字号 and 行业/组织形式; a suffix written first is accepted too."""
    body = normalise_name(name)
    for suffix in _SUFFIXES:
        if body.endswith(suffix) and len(body) > len(suffix):
            return NameParts(trade=body[: -len(suffix)], suffix=suffix)
    for suffix in _SUFFIXES:
        if body.startswith(suffix) and len(body) > len(suffix):
            return NameParts(trade=body[len(suffix) :], suffix=suffix)
    return NameParts(trade=body, suffix="")


def names_identical(a: str, b: str) -> bool:
    if normalise_name(a) == normalise_name(b):
        return True
    return split_name(a) == split_name(b)


def names_similar(a: str, b: str) -> bool:
    """Same 字号 with a different ending, or one 字号 (of 2+ characters) containing the other.

    Identical names are not reported as similar.
    """
    if names_identical(a, b):
        return False
    pa, pb = split_name(a), split_name(b)
    if not pa.trade or not pb.trade:
        return False
    if pa.trade == pb.trade:
        return True
    shorter, longer = sorted((pa.trade, pb.trade), key=len)
    return len(shorter) >= 2 and shorter in longer
