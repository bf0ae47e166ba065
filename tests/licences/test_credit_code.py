from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc

from approval.licences import credit_code_for, is_individual_business_code

TAIZHOU_AUTHORITIES = ("321202", "321203", "321204", "321281", "321282", "321283")
SERIAL_LIMIT = 31**7

authorities = st.sampled_from(TAIZHOU_AUTHORITIES)
serials = st.integers(min_value=0, max_value=SERIAL_LIMIT - 1)


@given(authorities, serials)
def test_codes_are_valid_individual_business_codes_of_the_authority(
    authority: str, serial: int
) -> None:
    code = credit_code_for(authority, serial)

    assert uscc.validate(code) == code
    assert is_individual_business_code(code)
    assert code.startswith("92" + authority + "MA")


@given(st.tuples(authorities, serials), st.tuples(authorities, serials))
def test_different_authority_or_serial_gives_a_different_code(
    first: tuple[str, int], second: tuple[str, int]
) -> None:
    if first != second:
        assert credit_code_for(*first) != credit_code_for(*second)


@given(st.sets(st.tuples(authorities, serials), max_size=200))
def test_codes_never_repeat(pairs: set[tuple[str, int]]) -> None:
    assert len({credit_code_for(*pair) for pair in pairs}) == len(pairs)


def test_matches_the_verified_example_from_the_domain_notes() -> None:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    serial = sum(alphabet.index(c) * 31**power for power, c in enumerate(reversed("5F00001")))

    assert credit_code_for("440300", serial) == "92440300MA5F000017"


def test_serial_range_ends_map_to_the_first_and_last_bodies() -> None:
    assert credit_code_for("321202", 0)[8:17] == "MA0000000"
    assert credit_code_for("321202", SERIAL_LIMIT - 1)[8:17] == "MAYYYYYYY"


@pytest.mark.parametrize("serial", [-1, SERIAL_LIMIT, SERIAL_LIMIT + 1, -(10**9)])
def test_serial_out_of_range_is_refused(serial: int) -> None:
    with pytest.raises(ValueError, match="serial"):
        credit_code_for("321202", serial)


@pytest.mark.parametrize("authority", ["", "32120", "3212020", "32120A", "３２１２０２"])
def test_malformed_authority_code_is_refused(authority: str) -> None:
    with pytest.raises(ValueError, match="authority"):
        credit_code_for(authority, 1)


@pytest.mark.parametrize(
    "code",
    [
        "91110000600037341L",  # a valid company (91) code
        "92321202MA00004UY3".lower(),
        "92321202 MA00004UY3",
        "92321202MA00004UY4",  # wrong check character
        "92321202MA00004UY",
        "",
    ],
)
def test_other_strings_are_not_individual_business_codes(code: str) -> None:
    assert not is_individual_business_code(code)
