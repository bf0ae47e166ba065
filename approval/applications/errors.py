from __future__ import annotations

from approval.errors import ApprovalError


class IllegalApplicationTransition(ApprovalError):
    """A transition the table does not allow: a programming or process error, never applied."""

    status = 409
    code = "illegal_application_transition"
    title = "申请当前的状态不允许该操作"


class ApplicationStateChanged(ApprovalError):
    """The row was no longer in the expected state: someone else moved it first."""

    status = 409
    code = "application_state_changed"
    title = "申请的状态已被其他操作改变，请刷新后重试"
