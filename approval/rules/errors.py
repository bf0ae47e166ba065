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
    title = "该规则版本不能再作为变更提出"


class NoPreviousRuleset(ApprovalError):
    status = 409
    code = "no_previous_ruleset"
    title = "没有可以回退到的上一个规则版本"


class RulesetNotStored(ApprovalError):
    status = 409
    code = "ruleset_not_stored"
    title = "该申请所用的规则版本未保存，无法按当时的规则解释"


class ChangeNotFound(NotFound):
    code = "rule_change_not_found"
    title = "未找到该规则变更申请"


class ChangeNotDraft(ApprovalError):
    status = 409
    code = "rule_change_not_draft"
    title = "只有草稿状态的变更申请可以修改、批准或驳回"


class EvidenceOutdated(ApprovalError):
    status = 409
    code = "evidence_outdated"
    title = "批准人阅读的证据不是该变更申请的最新证据"


class ChangeBlocked(ApprovalError):
    status = 422
    code = "rule_change_blocked"
    title = "变更申请未通过批准前的检查，不能批准"


class FlipsNotAcknowledged(ApprovalError):
    status = 422
    code = "flips_not_acknowledged"
    title = "回测中改变的决定须由批准人写明理由确认"


class ScheduleRefused(ApprovalError):
    status = 409
    code = "schedule_refused"
    title = "不能排定该生效时间"


class RollbackRefused(ApprovalError):
    status = 409
    code = "rollback_refused"
    title = "只能回退到曾经批准启用的版本"


class WaiverInvalid(ApprovalError):
    status = 422
    code = "waiver_invalid"
    title = "豁免须指明回归用例并写明理由"
