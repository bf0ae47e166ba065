"""What a terminal or the mobile app gets back for an application."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from approval.kernel.timestamps import Timestamp


class ScopeEntryNearest(BaseModel):
    code: str = Field(description="目录中的经营范围编码")
    title: str = Field(description="该编码的规范表述")


class ScopeSuggestion(BaseModel):
    entry: str = Field(description="申请中填写的、不在目录中的经营范围条目（原样）")
    nearest: list[ScopeEntryNearest] = Field(
        description="目录中与之最接近的条目，最接近的在前；没有相近条目时为空"
    )


class ReasonOut(BaseModel):
    rule_id: str = Field(description="规则编号")
    code: str = Field(description="稳定的原因代码")
    outcome: str = Field(
        description="reject / manual_review / approve_with_conditions / flag / pending"
    )
    text: str = Field(description="原因（中文）")
    basis: str = Field(description="法律依据")
    # absent, not null, on every other reason: their answers stay what they were
    suggestions: list[ScopeSuggestion] | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="经营范围条目不在目录中时：每个这样的条目及目录中最接近的条目（您是不是要找）",
    )


class EventOut(BaseModel):
    at: Timestamp
    kind: str = Field(description="received / decided / issued / reviewed / revoked …")
    detail: dict[str, Any] = Field(description="该事件的具体内容")


class LicenceLinks(BaseModel):
    credit_code: str = Field(description="统一社会信用代码")
    json_url: str = Field(alias="json", description="签名的电子营业执照（JSON）")
    pdf_url: str = Field(alias="pdf", description="可打印的营业执照（PDF）")
    verify_url: str = Field(alias="verify", description="公开验证地址（二维码指向此处）")

    model_config = ConfigDict(populate_by_name=True)


class ApplicationRead(BaseModel):
    id: str
    status: str = Field(description="received / pending_verification / decided / issued")
    decision: str | None = Field(
        description="approve / approve_with_conditions / reject / manual_review"
    )
    reasons: list[ReasonOut] = Field(description="全部原因，一次性告知")
    conditions: list[str] = Field(description="附条件批准时须履行的条件")
    ruleset_version: str | None
    channel: str
    operator_name: str
    operator_id_number: str = Field(description="证件号码（非本人或工作人员时脱敏）")
    created_at: Timestamp
    decided_at: Timestamp | None
    licence: LicenceLinks | None
    timeline: list[EventOut] = Field(description="时间线，最早的在前")


class ApplicationSummary(BaseModel):
    id: str
    created_at: Timestamp
    status: str = Field(description="received / pending_verification / decided / issued / …")
    decision: str | None
    channel: str
    name: str | None = Field(description="个体工商户名称")
    operator_id_number: str = Field(description="证件号码（非本人或工作人员时脱敏）")


class ApplicationList(BaseModel):
    items: list[ApplicationSummary] = Field(description="最新的在前")
    next_before: Timestamp | None = Field(description="下一页：作为 before 传入；null 表示没有更多")
