from __future__ import annotations

import shutil
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from approval.kernel.rule_data import RuleDataError
from approval.names import NameAnalysis, NameLexicon, analyse_name, load_name_lexicon

WORDS = Path(__file__).resolve().parents[2] / "rules" / "words"
HAILING = "321202"
XINGHUA = "321281"


@pytest.fixture(scope="module")
def lexicon() -> NameLexicon:
    return load_name_lexicon(WORDS)


def analyse(name: str | None, lexicon: NameLexicon, district: str = HAILING) -> NameAnalysis:
    return analyse_name(name, district, lexicon)


# ── clean names ──────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("name", "district", "prefix", "trade_name", "industry", "org_form"),
    [
        ("泰州市海陵区张记小吃店", HAILING, "泰州市海陵区", "张记", "小吃", "店"),
        ("海陵区老王面馆", HAILING, "海陵区", "老王", "面馆", "馆"),
        ("江苏省泰州市海陵区张记小吃店", HAILING, "江苏省泰州市海陵区", "张记", "小吃", "店"),
        ("兴化市李家超市", XINGHUA, "兴化市", "李家", "超市", "超市"),
        ("海陵区张记锅盔店", HAILING, "海陵区", "张记锅盔", "", "店"),
    ],
)
def test_clean_name_passes_every_check(
    lexicon: NameLexicon,
    name: str,
    district: str,
    prefix: str,
    trade_name: str,
    industry: str,
    org_form: str,
) -> None:
    result = analyse(name, lexicon, district)
    assert result.present
    assert result.charset_ok
    assert result.prohibited_hits == ()
    assert not result.prohibited_obfuscated
    assert not result.restricted_hit
    assert result.division_prefix == prefix
    assert result.division_code == district
    assert result.division_matches_premises
    assert (result.trade_name, result.industry, result.org_form) == (trade_name, industry, org_form)
    assert result.trade_name_length == len(trade_name)
    assert result.org_form_allowed
    assert not result.org_form_forbidden
    assert result.structure_ok
    assert "".join(result.words) == result.normalised == name


def test_words_split_an_industry_that_runs_into_the_org_form(lexicon: NameLexicon) -> None:
    assert analyse("海陵区老王面馆", lexicon).words == ("海陵区", "老王", "面", "馆")


def test_street_after_the_division_is_not_part_of_the_trade_name(lexicon: NameLexicon) -> None:
    result = analyse("海陵区城东街道张记便利店", lexicon)
    assert result.locality == "城东街道"
    assert result.trade_name == "张记"
    assert result.industry == "便利店"
    assert result.structure_ok


def test_absent_name_is_skipped_not_failed(lexicon: NameLexicon) -> None:
    for name in (None, "", "   "):
        result = analyse(name, lexicon)
        assert not result.present
        assert result.charset_ok
        assert result.structure_ok
        assert result.division_matches_premises
        assert result.prohibited_hits == ()
        assert not result.restricted_hit
        assert result.words == ()


# ── prohibited words ─────────────────────────────────────────────────────────


def test_every_prohibited_category_is_caught(lexicon: NameLexicon) -> None:
    for category in lexicon.prohibited:
        for word in category.words:
            result = analyse(f"海陵区{word}小吃店", lexicon)
            assert word in result.prohibited_hits, word
            assert category.id in result.prohibited_categories, word
            assert not result.prohibited_obfuscated, word


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("海陵区支那小吃店", "political_negative"),
        ("海陵区东突烧烤店", "terrorism_separatism"),
        ("海陵区大东亚服装店", "colonial"),
        ("海陵区帝王足浴店", "feudal"),
        ("海陵区雷锋五金店", "leaders_martyrs"),
        ("海陵区秦桧小吃店", "notorious"),
        ("海陵区解放军服装店", "military"),
        ("海陵区战略研究工作室", "ideological"),
    ],
)
def test_domain_examples_are_caught_by_category(
    lexicon: NameLexicon, name: str, category: str
) -> None:
    assert category in analyse(name, lexicon).prohibited_categories


@pytest.mark.parametrize(
    "name",
    [
        "毛 泽 东小吃店",
        "海陵区毛\u200b泽东小吃店",
        "海陵区毛·泽·东小吃店",
        "海陵区毛澤東小吃店",
        "海陵区毛ｚ泽东小吃店",
    ],
)
def test_obfuscated_prohibited_word_is_caught_and_flagged(lexicon: NameLexicon, name: str) -> None:
    result = analyse(name, lexicon)
    assert result.prohibited_hits == ("毛泽东",)
    assert result.prohibited_categories == ("leaders_martyrs",)
    assert result.prohibited_obfuscated
    assert not result.charset_ok


def test_plain_hit_is_not_flagged_obfuscated(lexicon: NameLexicon) -> None:
    result = analyse("海陵区毛泽东小吃店", lexicon)
    assert result.prohibited_hits == ("毛泽东",)
    assert not result.prohibited_obfuscated
    assert result.charset_ok


# ── restricted words ─────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("name", "word"),
    [
        ("中华老王面馆", "中华"),
        ("海陵区中华老王面馆", "中华"),
        ("泰州市海陵区中国张记小吃店", "中国"),
        ("海陵区国际服装店", "国际"),
        ("海陵区老王最佳面馆", "最佳"),
        ("海陵区国家级美容店", "国家级"),
    ],
)
def test_restricted_words_are_caught(lexicon: NameLexicon, name: str, word: str) -> None:
    result = analyse(name, lexicon)
    assert result.restricted_hit
    assert word in result.restricted_words


def test_restricted_word_in_mid_name_is_allowed(lexicon: NameLexicon) -> None:
    result = analyse("海陵区张记中国结店", lexicon)
    assert not result.restricted_hit


# ── organisation form ────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("name", "form"),
    [
        ("海陵区张记小吃有限公司", "有限公司"),
        ("张记小吃有限公司", "有限公司"),
        ("海陵区张记小吃公司", "公司"),
        ("海陵区张记农民专业合作社", "农民专业合作社"),
        ("海陵区张记合作社", "合作社"),
        ("海陵区张记集团", "集团"),
    ],
)
def test_forbidden_org_form_is_caught(lexicon: NameLexicon, name: str, form: str) -> None:
    result = analyse(name, lexicon)
    assert result.org_form == form
    assert result.org_form_forbidden
    assert not result.org_form_allowed
    assert not result.structure_ok
    assert result.trade_name == "张记"


def test_name_without_a_known_org_form(lexicon: NameLexicon) -> None:
    result = analyse("海陵区张记小吃", lexicon)
    assert result.org_form == ""
    assert not result.org_form_allowed
    assert not result.org_form_forbidden
    assert not result.structure_ok


# ── characters ───────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("海陵区ABC小吃店", ("A", "B", "C")),
        ("海陵区张记8号小吃店", ("8",)),
        ("海陵区Zhangji小吃店", ("Z", "h", "a", "n", "g", "j", "i")),
        ("海陵区张记（二店）", ("（", "）")),
        ("海陵区 张记小吃店", (" ",)),
        ("海陵区張記小吃店", ("張", "記")),
        ("海陵区张记ｘｉａｏ吃店", ("ｘ", "ｉ", "ａ", "ｏ")),
    ],
)
def test_non_standard_characters_fail_the_charset(
    lexicon: NameLexicon, name: str, bad: tuple[str, ...]
) -> None:
    result = analyse(name, lexicon)
    assert not result.charset_ok
    assert result.invalid_characters == bad


def test_name_with_nothing_standard_left(lexicon: NameLexicon) -> None:
    result = analyse("ABC 123", lexicon)
    assert result.present
    assert not result.charset_ok
    assert result.normalised == ""
    assert result.words == ()
    assert not result.structure_ok


# ── structure ────────────────────────────────────────────────────────────────


def test_missing_division_prefix_fails_the_structure(lexicon: NameLexicon) -> None:
    result = analyse("老王面馆", lexicon)
    assert result.division_prefix == ""
    assert not result.division_matches_premises
    assert not result.structure_ok
    assert result.trade_name == "老王"


@pytest.mark.parametrize(
    ("name", "prefix"),
    [
        ("扬州市江都区张记小吃店", "扬州市江都区"),
        ("南京市张记小吃店", "南京市"),
        ("浙江省台州市椒江区张记小吃店", "浙江省台州市椒江区"),
        ("上海市浦东新区张记小吃店", "上海市浦东新区"),
    ],
)
def test_division_of_another_city_does_not_match(
    lexicon: NameLexicon, name: str, prefix: str
) -> None:
    result = analyse(name, lexicon)
    assert result.division_prefix == prefix
    assert result.division_code == ""
    assert not result.division_matches_premises
    assert not result.structure_ok
    assert result.trade_name == "张记"


def test_other_taizhou_district_does_not_match_the_premises(lexicon: NameLexicon) -> None:
    result = analyse("泰兴市张记小吃店", lexicon)
    assert result.division_code == "321283"
    assert not result.division_matches_premises
    assert not result.structure_ok


def test_city_alone_is_not_enough(lexicon: NameLexicon) -> None:
    result = analyse("泰州市张记小吃店", lexicon)
    assert result.division_prefix == "泰州市"
    assert not result.division_matches_premises


def test_unknown_premises_code_never_matches(lexicon: NameLexicon) -> None:
    assert not analyse("海陵区张记小吃店", lexicon, district="321200").division_matches_premises


def test_one_character_trade_name_fails_the_structure(lexicon: NameLexicon) -> None:
    result = analyse("海陵区张小吃店", lexicon)
    assert result.trade_name == "张"
    assert result.trade_name_length == 1
    assert not result.structure_ok


@pytest.mark.parametrize("name", ["海陵区店", "泰州市海陵区小吃店", "海陵区"])
def test_division_and_form_without_a_trade_name(lexicon: NameLexicon, name: str) -> None:
    result = analyse(name, lexicon)
    assert result.division_matches_premises
    assert result.trade_name == ""
    assert result.trade_name_length == 0
    assert not result.structure_ok


@pytest.mark.parametrize("name", ["海陵区泰兴面馆", "海陵区泰州小吃店", "海陵区南京面馆"])
def test_division_name_as_trade_name_fails_the_structure(lexicon: NameLexicon, name: str) -> None:
    result = analyse(name, lexicon)
    assert result.trade_name_has_division
    assert not result.structure_ok


def test_result_is_frozen(lexicon: NameLexicon) -> None:
    result = analyse("海陵区老王面馆", lexicon)
    with pytest.raises(ValueError, match="frozen"):
        result.structure_ok = False  # type: ignore[misc]


# ── properties ───────────────────────────────────────────────────────────────

LEXICON = load_name_lexicon(WORDS)
name_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from("泰州市海陵区兴化市张记小吃店面馆有限公司毛泽东澤 \u200b·中华最佳AZ09"),
    ),
    max_size=60,
)


@settings(max_examples=400, deadline=None)
@given(name=st.one_of(st.none(), name_text), district=st.sampled_from([HAILING, XINGHUA, "x"]))
def test_analyse_name_never_raises_and_stays_consistent(name: str | None, district: str) -> None:
    result = analyse_name(name, district, LEXICON)
    if any(ch in string.ascii_letters + string.digits for ch in name or ""):
        assert not result.charset_ok
    if result.present:
        assert "".join(result.words) == result.normalised
    assert result.trade_name_length == len(result.trade_name)
    assert not (result.org_form_allowed and result.org_form_forbidden) or not result.present
    if result.structure_ok and result.present:
        assert result.trade_name_length >= 2
        assert result.division_matches_premises


# ── the word lists themselves ────────────────────────────────────────────────


def test_traditional_list_holds_only_traditional_characters(lexicon: NameLexicon) -> None:
    assert len(lexicon.traditional) >= 200
    for traditional, simplified in lexicon.traditional.items():
        with pytest.raises(UnicodeEncodeError):
            traditional.encode("gb2312")
        simplified.encode("gb2312")


def test_division_list_covers_the_six_taizhou_authorities(lexicon: NameLexicon) -> None:
    assert {d.code: d.name for d in lexicon.districts} == {
        "321202": "海陵区",
        "321203": "高港区",
        "321204": "姜堰区",
        "321281": "兴化市",
        "321282": "靖江市",
        "321283": "泰兴市",
    }


@pytest.fixture
def words_copy(tmp_path: Path) -> Path:
    target = tmp_path / "words"
    shutil.copytree(WORDS, target)
    return target


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, fragment: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if fragment in line)


def test_word_with_latin_letters_is_refused_with_file_and_line(words_copy: Path) -> None:
    path = words_copy / "prohibited.yaml"
    replace_in(path, "[帝王, 鬼都]", "[帝王, Gui都]")
    with pytest.raises(RuleDataError) as caught:
        load_name_lexicon(words_copy)
    assert caught.value.path == path
    assert caught.value.line == line_of(path, "Gui都")
    assert "Gui都" in str(caught.value)


def test_traditional_character_in_a_word_list_is_refused(words_copy: Path) -> None:
    path = words_copy / "prohibited.yaml"
    replace_in(path, "[汪精卫, 秦桧]", "[汪精衛, 秦桧]")
    with pytest.raises(RuleDataError) as caught:
        load_name_lexicon(words_copy)
    assert caught.value.path == path
    assert caught.value.line == line_of(path, "汪精衛")


def test_org_form_both_allowed_and_forbidden_is_refused(words_copy: Path) -> None:
    path = words_copy / "org_forms.yaml"
    replace_in(path, "forbidden: [企业,", "forbidden: [店, 企业,")
    with pytest.raises(RuleDataError) as caught:
        load_name_lexicon(words_copy)
    assert caught.value.path == path
    assert caught.value.line == line_of(path, "forbidden:")


def test_missing_word_list_is_refused(words_copy: Path) -> None:
    (words_copy / "industries.yaml").unlink()
    with pytest.raises(RuleDataError) as caught:
        load_name_lexicon(words_copy)
    assert caught.value.path == words_copy / "industries.yaml"
