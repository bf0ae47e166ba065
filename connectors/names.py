"""How the stub market-supervision registry compares business names (比对规则 〔2017〕133号).

A 个体工商户 name is 行政区划 + 字号 + 行业 + 组织形式. Two names at the same authority are
*identical* when, ignoring whitespace, punctuation and where the 行政区划 stands, they have the
same 字号 and the same 行业, whatever their 组织形式 and in whichever order the words are written
(鸿运五金店, 鸿运五金商行, 五金店鸿运 are one name). They are *similar* when the 字号 is the same
but the 行业 differs, or when one 字号 (of 2+ characters) contains the other.
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

# 行业 + 组织形式 endings the seeded registry's names are made of (the world generator picks
# from these, in this order: keep it, or the seed files change).
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
    "门市部",
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
    "堂",
    "园",
    "摊",
    "庄",
    "阁",
    "轩",
    "居",
    "苑",
)
_FORMS = tuple(sorted(ORGANISATION_FORMS, key=len, reverse=True))


def _industry_of(suffix: str) -> str:
    for form in _FORMS:
        if suffix.endswith(form) and len(suffix) > len(form):
            return suffix[: -len(form)]
    return suffix


# The 行业 words: those of the endings above (五金 of 五金店, 超市 of 超市) and a few more.
INDUSTRY_WORDS: tuple[str, ...] = tuple(
    sorted(
        {*map(_industry_of, INDUSTRY_SUFFIXES), "餐饮", "百货", "便利", "美容", "美发", "维修"},
        key=lambda word: (-len(word), word),
    )
)
# A 行业 written before the 字号 is recognised only from two characters: a one-character word
# at the start is more often part of the 字号 (花园 is not 花 + 园).
_LEADING_INDUSTRY_WORDS = tuple(word for word in INDUSTRY_WORDS if len(word) >= 2)
_NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class NameParts:
    """A name without its 行政区划: 字号 (``trade``), 行业 (``industry``), 组织形式 (``form``)."""

    trade: str
    industry: str = ""
    form: str = ""

    @property
    def suffix(self) -> str:
        """行业 + 组织形式, as written after the 字号 (五金店)."""
        return self.industry + self.form

    @property
    def key(self) -> tuple[str, str]:
        """What identical names share: 字号 and 行业 (比对规则: 组织形式 and order aside)."""
        return (self.trade, self.industry)


def normalise_name(name: str) -> str:
    """The name without 行政区划, whitespace or punctuation, in NFKC form."""
    text = unicodedata.normalize("NFKC", name)
    text = _NOT_WORD.sub("", _BRACKETED_REGION.sub("", text))
    for token in REGION_TOKENS:
        text = text.replace(token, "")
    return text


def _strip_end(text: str, words: tuple[str, ...]) -> tuple[str, str]:
    for word in words:
        if text.endswith(word) and len(text) > len(word):
            return text[: -len(word)], word
    return text, ""


def _strip_start(text: str, words: tuple[str, ...]) -> tuple[str, str]:
    for word in words:
        if text.startswith(word) and len(text) > len(word):
            return text[len(word) :], word
    return text, ""


def split_name(name: str) -> NameParts:
    """Split a name into 字号, 行业 and 组织形式, read from the end (张记小吃店) or, for the words
    not found there, from the start (小吃店张记, 五金鸿运店)."""
    trade = normalise_name(name)
    trade, form = _strip_end(trade, _FORMS)
    trade, industry = _strip_end(trade, INDUSTRY_WORDS)
    if not industry:
        trade, industry = _strip_start(trade, _LEADING_INDUSTRY_WORDS)
        if industry and not form:
            trade, form = _strip_start(trade, _FORMS)
    return NameParts(trade=trade, industry=industry, form=form)


def comparison_key(name: str) -> str:
    """One text per name that identical names share (字号 and 行业), for indexes and lookups."""
    trade, industry = split_name(name).key
    return f"{trade}|{industry}"


def names_identical(a: str, b: str) -> bool:
    return split_name(a).key == split_name(b).key


def trades_similar(a: str, b: str) -> bool:
    """The same 字号, or one 字号 (of 2+ characters) containing the other."""
    if not a or not b:
        return False
    shorter, longer = sorted((a, b), key=len)
    return a == b or (len(shorter) >= 2 and shorter in longer)


def names_similar(a: str, b: str) -> bool:
    """Same 字号 with a different 行业, or one 字号 (of 2+ characters) containing the other.

    Identical names are not reported as similar.
    """
    pa, pb = split_name(a), split_name(b)
    if pa.key == pb.key:
        return False
    return trades_similar(pa.trade, pb.trade)
