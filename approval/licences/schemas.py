"""What the licence endpoints answer."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from approval.licences.document import SignedLicence


class LicenceRead(SignedLicence):
    """The signed electronic licence as its holder downloads it."""

    status: str = Field(description="current / revoked …")


class LicenceVerification(BaseModel):
    """What anyone may learn about a licence (the QR code opens this)."""

    credit_code: str = Field(description="统一社会信用代码")
    genuine: bool = Field(description="签名有效")
    status: str = Field(description="current / revoked …")
    current: bool = Field(description="真实且现行有效")
    name: str = Field(description="名称")
    operator_name: str = Field(description="经营者")
    organisation_form: str = Field(description="组成形式")
    issue_date: dt.date = Field(description="注册日期")
    authority_name: str = Field(description="登记机关")
    key_id: str = Field(description="签名密钥编号")


class SigningKeyRead(BaseModel):
    algorithm: str = Field(description="Ed25519")
    key_id: str
    public_key_pem: str = Field(description="验证营业执照签名的公钥（PEM）")
