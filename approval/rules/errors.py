"""Business errors of rule operations (rendered as problem+json by the API)."""

from __future__ import annotations

from approval.errors import ApprovalError, NotFound


class RulesetNotFound(NotFound):
    code = "ruleset_not_found"
    title = "未找到该规则版本"


class RulesetRefused(ApprovalError):
    status = 422
    code = "ruleset_refused"
    title = "规则文件有错误，不能保存为规则版本"


class RuleFileNameInvalid(ApprovalError):
    status = 422
    code = "rule_file_name_invalid"
    title = "规则文件名须是规则目录内的相对路径"


class FourEyesRequired(ApprovalError):
    status = 409
    code = "four_eyes_required"
    title = "规则版本须由提出人以外的另一位规则管理员批准"


class RulesetNotDraft(ApprovalError):
    status = 409
    code = "ruleset_not_draft"
    title = "只有草稿状态的规则版本可以批准"


class RulesetChecksFailed(ApprovalError):
    status = 422
    code = "ruleset_checks_failed"
    title = "规则版本未通过测试用例，不能启用"


class NoPreviousRuleset(ApprovalError):
    status = 409
    code = "no_previous_ruleset"
    title = "没有可以回退到的上一个规则版本"


class RulesetNotStored(ApprovalError):
    status = 409
    code = "ruleset_not_stored"
    title = "该申请所用的规则版本未保存，无法按当时的规则解释"
