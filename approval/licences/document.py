"""The electronic business licence (营业执照) of an individual business, as signed."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from approval.licences.credit_code import is_individual_business_code
from approval.licences.signing import ALGORITHM, LicenceSigner, verify_signature

DOCUMENT_TYPE: Final = "miaopi.licence.individual-business/1"
NO_NAME: Final = "—"

OrganisationForm = Literal["individual", "family"]
ORGANISATION_FORM_LABELS: Final[dict[str, str]] = {"individual": "个人经营", "family": "家庭经营"}


class ScopeItem(BaseModel):
    """One 经营范围 entry.

    ``condition`` is the permit the activity waits for, e.g. 取得食品经营许可证后方可经营.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    title: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    condition: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None


class LicenceDocument(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    licence_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    credit_code: str
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None
    operator_name: Annotated[str, StringConstraints(min_length=1, max_length=50)]
    organisation_form: OrganisationForm
    premises: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    scope: tuple[ScopeItem, ...] = Field(min_length=1, max_length=30)
    issue_date: dt.date = Field(description="the founding date (成立日期), shown as 注册日期")
    authority_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
    authority_name: Annotated[str, StringConstraints(min_length=1, max_length=60)]

    @model_validator(mode="after")
    def _code_belongs_to_authority(self) -> LicenceDocument:
        if not is_individual_business_code(self.credit_code):
            raise ValueError(f"{self.credit_code!r} is not an individual business credit code")
        if self.credit_code[2:8] != self.authority_code:
            raise ValueError(
                f"credit code {self.credit_code} was not issued by authority {self.authority_code}"
            )
        return self

    @property
    def display_name(self) -> str:
        return self.name if self.name is not None else NO_NAME

    @property
    def organisation_form_label(self) -> str:
        return ORGANISATION_FORM_LABELS[self.organisation_form]

    def to_signable(self) -> dict[str, object]:
        """The JSON-ready mapping that is signed.

        ``type`` names the document kind, so a signature over it cannot pass for another kind.
        """
        return {"type": DOCUMENT_TYPE, **self.model_dump(mode="json")}


class SignedLicence(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    document: LicenceDocument
    signature: str
    key_id: str
    algorithm: Literal["Ed25519"] = ALGORITHM

    def verify(self, public_key_pem: str) -> bool:
        return verify_signature(public_key_pem, self.document.to_signable(), self.signature)


def sign_licence(document: LicenceDocument, signer: LicenceSigner) -> SignedLicence:
    return SignedLicence(
        document=document, signature=signer.sign(document.to_signable()), key_id=signer.key_id
    )
