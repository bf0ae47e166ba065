from tests.engine.conftest import baseline_facts, shipped_ruleset

__all__ = ["baseline_facts", "shipped_ruleset"]
