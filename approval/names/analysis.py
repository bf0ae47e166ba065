"""Analysis of an optional 个体工商户 name into the plain facts the name rules (R15–R21) compare.

A name is 行政区划 + 字号 + 行业 + 组织形式, e.g. 泰州市海陵区张记小吃店. The word lists live in
``rules/words/`` and are maintained by registry staff; this module only reads them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from approval.kernel.rule_data import Problem, RuleDataError, line_at, read_rule_data

__all__ = [
    "Division",
    "NameAnalysis",
    "NameLexicon",
    "ProhibitedCategory",
    "analyse_name",
    "load_name_lexicon",
]

# 〇 is a 规范汉字 outside the unified-ideograph block; extension blocks are rare characters.
_STANDARD_CHARS = re.compile(r"[\u3007\u4e00-\u9fff]")
_LOCALITY = re.compile(r"^[\u4e00-\u9fff]{2,4}?(?:街道|镇|乡)")
_FOREIGN_DISTRICT = re.compile(r"^[\u4e00-\u9fff]{1,4}?[区县]")


def _is_standard_text(text: str) -> bool:
    return all(_STANDARD_CHARS.fullmatch(ch) for ch in text)


def _check_word(word: str) -> str:
    if not _is_standard_text(word):
        raise ValueError(f"{word!r} 不是规范汉字词语（只能写汉字，不能有字母、数字、空格或标点）")
    return word


def _check_character(char: str) -> str:
    if len(char) != 1 or not _is_standard_text(char):
        raise ValueError(f"{char!r} 应为单个汉字")
    return char


Word = Annotated[
    str,
    StringConstraints(strict=True, strip_whitespace=True, min_length=1, max_length=20),
    AfterValidator(_check_word),
]
Character = Annotated[str, StringConstraints(strict=True), AfterValidator(_check_character)]
Text = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1)]
DivisionCode = Annotated[str, StringConstraints(strict=True, pattern=r"^\d{6}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProhibitedCategory(_Strict):
    id: Annotated[str, StringConstraints(strict=True, pattern=r"^[a-z][a-z0-9_]*$")]
    name: Text
    reason: Text
    words: tuple[Word, ...] = Field(min_length=1)


class Division(_Strict):
    code: DivisionCode
    name: Word
    short: Word


class _ProhibitedFile(_Strict):
    categories: tuple[ProhibitedCategory, ...] = Field(min_length=1)


class _WordGroup(_Strict):
    reason: Text
    words: tuple[Word, ...] = Field(min_length=1)


class _RestrictedFile(_Strict):
    leading: _WordGroup
    superlatives: _WordGroup


class _OrgFormsFile(_Strict):
    allowed: tuple[Word, ...] = Field(min_length=1)
    forbidden: tuple[Word, ...] = Field(min_length=1)


class _Jurisdiction(_Strict):
    province: Division
    city: Division
    districts: tuple[Division, ...] = Field(min_length=1)


class _OtherDivisions(_Strict):
    provinces: tuple[Word, ...] = ()
    cities: tuple[Word, ...] = ()


class _DivisionsFile(_Strict):
    jurisdiction: _Jurisdiction
    others: _OtherDivisions = _OtherDivisions()


class _IndustriesFile(_Strict):
    words: tuple[Word, ...] = Field(min_length=1)


class _TraditionalFile(_Strict):
    characters: dict[Character, Character]


@dataclass(frozen=True, eq=False)
class NameLexicon:
    """The word lists of ``rules/words/``, checked and ready for `analyse_name`."""

    prohibited: tuple[ProhibitedCategory, ...]
    restricted_leading: tuple[str, ...]
    restricted_leading_reason: str
    superlatives: tuple[str, ...]
    superlatives_reason: str
    allowed_org_forms: frozenset[str]
    forbidden_org_forms: frozenset[str]
    province: Division
    city: Division
    districts: tuple[Division, ...]
    other_provinces: tuple[str, ...]
    other_cities: tuple[str, ...]
    industries: tuple[str, ...]
    traditional: Mapping[str, str]
    _to_simplified: dict[int, str] = field(init=False, repr=False, compare=False)
    _division_words: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_to_simplified", str.maketrans(dict(self.traditional)))
        words = {self.province.name, self.province.short, self.city.name, self.city.short}
        for district in self.districts:
            words |= {district.name, district.short}
        for other in (*self.other_provinces, *self.other_cities):
            words.add(other)
            if len(other) > 2 and other[-1] in "省市":
                words.add(other[:-1])
        object.__setattr__(self, "_division_words", tuple(sorted(words)))

    def normalise(self, text: str) -> str:
        """The text as the word checks see it: NFKC, simplified, standard characters only."""
        simplified = unicodedata.normalize("NFKC", text).translate(self._to_simplified)
        return "".join(_STANDARD_CHARS.findall(simplified))

    def is_standard_character(self, char: str) -> bool:
        return bool(_STANDARD_CHARS.fullmatch(char)) and char not in self.traditional

    def contains_division_name(self, text: str) -> bool:
        return any(word in text for word in self._division_words)


class NameAnalysis(BaseModel):
    """Facts about one name. For an absent name every problem flag is off and every check passes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    normalised: str
    present: bool
    charset_ok: bool
    invalid_characters: tuple[str, ...]
    prohibited_hits: tuple[str, ...]
    prohibited_categories: tuple[str, ...]
    prohibited_reasons: tuple[str, ...]  # of each category hit, from the word list
    prohibited_obfuscated: bool
    restricted_hit: bool
    restricted_words: tuple[str, ...]
    restricted_reasons: tuple[str, ...]  # of each group hit (leading words, superlatives)
    expected_division: str  # the premises' district with its city, e.g. 泰州市姜堰区
    division_prefix: str
    division_code: str
    division_matches_premises: bool
    locality: str
    trade_name: str
    trade_name_length: int
    trade_name_has_division: bool
    industry: str
    org_form: str
    org_form_allowed: bool
    org_form_forbidden: bool
    structure_ok: bool
    words: tuple[str, ...]


def load_name_lexicon(words_dir: Path | str) -> NameLexicon:
    """Load the word lists; raise `RuleDataError` naming the file and line of the first bad file."""
    words_dir = Path(words_dir)
    prohibited, prohibited_root = read_rule_data(words_dir / "prohibited.yaml", _ProhibitedFile)
    restricted, restricted_root = read_rule_data(words_dir / "restricted.yaml", _RestrictedFile)
    org_forms, org_forms_root = read_rule_data(words_dir / "org_forms.yaml", _OrgFormsFile)
    divisions, _ = read_rule_data(words_dir / "divisions.yaml", _DivisionsFile)
    industries, _ = read_rule_data(words_dir / "industries.yaml", _IndustriesFile)
    traditional, _ = read_rule_data(words_dir / "traditional.yaml", _TraditionalFile)

    both = set(org_forms.allowed) & set(org_forms.forbidden)
    if both:
        line = line_at(org_forms_root, ("forbidden",))
        message = f"组织形式同时列为可用和禁用：{'、'.join(sorted(both))}"
        raise RuleDataError(words_dir / "org_forms.yaml", [Problem(line, message)])

    # A listed word written with a traditional character could never match a normalised name.
    checks = [
        (words_dir / "prohibited.yaml", prohibited_root, ("categories", index, "words", at), word)
        for index, category in enumerate(prohibited.categories)
        for at, word in enumerate(category.words)
    ] + [
        (words_dir / "restricted.yaml", restricted_root, (group, "words", at), word)
        for group, words in (
            ("leading", restricted.leading.words),
            ("superlatives", restricted.superlatives.words),
        )
        for at, word in enumerate(words)
    ]
    for path, root, loc, word in checks:
        found = [ch for ch in word if ch in traditional.characters]
        if found:
            message = f"{word!r} 含繁体字 {'、'.join(found)}，请改为规范汉字"
            raise RuleDataError(path, [Problem(line_at(root, loc), message)])

    jurisdiction = divisions.jurisdiction
    return NameLexicon(
        prohibited=prohibited.categories,
        restricted_leading=restricted.leading.words,
        restricted_leading_reason=restricted.leading.reason,
        superlatives=restricted.superlatives.words,
        superlatives_reason=restricted.superlatives.reason,
        allowed_org_forms=frozenset(org_forms.allowed),
        forbidden_org_forms=frozenset(org_forms.forbidden),
        province=jurisdiction.province,
        city=jurisdiction.city,
        districts=jurisdiction.districts,
        other_provinces=divisions.others.provinces,
        other_cities=divisions.others.cities,
        industries=industries.words,
        traditional=dict(traditional.characters),
    )


def analyse_name(
    name: str | None, premises_district_code: str, lexicon: NameLexicon
) -> NameAnalysis:
    """Split a name into its parts and record what the name rules need to know about it."""
    raw = name or ""
    expected = _expected_division(premises_district_code, lexicon)
    if not raw.strip():
        return _absent(raw, expected)

    invalid = tuple(dict.fromkeys(ch for ch in raw if not lexicon.is_standard_character(ch)))
    text = lexicon.normalise(raw)

    hits: list[str] = []
    categories: list[str] = []
    prohibited_reasons: list[str] = []
    for category in lexicon.prohibited:
        matched = [word for word in category.words if word in text]
        if matched:
            hits.extend(matched)
            categories.append(category.id)
            prohibited_reasons.append(category.reason)

    prefix_end, district, division_matches = _division_prefix(text, premises_district_code, lexicon)
    rest = text[prefix_end:]
    locality_match = _LOCALITY.match(rest) if district is not None else None
    locality = locality_match.group() if locality_match else ""
    body = rest[len(locality) :]

    leading = [
        word
        for word in lexicon.restricted_leading
        if any(part.startswith(word) for part in (text, rest, body))
    ]
    superlatives = [word for word in lexicon.superlatives if word in text]
    restricted = leading + superlatives
    restricted_reasons = [
        reason
        for words, reason in (
            (leading, lexicon.restricted_leading_reason),
            (superlatives, lexicon.superlatives_reason),
        )
        if words
    ]

    org_form = _longest_suffix(body, lexicon.allowed_org_forms | lexicon.forbidden_org_forms)
    before_form = body[: len(body) - len(org_form)]
    industry, industry_segment = _industry(before_form, org_form, lexicon)
    trade_name = before_form[: len(before_form) - len(industry_segment)]

    org_form_allowed = org_form in lexicon.allowed_org_forms
    has_division = lexicon.contains_division_name(trade_name)
    return NameAnalysis(
        name=raw,
        normalised=text,
        present=True,
        charset_ok=not invalid,
        invalid_characters=invalid,
        prohibited_hits=tuple(hits),
        prohibited_categories=tuple(categories),
        prohibited_reasons=tuple(prohibited_reasons),
        prohibited_obfuscated=any(word not in raw for word in hits),
        restricted_hit=bool(restricted),
        restricted_words=tuple(dict.fromkeys(restricted)),
        restricted_reasons=tuple(restricted_reasons),
        expected_division=expected,
        division_prefix=text[:prefix_end],
        division_code=district.code if district is not None else "",
        division_matches_premises=division_matches,
        locality=locality,
        trade_name=trade_name,
        trade_name_length=len(trade_name),
        trade_name_has_division=has_division,
        industry=industry,
        org_form=org_form,
        org_form_allowed=org_form_allowed,
        org_form_forbidden=org_form in lexicon.forbidden_org_forms,
        structure_ok=(
            division_matches and len(trade_name) >= 2 and org_form_allowed and not has_division
        ),
        words=tuple(
            part
            for part in (text[:prefix_end], locality, trade_name, industry_segment, org_form)
            if part
        ),
    )


def _expected_division(premises_district_code: str, lexicon: NameLexicon) -> str:
    """The division a name at these premises begins with, e.g. 泰州市姜堰区 ("" outside the
    jurisdiction)."""
    code = premises_district_code.strip()
    for district in lexicon.districts:
        if district.code == code:
            return lexicon.city.name + district.name
    return ""


def _absent(raw: str, expected_division: str) -> NameAnalysis:
    return NameAnalysis(
        name=raw,
        normalised="",
        present=False,
        charset_ok=True,
        invalid_characters=(),
        prohibited_hits=(),
        prohibited_categories=(),
        prohibited_reasons=(),
        prohibited_obfuscated=False,
        restricted_hit=False,
        restricted_words=(),
        restricted_reasons=(),
        expected_division=expected_division,
        division_prefix="",
        division_code="",
        division_matches_premises=True,
        locality="",
        trade_name="",
        trade_name_length=0,
        trade_name_has_division=False,
        industry="",
        org_form="",
        org_form_allowed=True,
        org_form_forbidden=False,
        structure_ok=True,
        words=(),
    )


def _division_prefix(
    text: str, premises_district_code: str, lexicon: NameLexicon
) -> tuple[int, Division | None, bool]:
    """Where the leading division names end, the jurisdiction district named, and whether the
    prefix names the premises' district (optionally after 江苏省 and 泰州市) and nothing else."""
    position = 0
    foreign = False

    province = _longest_prefix(text, (lexicon.province.name, *lexicon.other_provinces))
    if province:
        foreign = province != lexicon.province.name
        position += len(province)
    city = _longest_prefix(text[position:], (lexicon.city.name, *lexicon.other_cities))
    if city:
        foreign = foreign or city != lexicon.city.name
        position += len(city)

    district: Division | None = None
    if not foreign:
        for candidate in lexicon.districts:
            if text.startswith(candidate.name, position):
                district = candidate
                position += len(candidate.name)
                break
    else:
        foreign_district = _FOREIGN_DISTRICT.match(text[position:])
        if foreign_district:
            position += len(foreign_district.group())

    matches = (
        district is not None and not foreign and district.code == premises_district_code.strip()
    )
    return position, district, matches


def _longest_prefix(text: str, candidates: tuple[str, ...]) -> str:
    found = [word for word in candidates if text.startswith(word)]
    return max(found, key=len, default="")


def _longest_suffix(text: str, candidates: frozenset[str]) -> str:
    found = [word for word in candidates if text.endswith(word)]
    return max(found, key=len, default="")


def _industry(before_form: str, org_form: str, lexicon: NameLexicon) -> tuple[str, str]:
    """The 行业 word and the part of `before_form` it covers.

    An industry word may run into the 组织形式 (面馆 in 老王面馆, where 馆 is the form), so a
    word matches either the end of `before_form` or the end of `before_form + org_form`.
    """
    best = ("", "")
    for word in lexicon.industries:
        if before_form.endswith(word):
            segment = word
        elif org_form and word.endswith(org_form) and (before_form + org_form).endswith(word):
            segment = word[: len(word) - len(org_form)]
        else:
            continue
        if (len(segment), len(word)) > (len(best[1]), len(best[0])):
            best = (word, segment)
    return best
