"""The durable_rules wrapper: agrees with the rules' meaning, and survives threads."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from approval.engine.facts import FACTS, FactType
from approval.engine.ruleset import Ruleset


def _fact_strategy(name: str) -> st.SearchStrategy[Any]:
    spec = FACTS[name]
    match spec.type:
        case FactType.BOOL:
            return st.booleans()
        case FactType.INT:
            return st.integers(min_value=-1, max_value=120)
        case FactType.NUMBER:
            return st.floats(min_value=0, max_value=1, allow_nan=False)
        case FactType.ENUM:
            return st.sampled_from(spec.choices)
        case FactType.TEXTS:
            return st.lists(st.text(max_size=5), max_size=3)
        case _:
            return st.text(max_size=5)


ANY_FACTS = st.fixed_dictionaries({name: _fact_strategy(name) for name in FACTS})


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(facts=ANY_FACTS)
def test_durable_rules_and_explanation_agree(
    shipped_ruleset: Ruleset, facts: dict[str, Any]
) -> None:
    fired = {rule.id for rule in shipped_ruleset.fired(facts)}
    explained = {trace.rule.id for trace in shipped_ruleset.explain(facts) if trace.fired}
    assert fired == explained


def test_five_thousand_evaluations_from_threads(
    shipped_ruleset: Ruleset, baseline_facts: dict[str, Any]
) -> None:
    rng = random.Random(7)
    cases = []
    for _ in range(5000):
        facts = dict(baseline_facts)
        facts["operator.age"] = rng.randint(10, 70)
        facts["registries.market.serious_dishonesty"] = rng.random() < 0.2
        facts["scope.post_permit_count"] = rng.choice([0, 0, 1])
        cases.append(facts)
    expected = [{t.rule.id for t in shipped_ruleset.explain(f) if t.fired} for f in cases]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda f: {r.id for r in shipped_ruleset.fired(f)}, cases))
    assert results == expected
    assert any("R08-UNDER-16" in r for r in results)
    assert any(not r for r in results)


def test_wrong_fact_type_is_refused_before_the_engine(
    shipped_ruleset: Ruleset, baseline_facts: dict[str, Any]
) -> None:
    import pytest

    with pytest.raises(TypeError, match="operator.age"):
        shipped_ruleset.fired({**baseline_facts, "operator.age": "30"})
    with pytest.raises(TypeError, match="name.present"):
        shipped_ruleset.fired({**baseline_facts, "name.present": 1})


def test_sessions_where_no_rule_fires_are_deleted_cleanly(
    shipped_ruleset: Ruleset, baseline_facts: dict[str, Any]
) -> None:
    # More than durable_rules' 1,024 live sessions per ruleset, none of them firing a rule.
    for _ in range(1500):
        assert shipped_ruleset.fired(baseline_facts) == []
