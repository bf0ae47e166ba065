"""What a terminal or the mobile app sends and gets back when checking or reserving a name."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from approval.intake.schemas import ReasonOut
from approval.kernel.application import BusinessName, IdType
from approval.kernel.timestamps import Timestamp

DistrictCode = Annotated[str, StringConstraints(strict=True, pattern=r"^\d{6}$")]


class NameRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: BusinessName = Field(description="拟使用的名称，如 泰州市姜堰区周记百货店")
    district_code: DistrictCode = Field(
        description="经营场所所在县（市、区）的行政区划代码：名称由该地登记机关核准"
    )
    id_type: IdType = Field(default="resident_id", description="经营者证件类型")
    id_number: Annotated[str, StringConstraints(strict=True, max_length=32)] = Field(
        description="经营者证件号码：保留的名称只供本人申请使用"
    )


class NameCheckRead(BaseModel):
    name: str = Field(description="拟使用的名称（原样）")
    authority_code: str = Field(description="核准名称的登记机关（行政区划代码）")
    authority_name: str = Field(description="登记机关名称")
    available: bool = Field(
        description="按现行名称规则可以使用（只有提示、没有驳回或转人工的原因）"
    )
    decision: str = Field(
        description="名称规则的结论：approve / reject / manual_review（提示不影响结论）"
    )
    reasons: list[ReasonOut] = Field(description="每条触发的名称规则及修改提示（一次性告知）")
    identical_to: str | None = Field(description="本登记机关名称库中相同的已登记或已保留名称")
    similar_to: str | None = Field(description="本登记机关名称库中相近的名称")
    reserved_until_for_you: Timestamp | None = Field(description="您本人已保留该名称时，保留期至")
    ruleset_version: str = Field(description="作出判断的规则版本")


class ReservationRead(NameCheckRead):
    holder: str = Field(description="保留人证件号码（部分隐藏）")
    reserved_until: Timestamp = Field(
        description="保留期至（两个月）；期满未申请登记的，名称不再保留"
    )
