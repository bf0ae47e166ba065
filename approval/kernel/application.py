"""What a terminal or the mobile app posts: the application every feature reads."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from approval.kernel.identifiers import (
    DistrictCode,
    DocumentNumber,
    Mobile,
    PropertyCertificate,
    ResidentId,
)
from approval.kernel.text import clean_text


def _text(min_length: int, max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


_clean = AfterValidator(clean_text)
PersonName = Annotated[str, _text(2, 30), _clean]
BusinessName = Annotated[str, _text(2, 30), _clean]
Address = Annotated[str, _text(4, 120), _clean]
ScopeCode = Annotated[str, _text(1, 16), _clean]
ShopUrl = Annotated[str, StringConstraints(max_length=200, pattern=r"^https://[!-~]+$")]
Score = Annotated[float, Field(strict=True, ge=0, le=1)]
Flag = Annotated[bool, Field(strict=True)]
Count = Annotated[int, Field(strict=True)]
IdType = Literal[
    "resident_id",
    "hk_macau_residence_permit",
    "taiwan_residence_permit",
    "foreign_permanent_residence",
    "passport",
]
OrganisationForm = Literal["individual", "family"]
PremisesKind = Literal["physical", "online"]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OperatorIn(_Input):
    name: PersonName = Field(description="经营者姓名")
    id_type: IdType = Field(default="resident_id", description="证件类型")
    id_number: DocumentNumber = Field(description="证件号码")
    residence: Address = Field(description="经营者住所")
    mobile: Mobile = Field(description="经营者手机号")


class IdentityEvidence(_Input):
    face_match_score: Score = Field(description="终端或 App 的人脸比对得分（0–1）")
    liveness_passed: Flag = Field(description="活体检测是否通过")


class FamilyMember(_Input):
    name: PersonName = Field(description="家庭成员姓名")
    id_number: ResidentId = Field(description="家庭成员身份证号码")


class PremisesIn(_Input):
    kind: PremisesKind = Field(default="physical", description="实体场所或网店")
    address: Address = Field(description="经营场所（或网店经营者的住所）地址")
    district_code: DistrictCode = Field(description="经营场所所在区县的行政区划代码")
    property_certificate_number: PropertyCertificate | None = Field(
        default=None, description="不动产权证号（实体场所必填）"
    )
    shop_url: ShopUrl | None = Field(default=None, description="网店地址（网店必填）")

    @model_validator(mode="after")
    def _kind_needs_its_fields(self) -> PremisesIn:
        if self.kind == "physical" and not self.property_certificate_number:
            raise ValueError("实体经营场所须填写不动产权证号")
        if self.kind == "online" and not self.shop_url:
            raise ValueError("以网店作为经营场所须填写网店地址")
        return self


class ContactIn(_Input):
    name: PersonName = Field(description="联络员姓名")
    mobile: Mobile = Field(description="联络员手机号")


class Commitments(_Input):
    truthfulness: Flag = Field(description="承诺所填信息真实有效")
    no_trading_before_permit: Flag = Field(
        default=False, description="承诺取得许可前不从事需许可的经营活动"
    )
    residential_use_consent: Flag = Field(
        default=False, description="住宅作经营场所：承诺已征得有利害关系业主同意"
    )
    e_commerce: Flag = Field(default=False, description="网店经营：承诺仅通过互联网经营")


class ApplicationCreate(_Input):
    """个体工商户设立登记申请."""

    operator: OperatorIn
    identity_evidence: IdentityEvidence
    organisation_form: OrganisationForm = Field(description="组成形式")
    family_members: list[FamilyMember] = Field(default_factory=list, max_length=10)
    name: BusinessName | None = Field(default=None, description="名称（可不使用名称）")
    premises: PremisesIn
    scope: list[ScopeCode] = Field(min_length=1, max_length=20, description="经营范围目录编码")
    capital_yuan: Count = Field(ge=0, le=10_000_000_000, description="资金数额（元）")
    employees: Count = Field(ge=0, le=10_000, description="从业人数")
    contact: ContactIn
    commitments: Commitments

    @model_validator(mode="after")
    def _family_form_needs_members(self) -> ApplicationCreate:
        if self.organisation_form == "family" and not self.family_members:
            raise ValueError("家庭经营须填写参加经营的家庭成员")
        if self.organisation_form == "individual" and self.family_members:
            raise ValueError("个人经营不填写家庭成员")
        if len(set(self.scope)) != len(self.scope):
            raise ValueError("经营范围条目重复")
        return self
