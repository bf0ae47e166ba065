"""Licences: credit codes, signed licence documents and their printable PDF (pure parts)."""

from approval.licences.credit_code import credit_code_for, is_individual_business_code
from approval.licences.document import (
    LicenceDocument,
    OrganisationForm,
    ScopeItem,
    SignedLicence,
    sign_licence,
)
from approval.licences.pdf import (
    LicenceFont,
    LicenceFontMissing,
    find_licence_font,
    render_licence_pdf,
)
from approval.signing import (
    LicenceSigner,
    canonical_json,
    signer_from_settings,
    verify_signature,
)

__all__ = [
    "LicenceDocument",
    "LicenceFont",
    "LicenceFontMissing",
    "LicenceSigner",
    "OrganisationForm",
    "ScopeItem",
    "SignedLicence",
    "canonical_json",
    "credit_code_for",
    "find_licence_font",
    "is_individual_business_code",
    "render_licence_pdf",
    "sign_licence",
    "signer_from_settings",
    "verify_signature",
]
