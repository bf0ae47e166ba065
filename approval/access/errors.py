"""Errors of keys."""

from __future__ import annotations

from approval.errors import ApprovalError, NotFound


class KeyNotFound(NotFound):
    code = "key_not_found"
    title = "没有该 API 密钥"


class KeyAlreadyRevoked(ApprovalError):
    status = 409
    code = "key_already_revoked"
    title = "该 API 密钥已停用"
