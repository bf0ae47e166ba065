from __future__ import annotations

import pytest
from pydantic import ValidationError

from approval.licences import (
    LicenceSigner,
    ScopeItem,
    SignedLicence,
    canonical_json,
    credit_code_for,
    sign_licence,
    verify_signature,
)

from .conftest import DocumentFactory


def test_signed_licence_verifies(make_document: DocumentFactory, signer: LicenceSigner) -> None:
    licence = sign_licence(make_document(), signer)

    assert licence.algorithm == "Ed25519"
    assert licence.key_id == signer.key_id
    assert licence.verify(signer.public_key_pem())


def test_signed_licence_survives_storage_as_json(
    make_document: DocumentFactory, signer: LicenceSigner
) -> None:
    licence = sign_licence(make_document(), signer)

    restored = SignedLicence.model_validate_json(licence.model_dump_json())

    assert restored == licence
    assert restored.verify(signer.public_key_pem())


@pytest.mark.parametrize(
    "change",
    [
        {"operator_name": "王小民"},
        {"name": None},
        {"organisation_form": "family"},
        {"scope": [ScopeItem(code="F5227", title="食品销售（仅销售预包装食品）")]},
    ],
)
def test_any_changed_field_breaks_the_signature(
    make_document: DocumentFactory, signer: LicenceSigner, change: dict[str, object]
) -> None:
    licence = sign_licence(make_document(), signer)
    forged = make_document(**change)

    assert not verify_signature(signer.public_key_pem(), forged.to_signable(), licence.signature)


def test_signable_form_is_plain_json_with_a_document_type(make_document: DocumentFactory) -> None:
    signable = make_document().to_signable()

    assert signable["issue_date"] == "2025-06-01"
    assert str(signable["type"]).startswith("miaopi.licence")
    assert canonical_json(signable)


def test_unnamed_business_shows_a_dash(make_document: DocumentFactory) -> None:
    assert make_document(name=None).display_name == "—"
    assert make_document().display_name == "泰州市海陵区老王面馆"


def test_organisation_form_has_its_chinese_label(make_document: DocumentFactory) -> None:
    assert make_document(organisation_form="individual").organisation_form_label == "个人经营"
    assert make_document(organisation_form="family").organisation_form_label == "家庭经营"


def test_document_is_immutable(make_document: DocumentFactory) -> None:
    document = make_document()

    with pytest.raises(ValidationError):
        document.operator_name = "王小民"  # type: ignore[misc]


@pytest.mark.parametrize(
    "change",
    [
        {"credit_code": credit_code_for("321203", 4711)},  # issued by another district
        {"credit_code": "91110000600037341L"},
        {"organisation_form": "partnership"},
        {"scope": []},
        {"authority_code": "32120"},
        {"operator_name": ""},
        {"unknown": "field"},
    ],
)
def test_inconsistent_documents_are_refused(
    make_document: DocumentFactory, change: dict[str, object]
) -> None:
    with pytest.raises(ValidationError):
        make_document(**change)
