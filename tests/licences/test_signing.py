from __future__ import annotations

import datetime as dt
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from approval.licences import LicenceSigner, canonical_json, signer_from_settings, verify_signature
from approval.settings import Settings

DOCUMENT = {"credit_code": "92321202MA00004UY3", "operator_name": "王小明", "scope": ["F5227"]}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def test_signature_verifies_with_the_signers_public_key(signer: LicenceSigner) -> None:
    signature = signer.sign(DOCUMENT)

    assert verify_signature(signer.public_key_pem(), DOCUMENT, signature)


def test_changed_document_fails(signer: LicenceSigner) -> None:
    signature = signer.sign(DOCUMENT)

    assert not verify_signature(
        signer.public_key_pem(), {**DOCUMENT, "operator_name": "王小民"}, signature
    )
    assert not verify_signature(signer.public_key_pem(), {**DOCUMENT, "extra": 1}, signature)


@given(position=st.integers(min_value=0, max_value=85), replacement=st.sampled_from("AbZ9_-"))
def test_changed_signature_fails(signer: LicenceSigner, position: int, replacement: str) -> None:
    signature = signer.sign(DOCUMENT)
    tampered = signature[:position] + replacement + signature[position + 1 :]

    if tampered != signature:
        assert not verify_signature(signer.public_key_pem(), DOCUMENT, tampered)


@pytest.mark.parametrize("signature", ["", "not base64!", "A" * 86, "A" * 88, "🙂" * 86])
def test_malformed_signature_fails(signer: LicenceSigner, signature: str) -> None:
    assert not verify_signature(signer.public_key_pem(), DOCUMENT, signature)


def test_signature_of_another_key_fails(signer: LicenceSigner) -> None:
    other = LicenceSigner.generate()

    assert not verify_signature(signer.public_key_pem(), DOCUMENT, other.sign(DOCUMENT))
    assert other.key_id != signer.key_id


def test_verifying_with_a_non_ed25519_key_is_a_configuration_error(signer: LicenceSigner) -> None:
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )

    with pytest.raises(ValueError, match="Ed25519"):
        verify_signature(ec_pem, DOCUMENT, signer.sign(DOCUMENT))


@given(json_values)
def test_canonical_json_does_not_depend_on_key_order(value: object) -> None:
    def reversed_keys(obj: object) -> object:
        if isinstance(obj, dict):
            return {key: reversed_keys(obj[key]) for key in reversed(list(obj))}
        if isinstance(obj, list):
            return [reversed_keys(item) for item in obj]
        return obj

    assert canonical_json(reversed_keys(value)) == canonical_json(value)


def test_canonical_json_is_compact_sorted_utf8() -> None:
    value = {"b": [1, True, None], "a": "营业执照", "d": dt.date(2025, 6, 1)}

    assert canonical_json(value) == '{"a":"营业执照","b":[1,true,null],"d":"2025-06-01"}'.encode()


def test_canonical_json_writes_aware_datetimes_in_iso_form() -> None:
    moment = dt.datetime(2025, 6, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))

    assert canonical_json({"at": moment}) == b'{"at":"2025-06-01T09:30:00+08:00"}'


@pytest.mark.parametrize(
    "value",
    [
        {"fee": 1.5},
        {"nested": [{"x": 0.0}]},
        {"at": dt.datetime(2025, 6, 1, 9, 30)},
        {1: "one"},
        {"raw": b"bytes"},
        {"set": {1, 2}},
    ],
)
def test_canonical_json_refuses_values_without_one_stable_form(value: object) -> None:
    with pytest.raises(TypeError):
        canonical_json(value)


def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "nested" / "licence.pem"

    created = LicenceSigner.load_or_create(path)
    loaded = LicenceSigner.load_or_create(path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert loaded.key_id == created.key_id
    assert verify_signature(created.public_key_pem(), DOCUMENT, loaded.sign(DOCUMENT))
    assert [p.name for p in path.parent.iterdir()] == ["licence.pem"]


def test_signer_loads_from_its_own_pem(signer: LicenceSigner) -> None:
    assert LicenceSigner.from_pem(signer.private_key_pem()).key_id == signer.key_id


def test_key_id_is_sixteen_hex_characters(signer: LicenceSigner) -> None:
    assert len(signer.key_id) == 16
    assert set(signer.key_id) <= set("0123456789abcdef")


def test_non_ed25519_private_key_is_refused() -> None:
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )

    with pytest.raises(ValueError, match="Ed25519"):
        LicenceSigner.from_pem(pem)


def test_configured_pem_wins_over_the_key_file(tmp_path: Path, signer: LicenceSigner) -> None:
    pem = SecretStr(signer.private_key_pem().decode())
    settings = Settings(signing_key_pem=pem, signing_key_path=tmp_path / "unused.pem")

    assert signer_from_settings(settings).key_id == signer.key_id
    assert not (tmp_path / "unused.pem").exists()


def test_key_file_is_used_without_a_configured_pem(tmp_path: Path) -> None:
    settings = Settings(signing_key_pem=None, signing_key_path=tmp_path / "key.pem")

    first = signer_from_settings(settings)

    assert signer_from_settings(settings).key_id == first.key_id
    assert (tmp_path / "key.pem").is_file()


def test_only_the_canonical_spelling_of_a_signature_verifies(signer: LicenceSigner) -> None:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    signature = signer.sign(DOCUMENT)
    # The last character holds 2 signature bits and 4 unused ones; vary only the unused bits.
    last = alphabet.index(signature[-1])
    aliases = [signature[:-1] + alphabet[last | unused] for unused in range(1, 16)]

    assert verify_signature(signer.public_key_pem(), DOCUMENT, signature)
    assert not any(verify_signature(signer.public_key_pem(), DOCUMENT, a) for a in aliases)


def test_workers_starting_together_share_one_key(tmp_path: Path) -> None:
    path = tmp_path / "licence.pem"

    with ThreadPoolExecutor(max_workers=8) as pool:
        key_ids = set(pool.map(lambda _: LicenceSigner.load_or_create(path).key_id, range(16)))

    assert key_ids == {LicenceSigner.load_or_create(path).key_id}
