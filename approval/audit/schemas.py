"""What an audit chain looks like to someone who checks it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class AuditRecordRead(BaseModel):
    """One record of a chain, its fields exactly as they were hashed."""

    chain: str = Field(description="审计链（申请编号）")
    seq: int = Field(description="链上序号，从 1 开始")
    at: str = Field(description="时间（ISO 8601，按存储原文参与哈希）")
    actor: str = Field(description="操作者（密钥编号或系统）")
    role: str = Field(description="操作者的角色")
    action: str = Field(description="发生了什么")
    reason: str | None = Field(description="理由")
    detail: dict[str, Any] = Field(description="该记录的具体内容")
    prev_hash: str = Field(description="上一条记录的哈希")
    hash: str = Field(description="本记录的哈希（SHA-256）")


class _Stored(BaseModel):
    id: int = Field(description="存储编号（不参与哈希）")


class StoredAuditRecord(AuditRecordRead, _Stored):
    """A record with its storage id first, as the repository reads it."""


class SignedHead(BaseModel):
    chain: str
    seq: int = Field(description="链头的序号")
    hash: str = Field(description="链头记录的哈希")
    key_id: str = Field(description="签名密钥编号")


class AuditExport(BaseModel):
    """One chain with everything an outsider needs to check it."""

    chain: str = Field(description="审计链（申请编号）")
    algorithm: str = Field(description="哈希算法：sha256")
    genesis_prev_hash: str = Field(description="第一条记录的 prev_hash")
    how_to_verify: str = Field(description="校验方法")
    records: list[AuditRecordRead] = Field(description="全部记录，按序号排列")
    head: SignedHead = Field(description="签名的链头")
    head_signature: str = Field(description="链头的 Ed25519 签名")
    signing_key_id: str = Field(description="签名密钥编号")
    signing_public_key_pem: str = Field(description="验证签名的公钥（PEM）")
    intact: bool = Field(description="整条链校验通过")
