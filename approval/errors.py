"""Business errors: one class per problem, each with its HTTP status and a stable code.

Rendered as RFC 9457 problem+json by the API; messages are zh-CN for applicants.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ApprovalError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "请求有误"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        self.detail = detail or self.title
        self.extra = extra
        super().__init__(self.detail)


class Unauthenticated(ApprovalError):
    status = 401
    code = "unauthenticated"
    title = "缺少或无效的 API 密钥"


class Forbidden(ApprovalError):
    status = 403
    code = "forbidden"
    title = "当前密钥无权执行此操作"


class NotFound(ApprovalError):
    status = 404
    code = "not_found"
    title = "未找到"


class ApplicationNotFound(NotFound):
    code = "application_not_found"
    title = "未找到该申请"


class LicenceNotFound(NotFound):
    code = "licence_not_found"
    title = "未找到该营业执照"


class IdempotencyKeyRequired(ApprovalError):
    status = 428
    code = "idempotency_key_required"
    title = "请在 Idempotency-Key 请求头中提供本次提交的唯一编号"


class IdempotencyKeyReused(ApprovalError):
    status = 409
    code = "idempotency_key_reused"
    title = "该 Idempotency-Key 已用于内容不同的另一次提交"


class InvalidApplication(ApprovalError):
    status = 422
    code = "invalid_application"
    title = "申请内容不符合要求，请按提示修改后重新提交"


class UnknownRole(ApprovalError):
    status = 422
    code = "unknown_role"
    title = "未知的角色"


class CatalogItemNotFound(NotFound):
    code = "catalog_item_not_found"
    title = "事项目录中没有该事项"


class NotYetCompleted(ApprovalError):
    status = 409
    code = "not_yet_completed"
    title = "申请尚未办结"


class AlreadyRated(ApprovalError):
    status = 409
    code = "already_rated"
    title = "该申请已经评价过"


class HallNotOfKey(ApprovalError):
    status = 403
    code = "hall_not_of_key"
    title = "只能在本密钥所在的办事大厅受理"


class UnknownHall(ApprovalError):
    status = 422
    code = "unknown_hall"
    title = "没有这个办事大厅"


class ItemNotOnChannel(ApprovalError):
    status = 422
    code = "item_not_on_channel"
    title = "该事项不能通过此渠道办理"


class ItemNotDelegatedToHall(ApprovalError):
    status = 422
    code = "item_not_delegated_to_hall"
    title = "该事项未下放到此大厅办理"


class BundleNotFound(NotFound):
    code = "bundle_not_found"
    title = "没有这项“一件事”"


class BundleScopeMissing(ApprovalError):
    status = 422
    code = "bundle_scope_missing"
    title = "经营范围与所选“一件事”不符"


class IllegalTransition(ApprovalError):
    status = 409
    code = "illegal_transition"
    title = "当前状态下不能执行该操作"


def answered_with(*errors: type[ApprovalError]) -> dict[int | str, dict[str, Any]]:
    """An operation's problem answers for its OpenAPI ``responses``: one entry per status,
    described by the titles of the errors that answer with it."""
    titles: dict[int, list[str]] = {}
    for error in errors:
        titles.setdefault(error.status, []).append(error.title)
    return {status: {"description": "；".join(titles[status])} for status in sorted(titles)}
