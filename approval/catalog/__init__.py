"""The catalogue of approval items and the business-scope catalogue (经营范围规范表述目录)."""

from approval.catalog.scope import (
    Problem,
    RuleDataError,
    ScopeCatalog,
    ScopeItem,
    ScopeKind,
    ScopeTag,
    line_at,
    load_scope_catalog,
    read_rule_data,
)

__all__ = [
    "Problem",
    "RuleDataError",
    "ScopeCatalog",
    "ScopeItem",
    "ScopeKind",
    "ScopeTag",
    "line_at",
    "load_scope_catalog",
    "read_rule_data",
]
