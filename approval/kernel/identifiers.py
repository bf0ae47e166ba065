"""Identifiers as canonical ASCII: one parser per identifier, applied at every boundary.

Full-width forms (what a Chinese input method types) become ASCII through NFKC; any other
character that is not ASCII — digits of other scripts, superscripts, circled or fractional
digits, letters of other alphabets — is refused, so that what is stored and compared (lists,
bans, objections, key subjects, the data-access log) is one spelling per identifier.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

_FULL_WIDTH = re.compile(r"[\uff01-\uff5e\u3000]")
_IDEOGRAPHS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3007"
_IDEOGRAPH = re.compile(f"[{_IDEOGRAPHS}]")
_CERTIFICATE = re.compile(f"[0-9A-Za-z()\\[\\]\\-〔〕{_IDEOGRAPHS}]{{6,60}}")

# field → what the applicant reads in the message
FIELD_LABELS = {
    "id_number": "证件号码",
    "district_code": "行政区划代码",
    "credit_code": "统一社会信用代码",
    "property_certificate_number": "不动产权证号",
    "mobile": "手机号码",
}


class IdentifierInvalid(ValueError):
    """An identifier that has no canonical ASCII form; ``message`` is zh-CN and names the field."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _fold(raw: str, label: str, *, ideographs: bool = False) -> str:
    for char in raw:
        if char.isascii() or _FULL_WIDTH.fullmatch(char):
            continue
        if ideographs and (_IDEOGRAPH.fullmatch(char) or char in "〔〕"):
            continue
        raise IdentifierInvalid(
            "identifier_characters",
            f"{label}只能使用半角或全角的数字和英文字母，不能使用其他文字的数字、上标、带圈数字等字符",
        )
    folded = unicodedata.normalize("NFKC", raw)
    if not folded.isascii() and not ideographs:
        raise IdentifierInvalid("identifier_characters", f"{label}含有不能使用的字符")
    return folded


def parse_document_number(raw: str) -> str:
    """A resident-ID, residence-permit, foreign residence or passport number: upper-case ASCII."""
    label = FIELD_LABELS["id_number"]
    number = re.sub(r"[ \t-]", "", _fold(raw, label)).upper()
    if not re.fullmatch(r"[0-9A-Z]{5,20}", number):
        raise IdentifierInvalid("id_number_format", f"{label}应为5至20位数字或英文字母")
    return number


def parse_resident_id(raw: str) -> str:
    """An 18-character resident ID or residence permit number (17 digits and a digit or X)."""
    number = parse_document_number(raw)
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        raise IdentifierInvalid("id_number_format", "身份证号码应为18位：17位数字加1位数字或X")
    return number


def parse_district_code(raw: str) -> str:
    label = FIELD_LABELS["district_code"]
    code = _fold(raw, label).strip()
    if not re.fullmatch(r"[0-9]{6}", code):
        raise IdentifierInvalid("district_code_format", f"{label}应为6位数字")
    return code


def parse_credit_code(raw: str) -> str:
    """A unified social credit code (GB 32100-2015): 18 characters, checked by its check digit."""
    from stdnum.cn import uscc

    label = FIELD_LABELS["credit_code"]
    code = _fold(raw, label).strip().upper()
    if not re.fullmatch(r"[0-9A-HJ-NPQRTUWXY]{18}", code) or not uscc.is_valid(code):
        raise IdentifierInvalid("credit_code_invalid", f"{label}应为18位且校验位正确")
    return code


def parse_property_certificate(raw: str) -> str:
    """A real-estate certificate number such as 苏(2019)泰州市姜堰区不动产权第0028764号."""
    label = FIELD_LABELS["property_certificate_number"]
    number = re.sub(r"\s+", "", _fold(raw, label, ideographs=True))
    if not _CERTIFICATE.fullmatch(number):
        raise IdentifierInvalid(
            "property_certificate_format", f"{label}只能包含汉字、数字、英文字母和括号"
        )
    return number


def parse_mobile(raw: str) -> str:
    label = FIELD_LABELS["mobile"]
    number = re.sub(r"[ \t-]", "", _fold(raw, label))
    if not re.fullmatch(r"1[3-9][0-9]{9}", number):
        raise IdentifierInvalid("mobile_format", f"{label}应为以1开头的11位数字")
    return number


def _validator(parse: Callable[[str], str]) -> AfterValidator:
    def validate(raw: str) -> str:
        try:
            return parse(raw)
        except IdentifierInvalid as exc:
            raise PydanticCustomError(exc.code, exc.message) from None

    return AfterValidator(validate)


IDENTIFIER_ERROR_CODES = frozenset(
    {
        "identifier_characters",
        "id_number_format",
        "district_code_format",
        "credit_code_invalid",
        "property_certificate_format",
        "mobile_format",
    }
)


def _bounded(max_length: int) -> StringConstraints:
    return StringConstraints(min_length=1, max_length=max_length)


DocumentNumber = Annotated[str, _bounded(40), _validator(parse_document_number)]
ResidentId = Annotated[str, _bounded(40), _validator(parse_resident_id)]
DistrictCode = Annotated[str, _bounded(12), _validator(parse_district_code)]
CreditCode = Annotated[str, _bounded(40), _validator(parse_credit_code)]
PropertyCertificate = Annotated[str, _bounded(80), _validator(parse_property_certificate)]
Mobile = Annotated[str, _bounded(24), _validator(parse_mobile)]
