"""ID numbers: consistent with stdnum, except the one failure that must never refuse anyone."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

from approval.kernel.identity import IdNumberInvalid, check_id_number, mask_id_number

TODAY = dt.date(2026, 11, 26)


def _with_check(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")


BODIES = st.builds(
    lambda area, born, seq: f"{area}{born:%Y%m%d}{seq:03d}",
    st.sampled_from(["321202", "321281", "110118", "110228", "320102", "999999", "810000"]),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)),
    st.integers(min_value=0, max_value=999),
)


def _stdnum_failure(number: str) -> type[Exception] | None:
    try:
        ric.validate(number)
    except stdnum_errors.ValidationError as exc:
        return type(exc)
    return None


@given(body=BODIES, corrupt=st.booleans())
def test_consistent_with_stdnum(body: str, corrupt: bool) -> None:
    number = _with_check(body)
    if corrupt:
        number = number[:17] + ("0" if number[17] != "0" else "1")
    try:
        check_id_number("resident_id", number, TODAY)
        accepted = True
    except IdNumberInvalid:
        accepted = False
    born = ric.get_birth_date(number) if not corrupt else None
    failure = _stdnum_failure(number)
    if failure is None:
        assert accepted == (born is not None and born <= TODAY)
    elif corrupt:
        assert not accepted
    else:
        # only the birthplace-in-birth-year check can fail for a well-formed, checked number
        assert failure is stdnum_errors.InvalidComponent
        assert accepted == (born is not None and born <= TODAY)


@given(text=st.text(max_size=25))
def test_arbitrary_text_is_accepted_only_when_stdnum_agrees(text: str) -> None:
    try:
        result = check_id_number("resident_id", text, TODAY)
    except IdNumberInvalid:
        return
    assert ric.calc_check_digit(result.number) == result.number[-1]
    assert ric.get_birth_date(result.number) <= TODAY


def test_genuine_1978_holder_of_a_321281_number() -> None:
    number = _with_check("32128119780315123")
    with pytest.raises(stdnum_errors.InvalidComponent):
        ric.validate(number)
    result = check_id_number("resident_id", number, TODAY)
    assert result.birth_date == dt.date(1978, 3, 15)
    assert result.division_known is False
    assert result.age_on(TODAY) == 48


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("3212021990010112", "id_number_format"),
        ("32120219900101123A", "id_number_format"),
        (_with_check("32120219900101123")[:17] + "0", "id_number_checksum"),
        (_with_check("32120219900230123"), "id_birth_date_invalid"),
        (_with_check("32120220990101123"), "id_birth_date_future"),
    ],
)
def test_each_refusal_has_its_code(number: str, code: str) -> None:
    if code == "id_number_checksum" and _with_check(number[:17]) == number:
        number = number[:17] + "1"
    with pytest.raises(IdNumberInvalid) as caught:
        check_id_number("resident_id", number, TODAY)
    assert caught.value.code == code


def test_age_counts_birthdays() -> None:
    result = check_id_number("resident_id", _with_check("32120220081127123"), TODAY)
    assert result.age_on(TODAY) == 17
    assert result.age_on(dt.date(2026, 11, 27)) == 18


def test_foreign_documents_are_recognised() -> None:
    assert check_id_number("passport", "E12345678", TODAY).is_foreign
    assert check_id_number("resident_id", _with_check("93000019900101123"), TODAY).is_foreign


def test_masking_keeps_only_the_ends() -> None:
    assert mask_id_number("321202199001011234") == "321202********1234"
