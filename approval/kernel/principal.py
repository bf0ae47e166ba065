"""Who is calling: the role of an API key and the person or hall it stands for."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    TERMINAL = "terminal"
    MOBILE = "mobile"
    STAFF = "staff"
    RULE_ADMIN = "rule_admin"
    SUPERVISOR = "supervisor"


APPLICANT_ROLES = frozenset({Role.TERMINAL, Role.MOBILE})


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: str
    role: Role
    subject: str | None  # the applicant's ID number, for mobile keys
    hall_code: str | None = None  # the hall a terminal or window key stands in

    def may_see_person(self, id_number: str) -> bool:
        """Whether unmasked personal data of this person may be shown to the caller."""
        return self.role == Role.STAFF or (self.role == Role.MOBILE and self.subject == id_number)

    def may_read(self, key_id: str, operator_id_number: str) -> bool:
        """Whether the caller may read an application: staff any, a terminal what it submitted,
        a mobile key its applicant's own."""
        if self.role == Role.STAFF:
            return True
        if self.role == Role.TERMINAL:
            return self.key_id == key_id
        if self.role == Role.MOBILE:
            return self.subject == operator_id_number
        return False
