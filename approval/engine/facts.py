"""The one declared fact schema: every fact a rule may name, with its type.

The application, the values derived from it and the registry answers are flattened into these
dotted names. Every fact is always present with its declared type, because durable_rules coerces
types unreliably and treats missing fields surprisingly (see the engine's measured limits).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class FactType(StrEnum):
    BOOL = "bool"
    INT = "int"
    NUMBER = "number"
    TEXT = "text"
    ENUM = "enum"


@dataclass(frozen=True, slots=True)
class FactSpec:
    name: str
    type: FactType
    description: str
    choices: tuple[str, ...] = ()

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


ID_TYPES = (
    "resident_id",
    "hk_macau_residence_permit",
    "taiwan_residence_permit",
    "foreign_permanent_residence",
    "passport",
)
PROPERTY_USES = ("住宅", "商业", "办公", "工业", "商住", "未知")

_B, _I, _N, _T, _E = FactType.BOOL, FactType.INT, FactType.NUMBER, FactType.TEXT, FactType.ENUM

FACTS: dict[str, FactSpec] = {
    spec.name: spec
    for spec in (
        FactSpec("operator.id_type", _E, "证件类型", ID_TYPES),
        FactSpec("operator.id_check_ok", _B, "证件号码格式与校验位正确"),
        FactSpec("operator.birth_date_valid", _B, "出生日期是真实日期且不晚于今天"),
        FactSpec("operator.age", _I, "经营者周岁年龄（按服务时钟）"),
        FactSpec("operator.is_foreign", _B, "外国人证件（护照、外国人永久居留身份证）"),
        FactSpec("operator.division_known", _B, "身份证地址码在出生年份有效（仅供核验参考）"),
        FactSpec("identity.face_match_score", _N, "人脸比对得分 0–1"),
        FactSpec("identity.liveness_passed", _B, "活体检测通过"),
        FactSpec("application.organisation_form", _E, "组成形式", ("individual", "family")),
        FactSpec("application.family_member_count", _I, "参加经营的家庭成员人数"),
        FactSpec("application.family_ids_ok", _B, "家庭成员证件号码均有效"),
        FactSpec("name.present", _B, "申请使用名称"),
        FactSpec("name.charset_ok", _B, "名称只用规范汉字"),
        FactSpec("name.prohibited_hit_count", _I, "名称命中禁用词的个数"),
        FactSpec("name.prohibited_obfuscated", _B, "禁用词经过变形（空格、符号）才命中"),
        FactSpec("name.restricted_hit", _B, "名称含限用词（中国、中华、国家级、最佳等）"),
        FactSpec("name.org_form_allowed", _B, "组织形式在允许清单内"),
        FactSpec("name.org_form_forbidden", _B, "组织形式为企业、公司、合作社等"),
        FactSpec("name.division_matches_premises", _B, "名称中的行政区划与经营场所一致"),
        FactSpec("name.trade_name_length", _I, "字号的字数"),
        FactSpec("name.structure_ok", _B, "名称结构为 行政区划+字号+行业+组织形式"),
        FactSpec("scope.item_count", _I, "经营范围条目数"),
        FactSpec("scope.unknown_count", _I, "不在经营范围规范目录中的条目数"),
        FactSpec("scope.closed_count", _I, "个体工商户不得经营的条目数"),
        FactSpec("scope.pre_approval_count", _I, "前置许可条目数"),
        FactSpec("scope.post_permit_count", _I, "后置许可条目数"),
        FactSpec("scope.filing_count", _I, "仅需备案的条目数"),
        FactSpec("scope.has_fumes", _B, "含产生油烟的餐饮服务"),
        FactSpec("scope.has_entertainment", _B, "含娱乐场所经营"),
        FactSpec("scope.physical_premises_required", _B, "含须实体场所的条目"),
        FactSpec("premises.kind", _E, "经营场所类型", ("physical", "online")),
        FactSpec("premises.in_jurisdiction", _B, "经营场所在本市登记机关辖区内"),
        FactSpec("premises.certificate_given", _B, "填报了不动产权证号"),
        FactSpec("commitments.truthfulness", _B, "已签署真实性承诺"),
        FactSpec("commitments.no_trading_before_permit", _B, "已签署取得许可前不经营承诺"),
        FactSpec("commitments.residential_use_consent", _B, "已签署住改商利害关系业主同意承诺"),
        FactSpec("commitments.e_commerce", _B, "已签署电子商务经营承诺"),
        FactSpec("registries.unavailable_count", _I, "未能按时答复的登记系统个数"),
        FactSpec("registries.market.identical_name", _B, "同一登记机关已有相同名称"),
        FactSpec("registries.market.similar_name", _B, "同一登记机关已有相近名称"),
        FactSpec("registries.market.serious_dishonesty", _B, "列入严重违法失信名单"),
        FactSpec("registries.market.judgment_defaulter", _B, "列入失信被执行人名单"),
        FactSpec("registries.market.false_registration_ban_active", _B, "虚假登记三年禁入期内"),
        FactSpec("registries.market.impersonation_watch", _B, "列入冒名登记关注名单"),
        FactSpec("registries.market.revoked_entity_count", _I, "名下吊销未注销或经营异常的主体数"),
        FactSpec("registries.realestate.found", _B, "不动产登记簿有此权证"),
        FactSpec("registries.realestate.registered_use", _E, "登记用途", PROPERTY_USES),
        FactSpec("registries.realestate.sealed", _B, "不动产已被查封"),
        FactSpec("registries.realestate.operator_is_owner", _B, "经营者是权利人"),
        FactSpec("registries.realestate.operator_has_lease", _B, "经营者有在期的登记租赁"),
        FactSpec("registries.realestate.district_matches", _B, "权证坐落与填报的区县一致"),
        FactSpec("registries.food.valid_permit_count", _I, "经营者持有的有效食品经营许可数"),
        FactSpec("registries.food.prepackaged_filing", _B, "已有仅销售预包装食品备案"),
    )
}


def normalise_facts(flat: dict[str, Any]) -> dict[str, Any]:
    """Check a flat fact mapping against the schema: every fact present, each of its type."""
    missing = FACTS.keys() - flat.keys()
    unknown = flat.keys() - FACTS.keys()
    if missing or unknown:
        raise KeyError(f"facts missing {sorted(missing)}, unknown {sorted(unknown)}")
    return {name: FACTS[name].normalise(value) for name, value in flat.items()}


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
