"""What the supervision API answers a department."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from approval.kernel.timestamps import Timestamp

ActionKind = Literal["inspection", "permit_issued", "permit_refused", "filing_received", "other"]
Commitment = Literal[
    "no_trading_before_permit", "truthfulness", "residential_use_consent", "e_commerce"
]
CopyStatus = Literal["pending", "acknowledged", "claimed", "actioned", "closed"]


class CopyActionRead(BaseModel):
    at: Timestamp
    kind: ActionKind = Field(description="检查、许可发放、不予许可、备案、其他")
    note: str = Field(description="处理情况")
    reference: str | None = Field(description="许可证号等")


class SupervisionCopyRead(BaseModel):
    """One department's copy of a pushed approval, and how the department handled it."""

    id: str = Field(description="推送编号（接收方据此去重）")
    department: str = Field(description="监管部门编码")
    kind: str = Field(description="推送的事件：licence_issued / licence_revoked …")
    channel: Literal["webhook", "pull"] = Field(description="推送（webhook）或由部门拉取（pull）")
    status: CopyStatus = Field(description="pending → acknowledged → claimed → actioned → closed")
    credit_code: str | None = Field(description="统一社会信用代码")
    created_on: dt.date = Field(description="推送日期")
    claim_due_on: dt.date = Field(description="认领期限（2个工作日）")
    claim_overdue: bool = Field(description="超过认领期限仍未认领")
    escalated: bool = Field(description="已因逾期未认领而督办")
    delivered_at: Timestamp | None = Field(description="送达时间")
    acknowledged_at: Timestamp | None = Field(description="签收时间")
    claimed_at: Timestamp | None = Field(description="认领时间")
    actions: list[CopyActionRead] = Field(description="登记的处理情况，最早的在前")
    closed_at: Timestamp | None = Field(description="办结时间")
    close_note: str | None = Field(description="办结说明")
    # the body exactly as the webhook delivered and signed it, so it is passed through as stored
    payload: dict[str, Any] = Field(description="推送内容（与 webhook 请求体相同）")


class SupervisionCopyList(BaseModel):
    items: list[SupervisionCopyRead]


class BrokenCommitmentRead(BaseModel):
    application_id: str
    credit_code: str | None = Field(description="统一社会信用代码")
    department: str = Field(description="报告的监管部门编码")
    commitment: Commitment = Field(description="被违反的承诺")
    note: str = Field(description="发现的情况")
