"""Names of individual businesses: the facts the name rules check."""

from approval.names.analysis import (
    Division,
    NameAnalysis,
    NameLexicon,
    ProhibitedCategory,
    analyse_name,
    load_name_lexicon,
)

__all__ = [
    "Division",
    "NameAnalysis",
    "NameLexicon",
    "ProhibitedCategory",
    "analyse_name",
    "load_name_lexicon",
]
