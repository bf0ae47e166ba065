"""Which departments supervise a licence: the maintained map in rules/supervision/."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, model_validator

from approval.catalog.scope import ScopeCatalog
from approval.kernel.rule_data import read_rule_data


class Department(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str
    name: str


class DepartmentMap(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    departments: tuple[Department, ...]
    always: tuple[str, ...] = ()
    by_authority: dict[str, str] = {}
    by_scope: dict[str, str] = {}
    unclaimed: str

    @model_validator(mode="after")
    def _known_codes(self) -> DepartmentMap:
        known = {d.code for d in self.departments}
        used = {*self.always, *self.by_authority.values(), *self.by_scope.values(), self.unclaimed}
        unknown = sorted(used - known)
        if unknown:
            raise ValueError(f"department codes used but not listed: {unknown}")
        return self

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(d.code for d in self.departments)

    def name_of(self, code: str) -> str:
        return next((d.name for d in self.departments if d.code == code), code)

    def for_scope_item(self, code: str, authority: str | None) -> str | None:
        if code in self.by_scope:
            return self.by_scope[code]
        if authority is None:
            return None
        return self.by_authority.get(authority, self.unclaimed)

    def responsible(self, scope: list[str], catalog: ScopeCatalog) -> list[str]:
        """Every department a licence with this scope is pushed to, in a stable order."""
        found = list(self.always)
        for code in scope:
            item = catalog.get(code)
            department = self.for_scope_item(code, item.authority if item else None)
            if department and department not in found:
                found.append(department)
        return found


@cache
def load_department_map(rules_dir: Path) -> DepartmentMap:
    path = rules_dir / "supervision" / "departments.yaml"
    return read_rule_data(path, DepartmentMap)[0]
