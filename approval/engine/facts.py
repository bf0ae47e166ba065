"""The one fact table: every fact a rule may name, with its type and how it is derived.

A fact is declared once, together with its derivation from the application, its ID-number
check, the registries' answers and the reference data (:class:`FactSources`), so a declared
fact always has a value and nothing else reaches the rules. Word lists, dates and catalogue
look-ups are worked out in Python and handed to the rules as plain typed facts: the rule engine
has no dates, no contains and an unreliable regex. Every fact is always present with its
declared type, because durable_rules coerces types unreliably and treats missing fields
surprisingly (see the engine's measured limits).

Some facts only say what a finding was, for the reason texts (``{name.prohibited_words}``): the
words hit, the scope entries not in the catalogue with their nearest entries, the commitments
still missing. They are stored with the application's facts but never handed to the engine and
never compared by a rule: the engine sees only what rules can compare, and free text an
applicant typed stays out of it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, get_args

from approval.authorities import AUTHORITIES, authority_for
from approval.catalog.scope import ScopeCatalog, ScopeItem, ScopeKind, ScopeTag
from approval.kernel.application import (
    ApplicationCreate,
    IdType,
    OrganisationForm,
    PremisesKind,
)
from approval.kernel.identity import IdNumberCheck, IdNumberInvalid, check_id_number
from approval.names.analysis import NameAnalysis, NameLexicon, analyse_name
from approval.names.comparison import NOTHING_REGISTERED, RegisterFacts
from connectors.base import FoodFacts, MarketFacts, PersonRecord, PopulationFacts, PropertyFacts


class FactType(StrEnum):
    BOOL = "bool"
    INT = "int"
    NUMBER = "number"
    TEXT = "text"
    ENUM = "enum"
    TEXTS = "texts"  # a list of texts, shown in reason texts joined with 、


@dataclass(frozen=True, slots=True)
class ReferenceData:
    """The data files behind the derived facts, loaded once with the ruleset."""

    scope: ScopeCatalog
    names: NameLexicon


def scope_items(app: ApplicationCreate, catalog: ScopeCatalog) -> list[ScopeItem | None]:
    return [catalog.get(code) for code in app.scope]


NEAREST_LIMIT = 3


def unknown_scope_entries(
    app: ApplicationCreate, catalog: ScopeCatalog
) -> list[tuple[str, list[ScopeItem]]]:
    """Each scope entry that is not a catalogue code, with its nearest entries, best first."""
    return [
        (entry, catalog.suggest(entry, limit=NEAREST_LIMIT))
        for entry, item in zip(app.scope, scope_items(app, catalog), strict=True)
        if item is None
    ]


@dataclass(frozen=True, slots=True)
class FactSources:
    """What the facts of one application are derived from, each part worked out once."""

    app: ApplicationCreate
    id_check: IdNumberCheck
    today: dt.date
    name: NameAnalysis
    scope_items: tuple[ScopeItem | None, ...]
    scope_kinds: tuple[ScopeKind, ...]  # of the items found in the catalogue
    scope_tags: frozenset[ScopeTag]
    scope_unknown: tuple[tuple[str, tuple[ScopeItem, ...]], ...]  # entry, nearest entries
    market: MarketFacts | None  # None: the registry did not answer
    food: FoodFacts | None
    estate: PropertyFacts | None  # None also when there was nothing to ask (online premises)
    population: PopulationFacts | None
    unavailable_count: int
    register: RegisterFacts = NOTHING_REGISTERED  # this authority's own name register

    @property
    def names(self) -> NameSources:
        return NameSources(self.name, self.market, self.register, self.app.premises.district_code)

    @classmethod
    def of(
        cls,
        app: ApplicationCreate,
        id_check: IdNumberCheck,
        reference: ReferenceData,
        today: dt.date,
        *,
        market: MarketFacts | None,
        food: FoodFacts | None,
        estate: PropertyFacts | None,
        population: PopulationFacts | None,
        unavailable_count: int,
        register: RegisterFacts = NOTHING_REGISTERED,
    ) -> FactSources:
        items = scope_items(app, reference.scope)
        known = [item for item in items if item is not None]
        return cls(
            app=app,
            id_check=id_check,
            today=today,
            name=analyse_name(app.name, app.premises.district_code, reference.names),
            scope_items=tuple(items),
            scope_kinds=tuple(item.kind for item in known),
            scope_tags=frozenset(tag for item in known for tag in item.tags),
            scope_unknown=tuple(
                (entry, tuple(nearest))
                for entry, nearest in unknown_scope_entries(app, reference.scope)
            ),
            market=market,
            food=food,
            estate=estate,
            population=population,
            unavailable_count=unavailable_count,
            register=register,
        )


@dataclass(frozen=True, slots=True)
class NameSources:
    """What the name facts are derived from: enough to check a name before applying."""

    name: NameAnalysis
    market: MarketFacts | None
    register: RegisterFacts
    authority_code: str  # where the name is registered: the premises' district


Value = bool | int | float | str | list[str]
Derivation = Callable[[FactSources], Value]
NameDerivation = Callable[[NameSources], Value]


@dataclass(frozen=True, slots=True)
class FactSpec:
    name: str
    type: FactType
    description: str
    derive: Derivation
    choices: tuple[str, ...] = ()
    # shown in reason texts only: no rule compares it and the engine never sees it
    reason_only: bool = False
    # the values a number can take (inclusive); a condition outside them always or never holds
    minimum: float | None = None
    maximum: float | None = None

    @property
    def range_text(self) -> str:
        """The declared range in words, e.g. 0–1 or ≥ 0; empty when none is declared."""

        def shown(bound: float) -> str:
            return f"{bound:g}"

        if self.minimum is not None and self.maximum is not None:
            return f"{shown(self.minimum)}–{shown(self.maximum)}"
        if self.minimum is not None:
            return f"≥ {shown(self.minimum)}"
        if self.maximum is not None:
            return f"≤ {shown(self.maximum)}"
        return ""

    def as_text(self, value: Any) -> str:
        """The value as a reason text shows it: lists joined with 、, numbers plain."""
        match self.type:
            case FactType.TEXTS:
                return "、".join(value)
            case FactType.BOOL:
                return "是" if value else "否"
            case FactType.NUMBER:
                return f"{value:.4f}".rstrip("0").rstrip(".")
            case _:
                return str(value)

    def normalise(self, value: Any) -> Any:
        """Coerce a raw value to the declared type, refusing anything ambiguous."""
        match self.type:
            case FactType.BOOL:
                if not isinstance(value, bool):
                    raise TypeError(f"{self.name}: expected bool, got {value!r}")
                return value
            case FactType.INT:
                if isinstance(value, bool) or not isinstance(value, int):
                    raise TypeError(f"{self.name}: expected int, got {value!r}")
                return value
            case FactType.NUMBER:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise TypeError(f"{self.name}: expected number, got {value!r}")
                # durable_rules' JSON reader refuses exponent notation, which Python uses
                # below 1e-4: four decimals are plenty for scores and keep the plain form.
                return round(float(value), 4) + 0.0
            case FactType.TEXT:
                if not isinstance(value, str):
                    raise TypeError(f"{self.name}: expected text, got {value!r}")
                return value
            case FactType.ENUM:
                if value not in self.choices:
                    raise TypeError(f"{self.name}: {value!r} is not one of {self.choices}")
                return value
            case FactType.TEXTS:
                if not isinstance(value, list | tuple) or not all(
                    isinstance(item, str) for item in value
                ):
                    raise TypeError(f"{self.name}: expected a list of texts, got {value!r}")
                return list(value)


PROPERTY_USES = ("住宅", "商业", "办公", "工业", "商住", "未知")
_KNOWN_USES = frozenset(PROPERTY_USES) - {"未知"}
# declared and stored with decisions once, since removed: replaying stored facts drops them
RETIRED_FACTS = frozenset({"operator.id_check_ok", "operator.birth_date_valid"})


def _family_ids_ok(s: FactSources) -> bool:
    try:
        for member in s.app.family_members:
            check_id_number("resident_id", member.id_number, s.today)
    except IdNumberInvalid:
        return False
    return True


# "unknown": the population register did not answer; "not_found": it has no such ID number
POPULATION_STATUSES = ("normal", "cancelled", "deceased", "not_found", "unknown")
_NAME_DOTS = str.maketrans({"•": "·", "・": "·", "‧": "·", ".": "·", "．": "·"})


def same_person_name(given: str, registered: str) -> bool:
    """Names as the population register compares them: width, spaces and the dot in 维吾尔族
    and other names written several ways do not count."""

    def canonical(name: str) -> str:
        return "".join(unicodedata.normalize("NFKC", name).translate(_NAME_DOTS).split())

    return canonical(given) == canonical(registered)


def _operator_record(s: FactSources) -> PersonRecord | None:
    return s.population.record(s.id_check.number) if s.population else None


def _population_status(s: FactSources) -> str:
    if s.population is None:
        return "unknown"
    record = _operator_record(s)
    if record is None or not record.found or record.status is None:
        return "not_found"
    return record.status.value


def _operator_name_mismatch(s: FactSources) -> bool:
    record = _operator_record(s)
    return bool(record and record.name and not same_person_name(s.app.operator.name, record.name))


def _operator_reported_lost(s: FactSources) -> bool:
    record = _operator_record(s)
    return bool(record and record.document_reported_lost)


def _member_confirmed(population: PopulationFacts, name: str, id_number: str) -> bool:
    record = population.record(id_number)
    return (
        record is not None
        and record.found
        and record.name is not None
        and same_person_name(name, record.name)
        and record.status is not None
        and record.status.value == "normal"
    )


def _family_unverified_count(s: FactSources) -> int:
    """Family members whose name and ID the population register does not confirm (R39)."""
    if s.population is None:
        return 0
    population = s.population
    return sum(
        not _member_confirmed(population, member.name, member.id_number)
        for member in s.app.family_members
    )


def _ban_active(s: FactSources) -> bool:
    until = s.market.false_registration_banned_until if s.market else None
    return until is not None and until > s.today


def _revoked_entity_count(s: FactSources) -> int:
    entities = s.market.existing_entities if s.market else ()
    return sum(1 for entity in entities if entity.status in ("吊销未注销", "经营异常"))


def _registered_use(s: FactSources) -> str:
    e = s.estate
    return e.registered_use if e and e.found and e.registered_use in _KNOWN_USES else "未知"


def _operator_has_lease(s: FactSources) -> bool:
    leases = s.estate.leases if s.estate else ()
    return any(
        lease.lessee_id_number == s.id_check.number and lease.start <= s.today <= lease.end
        for lease in leases
    )


def _valid_permit_count(s: FactSources) -> int:
    permits = s.food.permits if s.food else ()
    return sum(1 for permit in permits if permit.valid_until >= s.today)


# ---------------------------------------------------------------- what a finding was, for reasons


def _member(position: int, name: str) -> str:
    """A family member as a reason names them: their place in the list and a masked name."""
    masked = name[:1] + "*" * (len(name) - 1)
    return f"第{position}位（{masked}）"


def _family_invalid_members(s: FactSources) -> list[str]:
    found = []
    for position, member in enumerate(s.app.family_members, start=1):
        try:
            check_id_number("resident_id", member.id_number, s.today)
        except IdNumberInvalid:
            found.append(_member(position, member.name))
    return found


def _family_unverified_members(s: FactSources) -> list[str]:
    if s.population is None:
        return []
    return [
        _member(position, member.name)
        for position, member in enumerate(s.app.family_members, start=1)
        if not _member_confirmed(s.population, member.name, member.id_number)
    ]


def _ban_until(s: FactSources) -> str:
    until = s.market.false_registration_banned_until if s.market else None
    if until is None or until <= s.today:
        return ""
    return f"{until.year}年{until.month}月{until.day}日"


def _shown_character(char: str) -> str:
    return "空格" if char.isspace() else char


def _quoted(name: str | None) -> str:
    return f"“{name}”" if name else ""


def _identical_existing(s: NameSources) -> str:
    return _quoted(s.register.identical_to or (s.market.identical_to if s.market else None))


def _freed(s: NameSources) -> tuple[str | None, dt.date | None]:
    """The freed name and when, from the register or else the market-supervision registry."""
    if s.register.freed_name:
        return s.register.freed_name, s.register.freed_on
    if s.market and s.market.recently_freed_name:
        return s.market.recently_freed_name, s.market.recently_freed_on
    return None, None


def _freed_on(s: NameSources) -> str:
    _, day = _freed(s)
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def _division_used(s: NameSources) -> str:
    if not s.name.present:
        return ""
    return s.name.division_prefix or "未写行政区划"


def _structure_problems(s: NameSources) -> list[str]:
    name = s.name
    if not name.present:
        return []
    problems = []
    if not name.division_matches_premises:
        expected = f"“{name.expected_division}”" if name.expected_division else "经营场所所在县区"
        problems.append(f"开头的行政区划应为{expected}")
    if not name.trade_name:
        problems.append("缺少字号")
    elif name.trade_name_length < 2:
        problems.append(f"字号“{name.trade_name}”不足两个汉字")
    if name.trade_name_has_division:
        problems.append(f"字号“{name.trade_name}”含有行政区划名称")
    if not name.org_form:
        problems.append("缺少组织形式（如店、馆、部、行、厂、中心）")
    elif not name.org_form_allowed:
        problems.append(f"组织形式“{name.org_form}”不能使用")
    return problems


def _item(item: ScopeItem) -> str:
    return f"{item.code} {item.title}"


def _items_of_kind(kind: ScopeKind, detail: Callable[[ScopeItem], str | None]) -> Derivation:
    def derive(s: FactSources) -> list[str]:
        shown = []
        for item in s.scope_items:
            if item is not None and item.kind is kind:
                extra = detail(item)
                shown.append(f"{_item(item)}（{extra}）" if extra else _item(item))
        return shown

    return derive


def _permit(item: ScopeItem) -> str | None:
    return f"{item.permit}，{item.authority}" if item.permit and item.authority else item.permit


def _items_tagged(*tags: ScopeTag) -> Derivation:
    def derive(s: FactSources) -> list[str]:
        return [
            _item(item)
            for item in s.scope_items
            if item is not None and any(tag in item.tags for tag in tags)
        ]

    return derive


def _unknown_entries(s: FactSources) -> list[str]:
    shown = []
    for entry, nearest in s.scope_unknown:
        if nearest:
            offered = "，".join(_item(item) for item in nearest)
            shown.append(f"{entry}（您是否要找：{offered}）")
        else:
            shown.append(f"{entry}（目录中没有相近的条目）")
    return shown


# the commitments an application must sign, by their names on the form, and when each is needed
COMMITMENT_NAMES = {
    "truthfulness": "对所填信息真实性负责的承诺",
    "no_trading_before_permit": "取得许可（完成备案）前不从事相关经营活动的承诺",
    "residential_use_consent": "住宅改为经营性用房已征得有利害关系的业主一致同意的承诺",
    "e_commerce": "仅通过互联网从事经营活动的承诺",
}


def _commitments_missing(s: FactSources) -> list[str]:
    signed = s.app.commitments
    needed = {
        "truthfulness": True,
        "no_trading_before_permit": any(
            kind in (ScopeKind.POST_PERMIT, ScopeKind.FILING) for kind in s.scope_kinds
        ),
        "residential_use_consent": s.app.premises.kind == "physical"
        and _registered_use(s) == "住宅",
        "e_commerce": s.app.premises.kind == "online",
    }
    return [
        COMMITMENT_NAMES[name]
        for name, required in needed.items()
        if required and not getattr(signed, name)
    ]


_B, _I, _N, _E = FactType.BOOL, FactType.INT, FactType.NUMBER, FactType.ENUM
_T, _L = FactType.TEXT, FactType.TEXTS
_Spec = FactSpec
# the facts of a name alone, which a name check derives without an application
_NAME_DERIVATIONS: dict[str, NameDerivation] = {}


def _Name(
    name: str, type_: FactType, description: str, derive: NameDerivation, *, shown: bool = False
) -> FactSpec:
    _NAME_DERIVATIONS[name] = derive
    return FactSpec(name, type_, description, lambda s: derive(s.names), reason_only=shown)


def _Shown(name: str, type_: FactType, description: str, derive: Derivation) -> FactSpec:
    return FactSpec(name, type_, description, derive, reason_only=True)


FACTS: dict[str, FactSpec] = {
    spec.name: spec
    for spec in (
        _Spec(
            "operator.id_type", _E, "证件类型", lambda s: s.app.operator.id_type, get_args(IdType)
        ),
        _Spec(
            "operator.age", _I, "经营者周岁年龄（按服务时钟）", lambda s: s.id_check.age_on(s.today)
        ),
        _Spec(
            "operator.is_foreign",
            _B,
            "外国人证件（护照、外国人永久居留身份证）",
            lambda s: s.id_check.is_foreign,
        ),
        _Spec(
            "operator.division_known",
            _B,
            "身份证地址码在出生年份有效（仅供核验参考）",
            lambda s: s.id_check.division_known,
        ),
        _Spec(
            "identity.face_match_score",
            _N,
            "人脸比对得分 0–1",
            lambda s: s.app.identity_evidence.face_match_score,
        ),
        _Spec(
            "identity.liveness_passed",
            _B,
            "活体检测通过",
            lambda s: s.app.identity_evidence.liveness_passed,
        ),
        _Spec(
            "application.organisation_form",
            _E,
            "组成形式",
            lambda s: s.app.organisation_form,
            get_args(OrganisationForm),
        ),
        _Spec(
            "application.family_member_count",
            _I,
            "参加经营的家庭成员人数",
            lambda s: len(s.app.family_members),
        ),
        _Spec("application.family_ids_ok", _B, "家庭成员证件号码均有效", _family_ids_ok),
        _Name("name.present", _B, "申请使用名称", lambda n: n.name.present),
        _Name("name.charset_ok", _B, "名称只用规范汉字", lambda n: n.name.charset_ok),
        _Name(
            "name.prohibited_hit_count",
            _I,
            "名称命中禁用词的个数",
            lambda n: len(n.name.prohibited_hits),
        ),
        _Name(
            "name.prohibited_obfuscated",
            _B,
            "禁用词经过变形（空格、符号）才命中",
            lambda n: n.name.prohibited_obfuscated,
        ),
        _Name(
            "name.restricted_hit",
            _B,
            "名称含限用词（中国、中华、国家级、最佳等）",
            lambda n: n.name.restricted_hit,
        ),
        _Name(
            "name.org_form_allowed", _B, "组织形式在允许清单内", lambda n: n.name.org_form_allowed
        ),
        _Name(
            "name.org_form_forbidden",
            _B,
            "组织形式为企业、公司、合作社等",
            lambda n: n.name.org_form_forbidden,
        ),
        _Name(
            "name.division_matches_premises",
            _B,
            "名称中的行政区划与经营场所一致",
            lambda n: n.name.division_matches_premises,
        ),
        _Name("name.trade_name_length", _I, "字号的字数", lambda n: n.name.trade_name_length),
        _Name(
            "name.structure_ok",
            _B,
            "名称结构为 行政区划+字号+行业+组织形式",
            lambda n: n.name.structure_ok,
        ),
        _Spec("scope.item_count", _I, "经营范围条目数", lambda s: len(s.scope_items)),
        _Spec(
            "scope.unknown_count",
            _I,
            "不在经营范围规范目录中的条目数",
            lambda s: s.scope_items.count(None),
        ),
        _Spec(
            "scope.closed_count",
            _I,
            "个体工商户不得经营的条目数",
            lambda s: s.scope_kinds.count(ScopeKind.CLOSED),
        ),
        _Spec(
            "scope.pre_approval_count",
            _I,
            "前置许可条目数",
            lambda s: s.scope_kinds.count(ScopeKind.PRE_APPROVAL),
        ),
        _Spec(
            "scope.post_permit_count",
            _I,
            "后置许可条目数",
            lambda s: s.scope_kinds.count(ScopeKind.POST_PERMIT),
        ),
        _Spec(
            "scope.filing_count",
            _I,
            "仅需备案的条目数",
            lambda s: s.scope_kinds.count(ScopeKind.FILING),
        ),
        _Spec(
            "scope.has_fumes",
            _B,
            "含产生油烟的餐饮服务",
            lambda s: ScopeTag.FUMES in s.scope_tags,
        ),
        _Spec(
            "scope.has_entertainment",
            _B,
            "含娱乐场所经营",
            lambda s: ScopeTag.ENTERTAINMENT in s.scope_tags,
        ),
        _Spec(
            "scope.physical_premises_required",
            _B,
            "含须实体场所的条目",
            lambda s: ScopeTag.PHYSICAL_PREMISES_REQUIRED in s.scope_tags,
        ),
        _Spec(
            "premises.kind",
            _E,
            "经营场所类型",
            lambda s: s.app.premises.kind,
            get_args(PremisesKind),
        ),
        _Spec(
            "premises.in_jurisdiction",
            _B,
            "经营场所在本市登记机关辖区内",
            lambda s: authority_for(s.app.premises.district_code) is not None,
        ),
        _Spec(
            "premises.certificate_given",
            _B,
            "填报了不动产权证号",
            lambda s: bool(s.app.premises.property_certificate_number),
        ),
        _Spec(
            "commitments.truthfulness",
            _B,
            "已签署真实性承诺",
            lambda s: s.app.commitments.truthfulness,
        ),
        _Spec(
            "commitments.no_trading_before_permit",
            _B,
            "已签署取得许可前不经营承诺",
            lambda s: s.app.commitments.no_trading_before_permit,
        ),
        _Spec(
            "commitments.residential_use_consent",
            _B,
            "已签署住改商利害关系业主同意承诺",
            lambda s: s.app.commitments.residential_use_consent,
        ),
        _Spec(
            "commitments.e_commerce",
            _B,
            "已签署电子商务经营承诺",
            lambda s: s.app.commitments.e_commerce,
        ),
        _Spec(
            "registries.unavailable_count",
            _I,
            "未能按时答复的登记系统个数",
            lambda s: s.unavailable_count,
        ),
        _Name(
            "registries.market.identical_name",
            _B,
            "同一登记机关已有相同名称",
            lambda n: bool(n.market and n.market.identical_name_exists),
        ),
        _Name(
            "registries.market.similar_name",
            _B,
            "同一登记机关已有相近名称",
            lambda n: bool(n.market and n.market.similar_name_exists),
        ),
        _Name(
            "registries.market.recently_freed",
            _B,
            "市场监管登记系统：与一年内撤销、注销登记的名称相同",
            lambda n: bool(n.market and n.market.recently_freed_name),
        ),
        _Name(
            "name.taken_in_register",
            _B,
            "本登记机关名称库中已有相同名称（含他人保留未满两个月的名称）",
            lambda n: n.register.identical_to is not None,
        ),
        _Name(
            "name.freed_within_year",
            _B,
            "与本登记机关一年内因撤销、注销或变更而停用的名称相同",
            lambda n: n.register.freed_name is not None,
        ),
        _Name(
            "name.similar_in_register",
            _B,
            "本登记机关名称库中已有相近名称",
            lambda n: n.register.similar_to is not None,
        ),
        _Spec(
            "registries.market.serious_dishonesty",
            _B,
            "列入严重违法失信名单",
            lambda s: bool(s.market and s.market.serious_dishonesty),
        ),
        _Spec(
            "registries.market.judgment_defaulter",
            _B,
            "列入失信被执行人名单",
            lambda s: bool(s.market and s.market.judgment_defaulter),
        ),
        _Spec(
            "registries.market.false_registration_ban_active",
            _B,
            "虚假登记三年禁入期内",
            _ban_active,
        ),
        _Spec(
            "registries.market.impersonation_watch",
            _B,
            "列入冒名登记关注名单",
            lambda s: bool(s.market and s.market.impersonation_watch),
        ),
        _Spec(
            "registries.market.revoked_entity_count",
            _I,
            "名下吊销未注销或经营异常的主体数",
            _revoked_entity_count,
        ),
        _Spec(
            "registries.realestate.found",
            _B,
            "不动产登记簿有此权证",
            lambda s: bool(s.estate and s.estate.found),
        ),
        _Spec(
            "registries.realestate.registered_use", _E, "登记用途", _registered_use, PROPERTY_USES
        ),
        _Spec(
            "registries.realestate.sealed",
            _B,
            "不动产已被查封",
            lambda s: bool(s.estate and s.estate.sealed),
        ),
        _Spec(
            "registries.realestate.operator_is_owner",
            _B,
            "经营者是权利人",
            lambda s: bool(s.estate and s.id_check.number in s.estate.owner_id_numbers),
        ),
        _Spec(
            "registries.realestate.operator_has_lease",
            _B,
            "经营者有在期的登记租赁",
            _operator_has_lease,
        ),
        _Spec(
            "registries.realestate.district_matches",
            _B,
            "权证坐落与填报的区县一致",
            lambda s: bool(s.estate and s.estate.district_code == s.app.premises.district_code),
        ),
        _Spec(
            "registries.population.status",
            _E,
            "经营者在人口信息库中的状态（正常、注销、死亡、无记录、未答复）",
            _population_status,
            POPULATION_STATUSES,
        ),
        _Spec(
            "registries.population.name_mismatch",
            _B,
            "经营者姓名与身份证号码在人口信息库中的姓名不一致",
            _operator_name_mismatch,
        ),
        _Spec(
            "registries.population.reported_lost",
            _B,
            "经营者的身份证已挂失",
            _operator_reported_lost,
        ),
        _Spec(
            "registries.population.family_unverified_count",
            _I,
            "姓名与身份证号码未能在人口信息库核实的家庭成员人数",
            _family_unverified_count,
        ),
        _Spec(
            "registries.food.valid_permit_count",
            _I,
            "经营者持有的有效食品经营许可数",
            _valid_permit_count,
        ),
        _Spec(
            "registries.food.prepackaged_filing",
            _B,
            "已有仅销售预包装食品备案",
            lambda s: bool(s.food and s.food.prepackaged_filing_exists),
        ),
        # what a finding was, for the reason texts; empty when nothing applies
        _Name(
            "name.authority",
            _T,
            "核准名称的登记机关：经营场所所在区县的市场监督管理局",
            lambda n: AUTHORITIES.get(n.authority_code, "本登记机关"),
            shown=True,
        ),
        _Name(
            "name.identical_existing",
            _T,
            "与之相同的已登记或已保留名称，带引号（不知道具体名称时为空）",
            _identical_existing,
            shown=True,
        ),
        _Name(
            "name.freed_existing",
            _T,
            "与之相同、一年内停用的名称，带引号",
            lambda n: _quoted(_freed(n)[0]),
            shown=True,
        ),
        _Name("name.freed_on", _T, "该名称停用的日期，如 2026年11月26日", _freed_on, shown=True),
        _Name(
            "name.similar_existing",
            _T,
            "与之相近的名称，带引号",
            lambda n: _quoted(n.register.similar_to),
            shown=True,
        ),
        _Name(
            "name.prohibited_words",
            _L,
            "名称命中的禁用词（规范化后，变形写法也还原为原词）",
            lambda n: list(n.name.prohibited_hits),
            shown=True,
        ),
        _Name(
            "name.prohibited_reason",
            _T,
            "所命中禁用词类别的理由（见 words/prohibited.yaml 的 reason，多个类别用；分隔）",
            lambda n: "；".join(n.name.prohibited_reasons),
            shown=True,
        ),
        _Name(
            "name.restricted_words",
            _L,
            "名称命中的限用词",
            lambda n: list(n.name.restricted_words),
            shown=True,
        ),
        _Name(
            "name.restricted_reason",
            _T,
            "所命中限用词组的理由（见 words/restricted.yaml 的 reason，多组用；分隔）",
            lambda n: "；".join(n.name.restricted_reasons),
            shown=True,
        ),
        _Name(
            "name.expected_division",
            _T,
            "名称应使用的行政区划：经营场所所在区县，如 泰州市姜堰区（场所不在辖区时为空）",
            lambda n: n.name.expected_division,
            shown=True,
        ),
        _Name(
            "name.division_used",
            _T,
            "名称开头实际写的行政区划；没有写时为“未写行政区划”（不使用名称时为空）",
            _division_used,
            shown=True,
        ),
        _Name(
            "name.structure_problems",
            _L,
            "名称结构的具体问题，如 缺少字号、组织形式“公司”不能使用",
            _structure_problems,
            shown=True,
        ),
        _Name(
            "name.invalid_characters",
            _L,
            "名称中不是规范汉字的字符（外文字母、数字、符号、繁体字等）",
            lambda n: [_shown_character(ch) for ch in n.name.invalid_characters],
            shown=True,
        ),
        _Name(
            "name.org_form",
            _T,
            "名称所用的组织形式，如 店、公司（没有时为空）",
            lambda n: n.name.org_form,
            shown=True,
        ),
        _Shown(
            "scope.unknown_entries",
            _L,
            "不在目录中的经营范围条目，各附目录中最接近的条目，如 F1OO1（您是否要找：F1001 …）",
            _unknown_entries,
        ),
        _Shown(
            "scope.closed_items",
            _L,
            "个体工商户不得经营的条目（附法律依据）",
            _items_of_kind(ScopeKind.CLOSED, lambda item: item.basis),
        ),
        _Shown(
            "scope.pre_approval_items",
            _L,
            "前置许可条目（附许可文件和部门）",
            _items_of_kind(ScopeKind.PRE_APPROVAL, _permit),
        ),
        _Shown(
            "scope.post_permit_items",
            _L,
            "后置许可条目（附许可证和部门）",
            _items_of_kind(ScopeKind.POST_PERMIT, _permit),
        ),
        _Shown(
            "scope.filing_items",
            _L,
            "仅需备案的条目（附备案名称和部门）",
            _items_of_kind(ScopeKind.FILING, _permit),
        ),
        _Shown(
            "scope.fumes_or_entertainment_items",
            _L,
            "产生油烟的餐饮服务或娱乐场所经营条目",
            _items_tagged(ScopeTag.FUMES, ScopeTag.ENTERTAINMENT),
        ),
        _Shown(
            "scope.physical_premises_items",
            _L,
            "须有实体经营场所的条目",
            _items_tagged(ScopeTag.PHYSICAL_PREMISES_REQUIRED),
        ),
        _Shown(
            "commitments.missing",
            _L,
            "须签署而尚未签署的承诺（真实性承诺总是须签署；许可或备案项目、住宅、网店另有承诺）",
            _commitments_missing,
        ),
        _Shown(
            "application.family_invalid_members",
            _L,
            "身份证号码校验不通过的家庭成员，如 第2位（王**）",
            _family_invalid_members,
        ),
        _Shown(
            "registries.population.family_unverified_members",
            _L,
            "姓名与身份证号码未能在人口信息库核实的家庭成员，如 第2位（王**）",
            _family_unverified_members,
        ),
        _Shown(
            "registries.market.ban_until",
            _T,
            "虚假登记禁入期的截止日期，如 2027年5月1日（不在禁入期时为空）",
            _ban_until,
        ),
    )
}

# Value ranges of the numeric facts. Every whole-number fact is an age, a count or a length,
# so none is below 0; the ones with an upper bound are named here.
_RANGES: dict[str, tuple[float | None, float | None]] = {
    "operator.age": (0, 150),
    "identity.face_match_score": (0, 1),
}
for _name, _spec in list(FACTS.items()):
    if _name in _RANGES:
        _low, _high = _RANGES[_name]
        FACTS[_name] = dataclasses.replace(_spec, minimum=_low, maximum=_high)
    elif _spec.type is FactType.INT:
        FACTS[_name] = dataclasses.replace(_spec, minimum=0)


NAME_FACTS: frozenset[str] = frozenset(_NAME_DERIVATIONS)


def name_facts(sources: NameSources) -> dict[str, Any]:
    """The name facts alone, as an application with this name would have them."""
    return {
        name: FACTS[name].normalise(derive(sources)) for name, derive in _NAME_DERIVATIONS.items()
    }


def derive_facts(sources: FactSources) -> dict[str, Any]:
    """Every declared fact of one application, each by its own derivation."""
    return {name: spec.derive(sources) for name, spec in FACTS.items()}


# what a rule may compare, and what the engine is handed
RULE_FACTS = frozenset(name for name, spec in FACTS.items() if not spec.reason_only)


def normalise_facts(flat: dict[str, Any]) -> dict[str, Any]:
    """Check a flat fact mapping against the schema: every fact present, each of its type.

    A retired fact in facts stored before its retirement is dropped, so past decisions replay;
    so do facts stored before a reason-only fact was declared, which then lack it.
    """
    if not RETIRED_FACTS.isdisjoint(flat):
        flat = {name: value for name, value in flat.items() if name not in RETIRED_FACTS}
    missing = RULE_FACTS - flat.keys()
    unknown = flat.keys() - FACTS.keys()
    if missing or unknown:
        raise KeyError(f"facts missing {sorted(missing)}, unknown {sorted(unknown)}")
    return {name: FACTS[name].normalise(value) for name, value in flat.items()}


def engine_facts(flat: dict[str, Any]) -> dict[str, Any]:
    """The facts a rule can compare, checked, and nothing else: what the engine is handed."""
    return {name: value for name, value in normalise_facts(flat).items() if name in RULE_FACTS}


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """Dotted names to the nested object durable_rules matches on."""
    nested: dict[str, Any] = {}
    for dotted, value in flat.items():
        *parents, leaf = dotted.split(".")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return nested
