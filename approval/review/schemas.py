"""What the manual-review queue answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from approval.intake.schemas import EventOut, ReasonOut
from approval.kernel.status import ApplicationStatus, Outcome
from approval.kernel.timestamps import Timestamp


class ReviewCaseSummary(BaseModel):
    application_id: str
    received_on: dt.date = Field(description="收到申请的日期")
    due_on: dt.date = Field(description="审核期限（3个工作日，延长后再加3个工作日）")
    overdue: bool = Field(description="已超过审核期限")
    extended: bool = Field(description="期限已延长过一次")
    claimed_by: str | None = Field(description="认领该申请的工作人员密钥编号")
    reasons: list[str] = Field(description="转人工审核的原因代码")


class ReviewQueue(BaseModel):
    total: int = Field(description="符合条件的申请总数（不受 limit 限制）")
    items: list[ReviewCaseSummary] = Field(description="最早的在前")


class ConditionTrace(BaseModel):
    fact: str = Field(description="规则条件检查的事实")
    operator: str = Field(description="比较方式")
    expected: Any = Field(description="规则中写明的值")
    actual: Any = Field(description="该申请的事实取值")
    passed: bool = Field(description="条件是否成立")


class FiredRule(BaseModel):
    rule_id: str = Field(description="命中的规则编号")
    reason: str = Field(description="该规则的原因，按该申请的事实填写（与告知申请人的相同）")
    conditions: list[ConditionTrace] = Field(description="该规则的每个条件及其取值")


class RegistryAnswerRead(BaseModel):
    registry: str = Field(description="登记系统名称")
    available: bool = Field(description="该系统是否及时作答")
    answer: dict[str, Any] | None = Field(description="该系统的原始答复")


class ReviewCaseRead(BaseModel):
    """Everything the reviewer needs to decide one case."""

    application_id: str
    received_at: Timestamp = Field(description="收到申请的时间")
    due_on: dt.date = Field(description="审核期限")
    overdue: bool = Field(description="已超过审核期限")
    extended: bool = Field(description="期限已延长过一次")
    claimed_by: str | None = Field(description="认领该申请的工作人员密钥编号")
    # as stored at intake, passed through (its fields are those of the submit body)
    application: dict[str, Any] = Field(description="提交的申请内容（字段同 ApplicationCreate）")
    facts: dict[str, Any] | None = Field(description="决定所依据的事实（事实名 → 取值）")
    reasons: list[ReasonOut] = Field(description="转人工审核的全部原因")
    ruleset_version: str | None = Field(description="作出决定的规则版本")
    explanation: list[FiredRule] = Field(description="每条命中的规则及其条件取值")
    registry_answers: list[RegistryAnswerRead] = Field(description="各登记系统的答复")
    timeline: list[EventOut] = Field(description="时间线，最早的在前")


class ReviewExtension(BaseModel):
    application_id: str
    due_on: dt.date = Field(description="延长后的审核期限")
    extended: bool = Field(description="期限已延长（只能延长一次）")


class ReviewDecision(BaseModel):
    application_id: str
    status: ApplicationStatus = Field(description="issued（批准并发照）/ decided（驳回）")
    decision: Outcome = Field(description="approve / approve_with_conditions / reject")
    credit_code: str | None = Field(description="批准时发放的统一社会信用代码")
    conditions: list[str] = Field(description="附条件批准时须履行的条件")
