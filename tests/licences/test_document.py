from __future__ import annotations

import json

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
from approval.licences.document import DuplicateKey

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

    signable = forged.to_signable(signer.key_id)
    assert not verify_signature(signer.public_key_pem(), signable, licence.signature)


def test_signable_form_is_plain_json_with_a_document_type(make_document: DocumentFactory) -> None:
    signable = make_document().to_signable("0123456789abcdef")

    assert signable["issue_date"] == "2025-06-01"
    assert str(signable["type"]).startswith("miaopi.licence")
    assert signable["key_id"] == "0123456789abcdef"
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


def _served(licence: SignedLicence) -> str:
    return json.dumps({**licence.model_dump(mode="json"), "status": "current"}, ensure_ascii=False)


def test_a_served_licence_reads_back_and_verifies(
    make_document: DocumentFactory, signer: LicenceSigner
) -> None:
    licence = sign_licence(make_document(), signer)
    assert SignedLicence.from_json(_served(licence)).verify(signer.public_key_pem())


def test_a_duplicated_key_is_refused_even_when_the_last_value_verifies(
    make_document: DocumentFactory, signer: LicenceSigner
) -> None:
    licence = sign_licence(make_document(), signer)
    genuine = _served(licence)
    name = json.dumps(licence.document.operator_name, ensure_ascii=False)
    forged = genuine.replace('"operator_name":', '"operator_name": "冒名者", "operator_name":', 1)
    assert name in forged
    assert json.loads(forged)["document"]["operator_name"] == licence.document.operator_name
    with pytest.raises(DuplicateKey):
        SignedLicence.from_json(forged)
    with pytest.raises(DuplicateKey):
        SignedLicence.from_json(genuine.replace('"key_id":', '"key_id": "x", "key_id":', 1))


@pytest.mark.parametrize("spelling", ["2025-06-01T00:00:00", "2025-6-1", "20250601", 1748736000])
def test_dates_have_one_spelling(
    make_document: DocumentFactory, signer: LicenceSigner, spelling: object
) -> None:
    data = sign_licence(make_document(), signer).model_dump(mode="json")
    data["document"]["issue_date"] = spelling
    with pytest.raises(ValidationError):
        SignedLicence.from_json(json.dumps(data))


def test_the_key_id_is_signed(make_document: DocumentFactory, signer: LicenceSigner) -> None:
    licence = sign_licence(make_document(), signer)
    other = LicenceSigner.generate()
    relabelled = licence.model_copy(update={"key_id": other.key_id})
    assert not relabelled.verify(signer.public_key_pem())
    assert not relabelled.verify(other.public_key_pem())
    # and a signature made over the document without key_id (the old statement) fails
    unbound = signer.sign(
        {"type": "miaopi.licence.individual-business/1", **licence.document.model_dump(mode="json")}
    )
    assert not licence.model_copy(update={"signature": unbound}).verify(signer.public_key_pem())
