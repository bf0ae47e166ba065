"""Business errors of supervision, review and objections (problem+json via ApprovalError)."""

from __future__ import annotations

from approval.errors import Forbidden, NotFound


class NoDepartment(Forbidden):
    code = "no_department"
    title = "该监管密钥未绑定监管部门"


class CopyNotFound(NotFound):
    code = "supervision_copy_not_found"
    title = "未找到该推送记录"
