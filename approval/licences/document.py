"""The electronic business licence (营业执照) of an individual business, as signed."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from approval.licences.credit_code import is_individual_business_code
from approval.signing import ALGORITHM, LicenceSigner, key_id_of, verify_signature

# /2: the signing key's id is part of the signed statement
DOCUMENT_TYPE: Final = "miaopi.licence.individual-business/2"
NO_NAME: Final = "—"

OrganisationForm = Literal["individual", "family"]
ORGANISATION_FORM_LABELS: Final[dict[str, str]] = {"individual": "个人经营", "family": "家庭经营"}


def _iso_date_only(value: object) -> object:
    """Dates in one spelling only (YYYY-MM-DD): no timestamps, datetimes or numbers."""
    if isinstance(value, dt.datetime):
        raise ValueError("a date, not a date and time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return value
    raise ValueError("dates are written YYYY-MM-DD")


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_only)]


class DuplicateKey(ValueError):
    """A JSON object that names one key twice: which one counts depends on the reader."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise DuplicateKey(f"key {key!r} appears twice in one object")
        found[key] = value
    return found


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def strict_json(raw: str | bytes) -> Any:
    """JSON as a verifier must read it: a duplicated key or NaN/Infinity is refused."""
    return json.loads(raw, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)


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
    issue_date: IsoDate = Field(description="the founding date (成立日期), shown as 注册日期")
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

    def to_signable(self, key_id: str) -> dict[str, object]:
        """The JSON-ready mapping that is signed.

        ``type`` names the document kind, so a signature over it cannot pass for another kind;
        ``key_id`` names the signing key, so a licence cannot be re-labelled with another key.
        """
        return {"type": DOCUMENT_TYPE, "key_id": key_id, **self.model_dump(mode="json")}


class SignedLicence(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    document: LicenceDocument
    signature: str
    key_id: str
    algorithm: Literal["Ed25519"] = ALGORITHM

    @classmethod
    def from_json(cls, raw: str | bytes) -> SignedLicence:
        """A licence as served (``GET /v1/licences/{code}``) or stored, read strictly.

        A duplicated key anywhere is refused (``DuplicateKey``), dates must be YYYY-MM-DD, and
        the served ``status`` (not part of what is signed) is set aside.
        """
        data = strict_json(raw)
        if isinstance(data, dict):
            data.pop("status", None)
        return cls.model_validate(data)

    def verify(self, public_key_pem: str) -> bool:
        """Whether the signature holds under this public key, which must be the named one."""
        if key_id_of(public_key_pem) != self.key_id:
            return False
        signable = self.document.to_signable(self.key_id)
        return verify_signature(public_key_pem, signable, self.signature)


def sign_licence(document: LicenceDocument, signer: LicenceSigner) -> SignedLicence:
    signature = signer.sign(document.to_signable(signer.key_id))
    return SignedLicence(document=document, signature=signature, key_id=signer.key_id)
