"""Identity document numbers: what stdnum checks, and what it lacks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

from approval.kernel.identifiers import IdentifierInvalid, parse_document_number, parse_resident_id

# HK/Macau/Taiwan residence permits use the resident-ID layout with these address codes.
PERMIT_PREFIXES = {
    "hk_macau_residence_permit": ("810000", "820000"),
    "taiwan_residence_permit": ("830000",),
}
FOREIGN_TYPES = {"foreign_permanent_residence", "passport"}


class IdNumberInvalid(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class IdNumberCheck:
    number: str
    birth_date: dt.date | None
    division_known: bool
    is_foreign: bool

    def age_on(self, today: dt.date) -> int:
        if self.birth_date is None:
            return 0
        born = self.birth_date
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@lru_cache(maxsize=4096)
def _division_known(address_code: str, birth_year: int) -> bool:
    """Whether stdnum knows the address code as in force in that year (a slow table look-up)."""
    try:
        ric.get_birth_place(f"{address_code}{birth_year}0101000")
    except stdnum_errors.ValidationError:
        return False
    return True


def check_id_number(id_type: str, raw: str, today: dt.date) -> IdNumberCheck:
    """Check an 18-character resident-ID-style number; raise IdNumberInvalid with a zh-CN message.

    The number is parsed to canonical ASCII first (full-width folded, any other script refused).

    A district code that stdnum says did not exist in the birth year is *not* an error: the code
    is the one in force when the number was issued, so many genuine adults hold such numbers.
    """
    if id_type in FOREIGN_TYPES:
        try:
            return IdNumberCheck(parse_document_number(raw), None, False, True)
        except IdentifierInvalid as exc:
            raise IdNumberInvalid(exc.code, exc.message) from None
    try:
        number = parse_resident_id(raw)
    except IdentifierInvalid as exc:
        raise IdNumberInvalid(exc.code, exc.message) from None
    if ric.calc_check_digit(number) != number[17]:
        raise IdNumberInvalid("id_number_checksum", "证件号码校验位不正确，请核对后重新输入")
    try:
        birth_date = ric.get_birth_date(number)
    except stdnum_errors.ValidationError:
        raise IdNumberInvalid("id_birth_date_invalid", "证件号码中的出生日期不是有效日期") from None
    if birth_date > today:
        raise IdNumberInvalid("id_birth_date_future", "证件号码中的出生日期晚于今天，请核对")
    prefixes = PERMIT_PREFIXES.get(id_type)
    if prefixes and not number.startswith(prefixes):
        raise IdNumberInvalid("id_type_mismatch", "居住证号码应以 810000、820000 或 830000 开头")
    division_known = _division_known(number[:6], birth_date.year)
    is_foreign = id_type in FOREIGN_TYPES or number.startswith("9")
    return IdNumberCheck(number, birth_date, division_known, is_foreign)


def mask_id_number(number: str) -> str:
    return number[:6] + "*" * max(len(number) - 10, 0) + number[-4:] if len(number) > 10 else "****"
