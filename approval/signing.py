"""Ed25519 signatures over the canonical JSON form of licence documents."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from approval.settings import Settings

ALGORITHM: Final = "Ed25519"

# 64 signature bytes in unpadded base64url.
_SIGNATURE = re.compile(r"[A-Za-z0-9_-]{86}")


def canonical_json(obj: object) -> bytes:
    """The exact bytes that are signed: one JSON serialisation per value.

    Object keys are sorted, there is no whitespace, non-ASCII text stays as UTF-8 rather than
    ``\\u`` escapes. Dates and timezone-aware datetimes become ISO 8601 strings; tuples become
    lists. Text is not Unicode-normalised, so sign what you store.

    Raises ``TypeError`` for floats (their text form is not stable across languages and
    libraries, so a verifier elsewhere could not rebuild the bytes), naive datetimes,
    non-string keys (``1`` and ``"1"`` would collide) and any other non-JSON value.
    """
    return json.dumps(
        _plain(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _plain(obj: object) -> object:
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    if isinstance(obj, float):
        raise TypeError("floats are not allowed in signed documents; use int or a decimal string")
    if isinstance(obj, dt.datetime):
        if obj.utcoffset() is None:
            raise TypeError(f"naive datetime {obj!r} is ambiguous; attach a timezone")
        return obj.isoformat()
    if isinstance(obj, dt.date):
        return obj.isoformat()
    if isinstance(obj, Mapping):
        plain: dict[str, object] = {}
        for key, value in obj.items():
            if not isinstance(key, str):
                raise TypeError(f"object keys must be strings, got {key!r}")
            plain[key] = _plain(value)
        return plain
    if isinstance(obj, list | tuple):
        return [_plain(item) for item in obj]
    raise TypeError(f"{type(obj).__name__} is not allowed in signed documents")


def _key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def key_id_of(public_key_pem: str) -> str:
    """The key id (what licences name in ``key_id``) of an Ed25519 public key PEM."""
    key = serialization.load_pem_public_key(public_key_pem.encode("ascii"))
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"licence verification key must be Ed25519, got {type(key).__name__}")
    return _key_id(key)


class LicenceSigner:
    """Signs licence documents with the registry's Ed25519 key."""

    algorithm: Final = ALGORITHM

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self.key_id: Final = _key_id(private_key.public_key())

    @classmethod
    def generate(cls) -> LicenceSigner:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, pem: bytes) -> LicenceSigner:
        """Load an unencrypted PKCS#8 PEM private key; ``ValueError`` if it is not Ed25519."""
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"licence signing key must be Ed25519, got {type(key).__name__}")
        return cls(key)

    @classmethod
    def load_or_create(cls, path: Path) -> LicenceSigner:
        """Load the key at ``path``, or create it there (parent folders too, file mode 0600)."""
        try:
            return cls.from_pem(path.read_bytes())
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        signer = cls.generate()
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".licence-key-")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as file:
                file.write(signer.private_key_pem())
            # link() never replaces an existing file, so when several workers start at once
            # exactly one key wins and the others load it, never a half-written file.
            os.link(temporary, path)
        except FileExistsError:
            return cls.from_pem(path.read_bytes())
        finally:
            os.unlink(temporary)
        return signer

    def private_key_pem(self) -> bytes:
        return self._private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def public_key_pem(self) -> str:
        """The public key as SubjectPublicKeyInfo PEM, for verifiers."""
        public_key = self._private_key.public_key()
        pem = public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return pem.decode("ascii")

    def sign(self, document: Mapping[str, object]) -> str:
        """Sign ``canonical_json(document)``; the signature is unpadded base64url."""
        signature = self._private_key.sign(canonical_json(document))
        return base64.urlsafe_b64encode(signature).rstrip(b"=").decode("ascii")


def signer_from_settings(settings: Settings) -> LicenceSigner:
    """The configured signer: ``signing_key_pem`` if set, else the key file (created if absent)."""
    if settings.signing_key_pem is not None:
        return LicenceSigner.from_pem(settings.signing_key_pem.get_secret_value().encode("ascii"))
    return LicenceSigner.load_or_create(settings.signing_key_path)


def verify_signature(public_key_pem: str, document: Mapping[str, object], signature: str) -> bool:
    """Whether ``signature`` is a valid Ed25519 signature of ``document`` under the key.

    A malformed or wrong signature gives ``False``; a public key that is not an Ed25519 PEM
    raises ``ValueError``, because that is a configuration error, not a forged licence.
    """
    key = serialization.load_pem_public_key(public_key_pem.encode("ascii"))
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"licence verification key must be Ed25519, got {type(key).__name__}")
    if not _SIGNATURE.fullmatch(signature):
        return False
    try:
        raw = base64.urlsafe_b64decode(signature + "==")
    except binascii.Error:
        return False
    # The last character carries unused bits; only the one canonical spelling is accepted.
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != signature:
        return False
    try:
        key.verify(raw, canonical_json(document))
    except InvalidSignature:
        return False
    return True
