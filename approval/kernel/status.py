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
