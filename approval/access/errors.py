"""Errors of keys and of the request gate (authentication, body size and media type)."""

from __future__ import annotations

from approval.errors import ApprovalError, NotFound


class KeyNotFound(NotFound):
    code = "key_not_found"
    title = "没有该 API 密钥"


class KeyAlreadyRevoked(ApprovalError):
    status = 409
    code = "key_already_revoked"
    title = "该 API 密钥已停用"


class TooManyFailedAuthentications(ApprovalError):
    status = 429
    code = "too_many_failed_authentications"
    title = "无效密钥尝试过多"


class BodyTooLarge(ApprovalError):
    status = 413
    code = "body_too_large"
    title = "请求内容过大"


class UnsupportedMediaType(ApprovalError):
    status = 415
    code = "unsupported_media_type"
    title = "请求内容须为 JSON"
