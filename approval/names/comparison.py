"""How the name register compares names (R23, R24 and R25 consult it beside the registry).

Every name this authority issues, reserves or frees is a row, compared by a key that follows
比对规则 (〔2017〕133号): the 行政区划, the 街道/镇 and the 组织形式 are left out, and an
industry word written before the 字号 is moved behind it, so 鸿运五金店, 鸿运五金商行 and
鸿运五金经营部 share one key, as do 周记百货店 and 百货周记店; 华美五金店 and 美华五金店
(different 字号) do not. The database holds at most one active or reserved name per key and
authority, so of two simultaneous applications for one name exactly one gets it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from approval.names.analysis import NameAnalysis, NameLexicon, analyse_name

__all__ = [
    "COOLING_OFF",
    "NOTHING_REGISTERED",
    "RESERVATION_MONTHS",
    "FreedReason",
    "NameClaim",
    "NameTaken",
    "RegisterFacts",
    "name_claim",
]

# 企业名称登记管理规定 Art.17: a freed name may not be registered again within one year
COOLING_OFF = dt.timedelta(days=365)
RESERVATION_MONTHS = 2  # 名称自主申报: a reserved name is kept for two months


class FreedReason(StrEnum):
    REVOKED = "revoked"  # 撤销登记
    DEREGISTERED = "deregistered"  # 注销
    CHANGED = "changed"  # 名称变更


class NameTaken(Exception):
    """The name was taken (issued or reserved) by someone else since it was looked up."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


@dataclass(frozen=True, slots=True)
class NameClaim:
    """A name as the register compares it, and whose it would be."""

    authority_code: str
    name: str
    comparison_key: str
    trade_name: str
    holder_id_number: str


@dataclass(frozen=True, slots=True)
class RegisterFacts:
    """What the register says about a proposed name at its authority, for one applicant."""

    identical_to: str | None = None  # an active name, or one reserved by someone else
    identical_reserved: bool = False  # that name is a reservation, not yet on a licence
    freed_name: str | None = None  # identical to a name freed less than a year ago
    freed_on: dt.date | None = None
    similar_to: str | None = None
    own_reservation_until: dt.datetime | None = None  # the applicant's own reservation


NOTHING_REGISTERED = RegisterFacts()


def _comparison_parts(analysis: NameAnalysis, lexicon: NameLexicon) -> tuple[str, str]:
    """The key and the 字号 of a present name."""
    start = len(analysis.division_prefix) + len(analysis.locality)
    body = analysis.normalised[start : len(analysis.normalised) - len(analysis.org_form)]
    trade = analysis.trade_name
    if not analysis.industry:
        leading = max(
            (
                word
                for word in lexicon.industries
                if body.startswith(word) and len(body) > len(word)
            ),
            key=len,
            default="",
        )
        if leading:
            trade = body[len(leading) :]
            body = trade + leading
    return body, trade


def name_claim(
    name: str | None, authority_code: str, holder_id_number: str, lexicon: NameLexicon
) -> NameClaim | None:
    """The name as the register compares it; None when no name is used."""
    analysis = analyse_name(name, authority_code, lexicon)
    if not analysis.present:
        return None
    key, trade = _comparison_parts(analysis, lexicon)
    return NameClaim(
        authority_code=authority_code,
        name=analysis.name.strip(),
        comparison_key=key or analysis.normalised,
        trade_name=trade,
        holder_id_number=holder_id_number,
    )
