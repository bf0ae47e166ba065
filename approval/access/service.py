"""API keys: created once and shown once, stored as a hash, each with one role."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache
from sqlalchemy.engine import Connection

from approval.access import repository
from approval.access.errors import KeyAlreadyRevoked, KeyNotFound, TooManyFailedAuthentications
from approval.audit.chain import Entry
from approval.audit.service import SYSTEM_CHAIN, append
from approval.errors import Unauthenticated, UnknownRole
from approval.kernel.identity import IdNumberInvalid, check_id_number, mask_id_number
from approval.kernel.principal import Principal, Role

Monotonic = Callable[[], float]


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
    *,
    actor: str = "system",
    actor_role: str = "operator",
) -> str:
    """Store a new key and return its secret; the secret is not kept. Audited as ``actor``.

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
    detail = _key_detail(key_id, parsed.value, subject, label, hall_code, department)
    append(conn, SYSTEM_CHAIN, [Entry(now, actor, actor_role, "api_key_created", None, detail)])
    return secret


def _key_detail(
    key_id: str,
    role: str,
    subject: str | None,
    label: str | None,
    hall_code: str | None,
    department: str | None,
) -> dict[str, Any]:
    return {
        "key_id": key_id,
        "key_role": role,
        "subject": mask_id_number(subject) if subject else None,
        "label": label,
        "hall_code": hall_code,
        "department": department,
    }


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A key as listed: never its secret, and the applicant it belongs to masked."""

    id: str
    role: str
    label: str | None
    subject: str | None  # masked
    hall_code: str | None
    department: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    revoked_by: str | None


def _record(row: repository.KeyRow) -> KeyRecord:
    return KeyRecord(
        id=row.id,
        role=row.role,
        label=row.label,
        subject=mask_id_number(row.subject) if row.subject else None,
        hall_code=row.hall_code,
        department=row.department,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
    )


def list_keys(conn: Connection) -> list[KeyRecord]:
    return [_record(row) for row in repository.list_keys(conn)]


def revoke_key(
    conn: Connection, key_id: str, actor: str, actor_role: str, now: dt.datetime
) -> KeyRecord:
    """Revoke a key for good, audited; every process refuses it within a second of the commit."""
    row = repository.get_key(conn, key_id)
    if row is None:
        raise KeyNotFound(f"没有编号为 {key_id} 的 API 密钥")
    if not repository.mark_revoked(conn, key_id, actor, now):
        raise KeyAlreadyRevoked(f"API 密钥 {key_id} 已于 {row.revoked_at} 停用")
    # the database advances the revocation generation itself (a trigger, migration
    # a7b9d1keys02), so a key revoked by hand in SQL is refused as quickly
    detail = _key_detail(key_id, row.role, row.subject, row.label, row.hall_code, row.department)
    append(conn, SYSTEM_CHAIN, [Entry(now, actor, actor_role, "api_key_revoked", None, detail)])
    revoked = repository.get_key(conn, key_id)
    assert revoked is not None
    return _record(revoked)


class FailedAuthentications:
    """Wrong keys per client address in a fixed window, in memory per process.

    Bounded: past ``addresses`` entries the least recently used address is forgotten, and an
    address forgets its failures once its window has passed.
    """

    def __init__(
        self,
        limit: int = 20,
        window_seconds: float = 60.0,
        *,
        addresses: int = 10_000,
        clock: Monotonic = time.monotonic,
    ) -> None:
        self._limit = limit
        self._window = window_seconds
        self._clock = clock
        self._lock = threading.Lock()
        # address → (start of its window, failures in it)
        self._entries: TTLCache[str, tuple[float, int]] = TTLCache(
            addresses, window_seconds, timer=clock
        )

    def __len__(self) -> int:
        return len(self._entries)

    def retry_after(self, address: str) -> int | None:
        """Whole seconds until this address may try again, or None if it may now."""
        with self._lock:
            entry = self._entries.get(address)
            if entry is None or entry[1] < self._limit:
                return None
            wait = entry[0] + self._window - self._clock()
            return math.ceil(wait) if wait > 0 else None

    def record(self, address: str) -> None:
        with self._lock:
            now = self._clock()
            entry = self._entries.get(address)
            if entry is None or now >= entry[0] + self._window:
                self._entries[address] = (now, 1)
            else:
                self._entries[address] = (entry[0], entry[1] + 1)


class KeyCache:
    """Recently seen keys, so the hot path does not read the key table on every request.

    Known keys sit in an LRU with a time to live; unknown ones in a smaller LRU of their own, so
    a flood of wrong keys cannot push the good ones out. Revocations reach the cache through
    the generation row (``approval.access.tables``), read at most every
    ``revocation_check_seconds``: when it has moved, the whole cache is dropped.
    """

    def __init__(
        self,
        ttl_seconds: float = 30.0,
        *,
        size: int = 10_000,
        unknown_size: int = 1_000,
        revocation_check_seconds: float = 0.5,
        failures: FailedAuthentications | None = None,
        clock: Monotonic = time.monotonic,
    ) -> None:
        self.failures = FailedAuthentications(clock=clock) if failures is None else failures
        self._clock = clock
        self._check_every = revocation_check_seconds
        self._lock = threading.Lock()
        self._known: TTLCache[str, Principal] = TTLCache(size, ttl_seconds, timer=clock)
        self._unknown: TTLCache[str, bool] = TTLCache(unknown_size, ttl_seconds, timer=clock)
        self._generation: int | None = None
        self._checked_at = -math.inf

    def resolve(self, conn_factory: repository.ConnectionFactory, secret: str) -> Principal | None:
        digest = hash_key(secret)
        with self._lock:
            now = self._clock()
            if now - self._checked_at >= self._check_every:
                with conn_factory() as conn:
                    generation = repository.read_generation(conn)
                self._checked_at = now
                if generation != self._generation:
                    self._known.clear()
                    self._unknown.clear()
                    self._generation = generation
            known = self._known.get(digest)
            if known is not None:
                return known
            if digest in self._unknown:
                return None
            with conn_factory() as conn:
                row = repository.find_active_key(conn, digest)
            if row is None:
                self._unknown[digest] = True
                return None
            principal = Principal(row.id, Role(row.role), row.subject, row.hall_code)
            self._known[digest] = principal
            return principal


def principal_of(conn: Connection, secret: str) -> Principal | None:
    """The active key behind a secret (the command line's way in: no cache, no rate limit)."""
    row = repository.find_active_key(conn, hash_key(secret.strip()))
    return Principal(row.id, Role(row.role), row.subject, row.hall_code) if row else None


def authenticate(
    keys: KeyCache,
    conn_factory: repository.ConnectionFactory,
    authorization: str,
    address: str,
) -> Principal:
    """The caller of ``Authorization: Bearer <key>``; wrong keys count against the address."""
    wait = keys.failures.retry_after(address)
    if wait is not None:
        raise TooManyFailedAuthentications(
            f"来自该地址的无效密钥尝试过多，请 {wait} 秒后再试", retry_after=wait
        )
    scheme, _, secret = authorization.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated("请在 Authorization 请求头中以 Bearer 方式提供 API 密钥")
    principal = keys.resolve(conn_factory, secret.strip())
    if principal is None:
        keys.failures.record(address)
        raise Unauthenticated("API 密钥无效或已停用")
    return principal
