"""API keys: created once and shown once, stored as a hash, each with one role."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.engine import Connection

from approval.access import repository
from approval.errors import UnknownRole
from approval.intake.identity import IdNumberInvalid, check_id_number


class Role(StrEnum):
    TERMINAL = "terminal"
    MOBILE = "mobile"
    STAFF = "staff"
    RULE_ADMIN = "rule_admin"
    SUPERVISOR = "supervisor"


APPLICANT_ROLES = frozenset({Role.TERMINAL, Role.MOBILE})


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: str
    role: Role
    subject: str | None  # the applicant's ID number, for mobile keys
    hall_code: str | None = None  # the hall a terminal or window key stands in

    def may_see_person(self, id_number: str) -> bool:
        """Whether unmasked personal data of this person may be shown to the caller."""
        return self.role == Role.STAFF or (self.role == Role.MOBILE and self.subject == id_number)


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(
    conn: Connection,
    role: str,
    subject: str | None,
    label: str | None,
    now: dt.datetime,
    department: str | None = None,
    hall_code: str | None = None,
) -> str:
    """Store a new key and return its secret; the secret is not kept.

    A supervisor key may belong to a supervising department (its code), whose pushed copies
    it reads and handles.
    """
    try:
        parsed = Role(role)
    except ValueError:
        raise UnknownRole(
            f"未知的角色 {role!r}，可用：{', '.join(r.value for r in Role)}"
        ) from None
    if parsed == Role.MOBILE:
        if not subject:
            raise UnknownRole("mobile 密钥必须绑定申请人的身份证号码（--subject）")
        try:
            subject = check_id_number("resident_id", subject, now.date()).number
        except IdNumberInvalid as exc:
            raise UnknownRole(f"--subject 不是有效的身份证号码：{exc.message}") from None
    elif subject:
        raise UnknownRole("只有 mobile 密钥绑定申请人")
    if department and parsed != Role.SUPERVISOR:
        raise UnknownRole("只有 supervisor 密钥属于监管部门（--department）")
    if hall_code and parsed not in (Role.TERMINAL, Role.STAFF):
        raise UnknownRole("只有 terminal 和 staff（窗口）密钥设在办事大厅（--hall）")
    key_id = secrets.token_hex(8)
    secret = f"mpk_{parsed.value}_{secrets.token_urlsafe(24)}"
    repository.insert_key(
        conn, key_id, hash_key(secret), parsed.value, subject, label, now, department, hall_code
    )
    return secret


class KeyCache:
    """Recently seen keys, so the hot path does not read the key table on every request."""

    def __init__(self, ttl_seconds: float = 30.0) -> None:
        self._ttl = ttl_seconds
        self._entries: dict[str, tuple[float, Principal | None]] = {}

    def resolve(self, conn_factory: repository.ConnectionFactory, secret: str) -> Principal | None:
        digest = hash_key(secret)
        now = time.monotonic()
        hit = self._entries.get(digest)
        if hit and hit[0] > now:
            return hit[1]
        with conn_factory() as conn:
            row = repository.find_active_key(conn, digest)
        principal = Principal(row.id, Role(row.role), row.subject, row.hall_code) if row else None
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[digest] = (now + self._ttl, principal)
        return principal
