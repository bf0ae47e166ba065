"""What the objection endpoints answer."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from approval.audit.schemas import StoredAuditRecord
from approval.kernel.principal import Role
from approval.kernel.timestamps import Timestamp

Stage = Literal["intake", "investigation", "legal_review", "decision", "closed", "refused"]
ObjectionDecision = Literal["revoke", "revoke_false_items", "not_revoke", "revoke_annulled"]


class ObjectionStep(BaseModel):
    """One step on the objection's history; what the step decided follows its common fields
    (``finding``, ``opinion``, ``notice_ends_on``, ``decision``, ``banned_until``, …)."""

    model_config = ConfigDict(extra="allow")

    at: Timestamp
    stage: Stage = Field(description="该步骤后所处的阶段")
    due_on: dt.date | None = Field(description="该阶段的期限")
    by: str = Field(description="操作者的密钥编号")
    role: Role = Field(description="操作者的角色")
    reason: str | None = Field(description="理由")
    action: str = Field(description="objection_filed / objection_accepted / … / objection_decided")


class ObjectionRead(BaseModel):
    id: str
    credit_code: str = Field(description="被异议登记的统一社会信用代码")
    application_id: str | None = Field(description="登记申请编号（仅工作人员可见）")
    objector_id_number: str = Field(description="异议人身份证号码（非本人或工作人员时脱敏）")
    grounds: str = Field(description="异议理由")
    stage: Stage = Field(
        description="intake（受理）→ investigation（核查）→ legal_review（复议）→ "
        "decision（终办）→ closed；或 refused（不予受理）"
    )
    stage_due_on: dt.date | None = Field(description="当前阶段的期限")
    overdue: bool = Field(description="已超过当前阶段的期限")
    notice_ends_on: dt.date | None = Field(description="公示期届满日（无法联系当事人时）")
    decision: ObjectionDecision | None = Field(description="终办决定")
    revoked_items: list[str] | None = Field(description="仅撤销的虚假登记事项")
    history: list[ObjectionStep] = Field(description="每个步骤：时间、操作者、期限、理由")


class ObjectionList(BaseModel):
    items: list[ObjectionRead] = Field(description="未办结的异议，按阶段期限排列")


class IdentityChecks(BaseModel):
    id_number: str = Field(description="登记所用的证件号码")
    face_match_score: float = Field(description="人脸比对得分（0–1）")
    liveness_passed: bool = Field(description="活体检测是否通过")
    id_check_ok: bool = Field(description="证件号码校验通过")
    impersonation_watch: bool | None = Field(description="市场监管系统的冒用身份预警")
    contact_mobile: str = Field(description="登记时留的手机号")


class EvidenceRegistryAnswer(BaseModel):
    registry: str = Field(description="登记系统名称")
    available: bool = Field(description="该系统是否及时作答")
    fetched_at: Timestamp = Field(description="查询时间")


class ObjectionEvidence(BaseModel):
    """What the investigation looks at."""

    objection_id: str
    credit_code: str
    application_id: str
    submitted_at: Timestamp = Field(description="登记申请的提交时间")
    channel: str = Field(description="提交渠道")
    submitting_key_id: str = Field(description="提交该登记的密钥编号")
    identity_checks: IdentityChecks = Field(description="登记时的身份核验")
    registry_answers: list[EvidenceRegistryAnswer] = Field(description="各登记系统的答复")
    audit_records: list[StoredAuditRecord] = Field(description="该登记的全部审计记录（含哈希）")
