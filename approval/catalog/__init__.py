"""The catalogue of approval items and the business-scope catalogue (经营范围规范表述目录)."""

from approval.catalog.scope import (
    ScopeCatalog,
    ScopeItem,
    ScopeKind,
    ScopeTag,
    load_scope_catalog,
)

__all__ = [
    "ScopeCatalog",
    "ScopeItem",
    "ScopeKind",
    "ScopeTag",
    "load_scope_catalog",
]
