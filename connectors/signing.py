"""Signed exchanges with the registries: Ed25519 over a canonical text of each message.

Every request carries its purpose (case, acting system, legal basis), a timestamp and a nonce,
and is signed by the client; every response is signed by the registry over the hash of the
request it answers, so an answer cannot be replayed for another question. As in X-Road, each
side holds its own key and the other's public key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

# Request headers (X-Road PR-REST analogues: X-Road-Client, -Id, -UserId, -Issue).
CLIENT = "x-miaopi-client"
MESSAGE_ID = "x-miaopi-id"
NONCE = "x-miaopi-nonce"
TIMESTAMP = "x-miaopi-timestamp"
ISSUE = "x-miaopi-issue"
USER_ID = "x-miaopi-userid"
LEGAL_BASIS = "x-miaopi-legal-basis"
SIGNATURE = "x-miaopi-signature"
# Response headers.
REQUEST_HASH = "x-miaopi-request-hash"

CLIENT_KEY_NAME = "miaopi-client"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def encode_header(text: str) -> str:
    """Header values are ASCII: non-ASCII text (legal bases in Chinese) is percent-encoded."""
    return quote(text, safe="")


def decode_header(value: str) -> str:
    return unquote(value)


@dataclass(frozen=True, slots=True)
class SignedRequest:
    method: str
    path: str
    timestamp: str
    nonce: str
    message_id: str
    client: str
    issue: str
    user_id: str
    legal_basis: str  # as sent: percent-encoded
    body_hash: str

    def canonical(self) -> bytes:
        return "\n".join(
            (
                self.method.upper(),
                self.path,
                self.timestamp,
                self.nonce,
                self.message_id,
                self.client,
                self.issue,
                self.user_id,
                self.legal_basis,
                self.body_hash,
            )
        ).encode()

    def hash(self) -> str:
        """What the registry echoes back and signs its answer over."""
        return sha256_hex(self.canonical())


def response_canonical(request_hash: str, status: int, timestamp: str, body: bytes) -> bytes:
    return "\n".join((request_hash, str(status), timestamp, sha256_hex(body))).encode()


def sign(key: Ed25519PrivateKey, data: bytes) -> str:
    return base64.b64encode(key.sign(data)).decode()


def verify(key: Ed25519PublicKey, data: bytes, signature: str | None) -> bool:
    if not signature:
        return False
    try:
        key.verify(base64.b64decode(signature, validate=True), data)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


class KeyDirectory:
    """Ed25519 key pairs by name in one folder: ``NAME.key.pem`` and ``NAME.pub.pem``.

    A missing pair is created on first use (stubs and development); in production the folder
    holds this side's private key and the other side's public key only.
    """

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)

    def private(self, name: str) -> Ed25519PrivateKey:
        path = self.folder / f"{name}.key.pem"
        if not path.exists():
            self._create(name)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key")
        return key

    def public(self, name: str) -> Ed25519PublicKey:
        path = self.folder / f"{name}.pub.pem"
        if not path.exists():
            self._create(name)
        key = serialization.load_pem_public_key(path.read_bytes())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"{path} is not an Ed25519 public key")
        return key

    def _create(self, name: str) -> None:
        """Write a new pair; a concurrent creator's pair wins (link, not overwrite)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        private_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        public_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        private_path = self.folder / f"{name}.key.pem"
        if not _write_once(private_path, private_pem, 0o600):
            # someone else created it: derive the public half from theirs
            loaded = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
            public_pem = loaded.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        _write_once(self.folder / f"{name}.pub.pem", public_pem, 0o644)


def _write_once(path: Path, data: bytes, mode: int) -> bool:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.write(fd, data)
        os.fchmod(fd, mode)
        os.close(fd)
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(tmp)
