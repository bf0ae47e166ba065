"""The words for where an application stands and what was decided: one definition each."""

from __future__ import annotations

from enum import StrEnum


class ApplicationStatus(StrEnum):
    PENDING_VERIFICATION = "pending_verification"  # a registry did not answer; retried
    DECIDED = "decided"  # rejected, or waiting for a person (outcome manual_review)
    ISSUED = "issued"  # approved, licence issued
    REVOKED = "revoked"  # licence revoked after an objection


class Outcome(StrEnum):
    APPROVE = "approve"
    APPROVE_WITH_CONDITIONS = "approve_with_conditions"
    MANUAL_REVIEW = "manual_review"
    REJECT = "reject"


COMPLETED_STATUSES = frozenset(
    {ApplicationStatus.ISSUED, ApplicationStatus.DECIDED, ApplicationStatus.REVOKED}
)


def is_completed(status: str, outcome: str | None) -> bool:
    """办结: decided for good, by the rules or by staff (a case waiting for a person is not);
    a licence revoked later was still 办结 when it was issued."""
    return status in COMPLETED_STATUSES and outcome != Outcome.MANUAL_REVIEW
