"""What the ruleset endpoints answer."""

from __future__ import annotations

from pydantic import BaseModel, Field

from approval.kernel.timestamps import Timestamp


class RulesetVersionRead(BaseModel):
    """One stored version of the rules (its content hash is the version)."""

    version: str = Field(description="内容哈希，决定中记录的规则版本")
    status: str = Field(description="draft / scheduled / active / retired / cancelled")
    author: str = Field(description="提出者的密钥编号")
    created_at: Timestamp
    note: str | None
    rule_count: int
    approved_by: str | None = Field(description="批准者的密钥编号（四眼原则：非提出者）")
    approved_at: Timestamp | None
    activated_at: Timestamp | None
    retired_at: Timestamp | None
    replaced_version: str | None = Field(description="启用时被替换的版本")
    shadow: bool = Field(description="是否在影子模式中与现行版本并行运行")
    effective_from: Timestamp | None = Field(description="排定的生效时刻（scheduled）")
    change_id: str | None = Field(description="批准启用该版本的变更申请")


class RulesetList(BaseModel):
    running: str = Field(description="本进程正在运行的版本")
    versions: list[RulesetVersionRead] = Field(description="最新的在前")
