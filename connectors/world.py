"""A deterministic synthetic Taizhou: the people, properties and businesses the stubs know.

``python -m connectors.world OUT_DIR [--seed N]`` writes the seed files; the default world lives
in ``connectors/seed/``. Everything comes from one seeded :class:`random.Random`, so the same
seed gives byte-identical files. The named personas in ``personas.json`` are built explicitly,
not found by luck, so docs and tests can rely on each one's stated property.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from stdnum.cn import ric, uscc

from connectors.names import INDUSTRY_SUFFIXES, split_name

DEFAULT_SEED = 20261126
DEFAULT_SEED_DIR = Path(__file__).resolve().parent / "seed"
# The date personas are defined against ("aged 16–17", "lease current", "ban still running").
REFERENCE_DATE = dt.date(2026, 11, 26)
BAN_YEARS = 3

PEOPLE_COUNT = 2_000
PROPERTY_COUNT = 1_500
BUSINESS_COUNT = 800

PERSONA_KEYS = (
    "clean_owner",
    "clean_tenant",
    "residential_owner",
    "minor_16",
    "child_15",
    "dishonest",
    "defaulter",
    "banned",
    "ban_expired",
    "watched",
    "sealed_owner",
    "no_rights",
    "expired_lease_tenant",
    "revoked_entity_operator",
    "food_permit_holder",
    "genuine_1978_321281",
)
SEED_FILES = (
    "people.json",
    "properties.json",
    "businesses.json",
    "lists.json",
    "food.json",
    "personas.json",
)


@dataclass(frozen=True)
class District:
    code: str
    name: str
    name_prefix: str  # 行政区划 at the head of a business name
    certificate_office: str  # the 不动产登记 office printed on certificates
    roads: tuple[str, ...]
    weight: float


TAIZHOU_DISTRICTS: Mapping[str, District] = {
    d.code: d
    for d in (
        District(
            "321202",
            "海陵区",
            "泰州市海陵区",
            "泰州市",
            ("青年南路", "海陵北路", "鼓楼南路", "坡子街", "五一路", "东进东路", "凤凰东路"),
            0.28,
        ),
        District(
            "321203",
            "高港区",
            "泰州市高港区",
            "泰州市",
            ("通江路", "港城路", "振兴路", "疏港南路", "口岸路"),
            0.10,
        ),
        District(
            "321204",
            "姜堰区",
            "泰州市姜堰区",
            "泰州市姜堰区",
            ("人民中路", "三水大道", "姜堰大道", "罗塘路", "东大街", "天目路"),
            0.15,
        ),
        District(
            "321281",
            "兴化市",
            "兴化市",
            "兴化市",
            ("英武中路", "长安中路", "五里路", "牌楼东路", "昭阳路", "丰收路"),
            0.17,
        ),
        District(
            "321282",
            "靖江市",
            "靖江市",
            "靖江市",
            ("人民南路", "骥江路", "江平路", "阳光大道", "虹桥路", "中洲路"),
            0.15,
        ),
        District(
            "321283",
            "泰兴市",
            "泰兴市",
            "泰兴市",
            ("国庆东路", "鼓楼路", "文昌路", "延令路", "羌溪路", "襟江路"),
            0.15,
        ),
    )
}

# (GB/T 2260 code, first year, last year, in Taizhou). An ID's address code is the county of
# registered residence when it was assigned; picking one that existed in the birth year keeps
# ordinary people valid under stdnum.cn.ric.validate. Before 1996 Taizhou's counties were
# under Yangzhou (3210xx, earlier 3224xx).
_RESIDENCE_CODES: tuple[tuple[str, int | None, int | None, bool], ...] = (
    ("322402", None, 1983, True),
    ("322421", None, 1983, True),
    ("322424", None, 1983, True),
    ("322425", None, 1983, True),
    ("322428", None, 1983, True),
    ("321020", 1983, 1986, True),
    ("321021", 1983, 1987, True),
    ("321024", 1983, 1993, True),
    ("321025", 1983, 1992, True),
    ("321028", 1983, 1994, True),
    ("329001", 1986, 1989, True),
    ("329009", 1987, 1989, True),
    ("321082", 1989, 1996, True),
    ("321083", 1989, 1996, True),
    ("321085", 1992, 1996, True),
    ("321086", 1993, 1996, True),
    ("321087", 1994, 1996, True),
    ("321202", 1996, None, True),
    ("321203", 1997, None, True),
    ("321281", 1996, None, True),
    ("321282", 1996, None, True),
    ("321283", 1996, None, True),
    ("321284", 1996, 2012, True),
    ("321204", 2012, None, True),
    ("320120", None, 1983, False),
    ("322423", None, 1983, False),
    ("320102", 1983, None, False),
    ("320106", 1983, None, False),
    ("321002", 1983, None, False),
    ("321023", 1983, None, False),
)

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯史陶顾毛龚邵钱严戴孔汤"
)
_GIVEN_MALE = "伟强磊军洋勇杰涛明超华建国平刚辉鹏斌波宇浩俊峰文亮志红春海东晨军兵成林"
_GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英华慧玲婷雪琳倩颖洁梅兰萍燕红月晶瑶雯欣蓉佳琴"
_TRADE_WORDS = (
    "福满",
    "鑫源",
    "聚福",
    "佳和",
    "顺发",
    "宏达",
    "金鼎",
    "鸿运",
    "好再来",
    "一品",
    "悦来",
    "同心",
    "百味",
    "和美",
    "兴隆",
    "万家",
    "君悦",
    "阿强",
    "小芳",
    "老街",
    "稻河",
    "鼎盛",
    "惠民",
    "家和",
    "新风",
    "永丰",
    "金穗",
    "四季",
    "春晖",
    "满堂红",
    "丰源",
    "盛达",
)
_CATERING = frozenset(
    (
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
        "糕点店",
        "奶茶店",
    )
)
_FOOD_SALE = frozenset(
    ("水果店", "水产品经营部", "蔬菜店", "肉品店", "粮油店", "副食品店", "便利店", "超市", "烟酒店")
)
_PREPACKAGED = frozenset(("便利店", "超市", "烟酒店", "副食品店"))

_USES = ("住宅", "商业", "办公", "工业", "商住")
_USE_WEIGHTS = (0.56, 0.24, 0.08, 0.05, 0.07)
_STATUSES = ("存续", "吊销未注销", "注销", "经营异常")
_STATUS_WEIGHTS = (0.82, 0.04, 0.08, 0.06)
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass(frozen=True)
class Person:
    id_number: str
    name: str
    sex: str
    birth_date: dt.date
    status: str = "normal"  # in the population register: normal / cancelled / deceased
    document_reported_lost: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id_number": self.id_number,
            "name": self.name,
            "sex": self.sex,
            "birth_date": self.birth_date.isoformat(),
            "status": self.status,
            "document_reported_lost": self.document_reported_lost,
        }


@dataclass(frozen=True)
class Lease:
    lessee_id_number: str
    start: dt.date
    end: dt.date

    def to_json(self) -> dict[str, Any]:
        return {
            "lessee_id_number": self.lessee_id_number,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }


@dataclass(frozen=True)
class Property:
    certificate_number: str
    address: str
    district_code: str
    owner_id_numbers: tuple[str, ...]
    registered_use: str
    sealed: bool = False
    leases: tuple[Lease, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "certificate_number": self.certificate_number,
            "address": self.address,
            "district_code": self.district_code,
            "owner_id_numbers": list(self.owner_id_numbers),
            "registered_use": self.registered_use,
            "sealed": self.sealed,
            "leases": [lease.to_json() for lease in self.leases],
        }


@dataclass(frozen=True)
class Business:
    credit_code: str
    name: str | None
    status: str
    operator_id_number: str
    authority_code: str

    def to_json(self) -> dict[str, Any]:
        return {
            "credit_code": self.credit_code,
            "name": self.name,
            "status": self.status,
            "operator_id_number": self.operator_id_number,
            "authority_code": self.authority_code,
        }


@dataclass(frozen=True)
class Permit:
    operator_id_number: str
    permit_number: str
    kind: str
    valid_until: dt.date

    def to_json(self) -> dict[str, Any]:
        return {
            "operator_id_number": self.operator_id_number,
            "permit_number": self.permit_number,
            "kind": self.kind,
            "valid_until": self.valid_until.isoformat(),
        }


@dataclass(frozen=True)
class Persona:
    """A hand-picked person with a known situation, for docs and tests."""

    key: str
    id_number: str
    name: str
    birth_date: dt.date
    certificate_number: str
    note: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id_number": self.id_number,
            "name": self.name,
            "birth_date": self.birth_date.isoformat(),
            "certificate_number": self.certificate_number,
            "note": self.note,
        }


@dataclass(frozen=True)
class ExistingName:
    """An existing business name, for identical-name tests at its authority."""

    name: str
    authority_code: str
    credit_code: str


@dataclass(frozen=True)
class Personas:
    people: Mapping[str, Persona]
    existing_name: ExistingName

    def __getitem__(self, key: str) -> Persona:
        return self.people[key]


@dataclass
class World:
    """The generated world, in memory, before it is written as seed files."""

    people: list[Person] = field(default_factory=list)
    properties: list[Property] = field(default_factory=list)
    businesses: list[Business] = field(default_factory=list)
    serious_dishonesty: list[str] = field(default_factory=list)
    judgment_defaulter: list[str] = field(default_factory=list)
    false_registration_bans: list[tuple[str, dt.date]] = field(default_factory=list)
    impersonation_watch: list[str] = field(default_factory=list)
    permits: list[Permit] = field(default_factory=list)
    prepackaged_filings: list[str] = field(default_factory=list)
    personas: dict[str, Persona] = field(default_factory=dict)
    existing_name: ExistingName | None = None


def age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def add_years(start: dt.date, years: int) -> dt.date:
    """The same day ``years`` later; from 29 February, the last day of February (民法典 Art.203)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def ban_end(revoked_on: dt.date) -> dt.date:
    """The day a false-registration ban ends: 3 years from the revocation (条例 Art.40)."""
    return add_years(revoked_on, BAN_YEARS)


def _years_later(start: dt.date, years: int) -> dt.date:
    """The last day of a term of ``years`` years starting on ``start``."""
    return add_years(start, years) - dt.timedelta(days=1)


def resident_id(address_code: str, birth_date: dt.date, sequence: int) -> str:
    """An 18-digit resident ID number with its GB 11643 MOD 11-2 check character."""
    body = f"{address_code}{birth_date:%Y%m%d}{sequence:03d}"
    # stdnum's calc_check_digit expects the number with a placeholder check character.
    return body + ric.calc_check_digit(body + "0")


def credit_code(authority_code: str, body: str) -> str:
    """A 个体工商户 unified social credit code: 92 + authority + 9-char body + GB 32100 check."""
    stem = f"92{authority_code}{body}"
    return stem + uscc.calc_check_digit(stem)


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.world = World()
        self._ids: set[str] = set()
        self._certificates: set[str] = set()
        self._credit_codes: set[str] = set()
        self._permit_numbers: set[str] = set()
        self._names_by_authority: dict[str, set[tuple[str, str]]] = {}
        self.reserved: set[str] = set()  # persona ids, kept out of random facts
        self._adults: list[Person] = []

    # -- people ---------------------------------------------------------------------------

    def date_between(self, first: dt.date, last: dt.date) -> dt.date:
        return first + dt.timedelta(days=self.rng.randrange((last - first).days + 1))

    def _residence_code(self, year: int, *, taizhou_only: bool = False) -> str:
        elsewhere = not taizhou_only and self.rng.random() < 0.08
        candidates = [
            code
            for code, first, last, in_taizhou in _RESIDENCE_CODES
            if in_taizhou != elsewhere
            and (first is None or first <= year)
            and (last is None or year <= last)
        ]
        return self.rng.choice(candidates)

    def _name(self, sex: str) -> str:
        given_chars = _GIVEN_MALE if sex == "男" else _GIVEN_FEMALE
        length = 2 if self.rng.random() < 0.7 else 1
        given = "".join(self.rng.sample(given_chars, length))
        return self.rng.choice(_SURNAMES) + given

    def person(
        self,
        birth_date: dt.date | None = None,
        *,
        address_code: str | None = None,
        taizhou_only: bool = False,
    ) -> Person:
        if birth_date is None:
            birth_date = self.date_between(dt.date(1950, 1, 1), dt.date(2010, 12, 31))
        code = address_code or self._residence_code(birth_date.year, taizhou_only=taizhou_only)
        sex = self.rng.choice(("男", "女"))
        while True:
            sequence = self.rng.randrange(0, 1000, 2) + (1 if sex == "男" else 0)
            id_number = resident_id(code, birth_date, sequence)
            if id_number not in self._ids:
                break
        self._ids.add(id_number)
        person = Person(id_number, self._name(sex), sex, birth_date)
        self.world.people.append(person)
        if age_on(birth_date, REFERENCE_DATE) >= 18:
            self._adults.append(person)
        return person

    def adult(self, *, exclude: Iterable[str] = ()) -> Person:
        excluded = self.reserved.union(exclude)
        while True:
            candidate = self.rng.choice(self._adults)
            if candidate.id_number not in excluded:
                return candidate

    # -- properties -----------------------------------------------------------------------

    def _certificate_number(self, district: District) -> str:
        while True:
            year = self.rng.randint(2016, 2025)
            number = (
                f"苏({year}){district.certificate_office}不动产权"
                f"第{self.rng.randrange(1, 100_000):07d}号"
            )
            if number not in self._certificates:
                self._certificates.add(number)
                return number

    def _address(self, district: District, use: str) -> str:
        rng = self.rng
        street = f"江苏省泰州市{district.name}{rng.choice(district.roads)}{rng.randint(1, 399)}号"
        if use == "住宅":
            building, entrance = rng.randint(1, 30), rng.randint(1, 3)
            room = f"{rng.randint(1, 18)}0{rng.randint(1, 4)}"
            return f"{street}{building}幢{entrance}单元{room}室"
        if use == "办公":
            floor = rng.randint(2, 20)
            return f"{street}{floor}层{floor}{rng.randint(1, 30):02d}室"
        if use == "工业":
            return f"{street}{rng.randint(1, 6)}号厂房"
        return f"{street}{rng.randint(1, 20)}号商铺" if rng.random() < 0.5 else street

    def _district(self) -> District:
        districts = list(TAIZHOU_DISTRICTS.values())
        return self.rng.choices(districts, weights=[d.weight for d in districts])[0]

    def property(
        self,
        owners: Sequence[Person],
        use: str,
        *,
        sealed: bool = False,
        leases: Sequence[Lease] = (),
        district: District | None = None,
    ) -> Property:
        district = district or self._district()
        prop = Property(
            certificate_number=self._certificate_number(district),
            address=self._address(district, use),
            district_code=district.code,
            owner_id_numbers=tuple(p.id_number for p in owners),
            registered_use=use,
            sealed=sealed,
            leases=tuple(leases),
        )
        self.world.properties.append(prop)
        return prop

    def _random_leases(self, use: str, owners: Sequence[Person]) -> list[Lease]:
        rng = self.rng
        if rng.random() >= (0.1 if use == "住宅" else 0.45):
            return []
        owner_ids = [o.id_number for o in owners]
        leases: list[Lease] = []
        if rng.random() < 0.15:
            start = self.date_between(dt.date(2021, 1, 1), dt.date(2022, 12, 31))
            leases.append(
                Lease(self.adult(exclude=owner_ids).id_number, start, _years_later(start, 2))
            )
        start = self.date_between(dt.date(2023, 1, 1), dt.date(2026, 10, 31))
        end = _years_later(start, rng.randint(1, 3))
        leases.append(Lease(self.adult(exclude=owner_ids).id_number, start, end))
        return leases

    def random_property(self) -> Property:
        use = self.rng.choices(_USES, weights=_USE_WEIGHTS)[0]
        owners = [self.adult()]
        if use in ("住宅", "商住") and self.rng.random() < 0.35:
            owners.append(self.adult(exclude=[owners[0].id_number]))
        return self.property(
            owners,
            use,
            sealed=self.rng.random() < 0.02,
            leases=self._random_leases(use, owners),
        )

    # -- businesses -----------------------------------------------------------------------

    def _credit_code(self, authority_code: str) -> str:
        while True:
            body = "MA" + "".join(self.rng.choice(_USCC_ALPHABET) for _ in range(7))
            code = credit_code(authority_code, body)
            if code not in self._credit_codes:
                self._credit_codes.add(code)
                return code

    def _trade(self, operator: Person) -> str:
        roll = self.rng.random()
        if roll < 0.3:
            return operator.name[0] + "记"
        if roll < 0.45:
            return "老" + operator.name[0]
        if roll < 0.55:
            return operator.name
        return self.rng.choice(_TRADE_WORDS)

    def business(
        self,
        operator: Person,
        *,
        status: str | None = None,
        suffix: str | None = None,
        named: bool | None = None,
        district: District | None = None,
    ) -> Business:
        rng = self.rng
        district = district or self._district()
        status = status or rng.choices(_STATUSES, weights=_STATUS_WEIGHTS)[0]
        taken = self._names_by_authority.setdefault(district.code, set())
        name: str | None = None
        if named if named is not None else rng.random() < 0.92:
            while True:
                chosen = suffix or rng.choice(INDUSTRY_SUFFIXES)
                candidate = f"{district.name_prefix}{self._trade(operator)}{chosen}"
                # one name per 字号 and 行业 at an authority: identical ones (比对规则) never both
                key = split_name(candidate).key
                if key not in taken:
                    taken.add(key)
                    name = candidate
                    break
        business = Business(
            self._credit_code(district.code), name, status, operator.id_number, district.code
        )
        self.world.businesses.append(business)
        return business

    # -- food and drug --------------------------------------------------------------------

    def permit(
        self, operator_id: str, authority_code: str, kind: str, catering: bool, valid_until: dt.date
    ) -> Permit:
        while True:
            if kind == "药品经营许可":
                number = f"苏DA{self.rng.randrange(10**7):07d}"
            else:
                number = f"JY{2 if catering else 1}{authority_code}{self.rng.randrange(10**7):07d}"
            if number not in self._permit_numbers:
                self._permit_numbers.add(number)
                break
        permit = Permit(operator_id, number, kind, valid_until)
        self.world.permits.append(permit)
        return permit

    def food_for(self, business: Business) -> None:
        if business.name is None or business.status == "注销":
            return
        suffix = split_name(business.name).suffix
        issued = self.date_between(dt.date(2019, 1, 1), dt.date(2025, 12, 31))
        valid_until = _years_later(issued, 5)
        operator = business.operator_id_number
        if suffix == "药店" and self.rng.random() < 0.8:
            self.permit(operator, business.authority_code, "药品经营许可", False, valid_until)
        elif suffix in _PREPACKAGED and self.rng.random() < 0.5:
            if operator not in self.world.prepackaged_filings:
                self.world.prepackaged_filings.append(operator)
        elif (suffix in _CATERING or suffix in _FOOD_SALE) and self.rng.random() < 0.7:
            catering = suffix in _CATERING
            self.permit(operator, business.authority_code, "食品经营许可", catering, valid_until)


def _commercial(gen: _Generator, owner: Person, *, sealed: bool = False) -> Property:
    return gen.property([owner], "商业", sealed=sealed)


def _build_personas(gen: _Generator) -> None:
    world = gen.world
    people: dict[str, Person] = {}

    special_births = {
        "minor_16": (dt.date(2009, 1, 1), dt.date(2010, 6, 30)),
        "child_15": (dt.date(2010, 11, 27), dt.date(2010, 12, 31)),
        "genuine_1978_321281": (dt.date(1978, 1, 1), dt.date(1978, 12, 31)),
    }
    for key in PERSONA_KEYS:
        first, last = special_births.get(key, (dt.date(1965, 1, 1), dt.date(1998, 12, 31)))
        code = "321281" if key == "genuine_1978_321281" else None
        people[key] = gen.person(
            gen.date_between(first, last), address_code=code, taizhou_only=True
        )
    gen.reserved.update(p.id_number for p in people.values())

    def add(key: str, prop: Property, note: str) -> None:
        p = people[key]
        world.personas[key] = Persona(
            key, p.id_number, p.name, p.birth_date, prop.certificate_number, note
        )

    add("clean_owner", _commercial(gen, people["clean_owner"]), "成年，自有商业用房，不在任何名单")
    landlord = gen.adult()
    lease_start = gen.date_between(dt.date(2025, 1, 1), dt.date(2026, 6, 30))
    current = Lease(people["clean_tenant"].id_number, lease_start, _years_later(lease_start, 3))
    add(
        "clean_tenant",
        gen.property([landlord], "商业", leases=[current]),
        "成年，租赁他人商业用房，租期覆盖参考日",
    )
    add(
        "residential_owner",
        gen.property([people["residential_owner"]], "住宅"),
        "成年，自有住宅",
    )
    add("minor_16", _commercial(gen, people["minor_16"]), "参考日年满16未满18，自有商业用房")
    add("child_15", _commercial(gen, people["child_15"]), "参考日未满16，自有商业用房")
    add("dishonest", _commercial(gen, people["dishonest"]), "严重违法失信名单")
    world.serious_dishonesty.append(people["dishonest"].id_number)
    add("defaulter", _commercial(gen, people["defaulter"]), "仅失信被执行人")
    world.judgment_defaulter.append(people["defaulter"].id_number)
    add("banned", _commercial(gen, people["banned"]), "虚假登记被撤销，3年禁入期未满")
    world.false_registration_bans.append(
        (people["banned"].id_number, gen.date_between(dt.date(2024, 1, 1), dt.date(2025, 6, 30)))
    )
    add("ban_expired", _commercial(gen, people["ban_expired"]), "虚假登记被撤销，3年禁入期已满")
    world.false_registration_bans.append(
        (
            people["ban_expired"].id_number,
            gen.date_between(dt.date(2021, 1, 1), dt.date(2023, 6, 30)),
        )
    )
    add("watched", _commercial(gen, people["watched"]), "冒名登记投诉关注名单")
    world.impersonation_watch.append(people["watched"].id_number)
    add(
        "sealed_owner",
        _commercial(gen, people["sealed_owner"], sealed=True),
        "自有商业用房已被查封",
    )
    other = gen.adult()
    add(
        "no_rights",
        gen.property([other], "商业"),
        "成年；所给商业用房既非其所有也非其承租",
    )
    landlord = gen.adult()
    old_start = gen.date_between(dt.date(2022, 1, 1), dt.date(2023, 6, 30))
    expired = Lease(people["expired_lease_tenant"].id_number, old_start, _years_later(old_start, 2))
    add(
        "expired_lease_tenant",
        gen.property([landlord], "商业", leases=[expired]),
        "曾租赁该商业用房，租期已于参考日前届满",
    )
    operator = people["revoked_entity_operator"]
    add("revoked_entity_operator", _commercial(gen, operator), "名下另有吊销未注销的个体户")
    gen.business(operator, status="吊销未注销")
    holder = people["food_permit_holder"]
    add("food_permit_holder", _commercial(gen, holder), "已有存续小吃店，食品经营许可有效")
    shop = gen.business(holder, status="存续", suffix="小吃店", named=True)
    gen.permit(
        holder.id_number,
        shop.authority_code,
        "食品经营许可",
        True,
        _years_later(gen.date_between(dt.date(2025, 1, 1), dt.date(2026, 6, 30)), 5),
    )
    add(
        "genuine_1978_321281",
        _commercial(gen, people["genuine_1978_321281"]),
        "1978年生、号码以321281开头：校验位正确，但兴化市1996年才设立",
    )


def _build_lists(gen: _Generator) -> None:
    world = gen.world
    for target, count in ((world.serious_dishonesty, 20), (world.judgment_defaulter, 60)):
        for _ in range(count):
            candidate = gen.adult().id_number
            if candidate not in target:
                target.append(candidate)
    banned = {b[0] for b in world.false_registration_bans}
    for _ in range(16):
        person = gen.adult(exclude=banned)
        banned.add(person.id_number)
        revoked = gen.date_between(dt.date(2020, 1, 1), dt.date(2026, 10, 31))
        world.false_registration_bans.append((person.id_number, revoked))
    for _ in range(12):
        candidate = gen.adult().id_number
        if candidate not in world.impersonation_watch:
            world.impersonation_watch.append(candidate)


def _build_population(gen: _Generator) -> None:
    """Cancelled, deceased and reported-lost records, among people nothing else refers to.

    Drawn last, so the rest of the world is what it was before the population register.
    """
    world = gen.world
    referenced = set(gen.reserved)
    for prop in world.properties:
        referenced.update(prop.owner_id_numbers)
        referenced.update(lease.lessee_id_number for lease in prop.leases)
    referenced.update(b.operator_id_number for b in world.businesses)
    referenced.update(p.operator_id_number for p in world.permits)
    referenced.update(world.serious_dishonesty, world.judgment_defaulter, world.impersonation_watch)
    referenced.update(world.prepackaged_filings, (b[0] for b in world.false_registration_bans))
    free = [i for i, p in enumerate(world.people) if p.id_number not in referenced]
    picked = gen.rng.sample(free, sum(_POPULATION_MARKS.values()))
    for (status, lost), count in _POPULATION_MARKS.items():
        for index in picked[:count]:
            person = world.people[index]
            world.people[index] = replace(person, status=status, document_reported_lost=lost)
        picked = picked[count:]


_POPULATION_MARKS = {("deceased", False): 12, ("cancelled", False): 8, ("normal", True): 12}


def generate_world(seed: int = DEFAULT_SEED) -> World:
    """Build the synthetic world in memory; the same seed always gives the same world."""
    gen = _Generator(seed)
    for _ in range(PEOPLE_COUNT - len(PERSONA_KEYS)):
        gen.person()
    _build_personas(gen)
    while len(gen.world.properties) < PROPERTY_COUNT:
        gen.random_property()
    while len(gen.world.businesses) < BUSINESS_COUNT:
        gen.business(gen.adult())
    for business in list(gen.world.businesses):
        if business.operator_id_number not in gen.reserved:
            gen.food_for(business)
    _build_lists(gen)
    _build_population(gen)
    reference = next(
        b
        for b in gen.world.businesses
        if b.name is not None and b.status == "存续" and b.operator_id_number not in gen.reserved
    )
    assert reference.name is not None
    gen.world.existing_name = ExistingName(
        reference.name, reference.authority_code, reference.credit_code
    )
    return gen.world


def _rows(rows: Iterable[Mapping[str, Any]]) -> str:
    """A JSON array with one record per line: small, and diffs stay readable."""
    lines = [json.dumps(row, ensure_ascii=False, sort_keys=True) for row in rows]
    return "[\n" + ",\n".join(lines) + "\n]\n"


def _pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def render_world(world: World) -> dict[str, str]:
    """The seed files' contents, by file name."""
    assert world.existing_name is not None
    personas: dict[str, Any] = {key: p.to_json() for key, p in world.personas.items()}
    personas["existing_name"] = {
        "name": world.existing_name.name,
        "authority_code": world.existing_name.authority_code,
        "credit_code": world.existing_name.credit_code,
    }
    lists = {
        "serious_dishonesty": world.serious_dishonesty,
        "judgment_defaulter": world.judgment_defaulter,
        "false_registration_bans": [
            {"id_number": id_number, "revoked_on": revoked.isoformat()}
            for id_number, revoked in world.false_registration_bans
        ],
        "impersonation_watch": world.impersonation_watch,
    }
    food = {
        "permits": [p.to_json() for p in world.permits],
        "prepackaged_filings": world.prepackaged_filings,
    }
    return {
        "people.json": _rows(p.to_json() for p in world.people),
        "properties.json": _rows(p.to_json() for p in world.properties),
        "businesses.json": _rows(b.to_json() for b in world.businesses),
        "lists.json": _pretty(lists),
        "food.json": _pretty(food),
        "personas.json": _pretty(personas),
    }


def write_world(out_dir: Path, seed: int = DEFAULT_SEED) -> list[Path]:
    """Generate the world for ``seed`` and write its seed files into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_world(generate_world(seed)).items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def load_personas(data_dir: Path = DEFAULT_SEED_DIR) -> Personas:
    raw: dict[str, dict[str, str]] = json.loads(
        (data_dir / "personas.json").read_text(encoding="utf-8")
    )
    existing = raw.pop("existing_name")
    people = {
        key: Persona(
            key=key,
            id_number=entry["id_number"],
            name=entry["name"],
            birth_date=dt.date.fromisoformat(entry["birth_date"]),
            certificate_number=entry["certificate_number"],
            note=entry["note"],
        )
        for key, entry in raw.items()
    }
    return Personas(
        people=people,
        existing_name=ExistingName(
            existing["name"], existing["authority_code"], existing["credit_code"]
        ),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m connectors.world", description="Write the synthetic Taizhou seed files."
    )
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    written = write_world(args.out_dir, args.seed)
    sys.stdout.write(f"wrote {len(written)} seed files to {args.out_dir}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
