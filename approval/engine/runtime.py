"""The durable_rules host, used within the limits measured for it.

One evaluation at a time under a lock, the host's timer threads off, a fresh session per
evaluation deleted in ``finally``, facts normalised to their declared types before asserting,
and only the facts a rule can compare (the reason-only ones stay out).
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable
from typing import Any

import durable_rules_engine
from durable import engine as durable

from approval.engine.compiler import EVALUATED, compile_rules
from approval.engine.facts import engine_facts, nest
from approval.engine.language import Rule


class _QuietHost(durable.Host):  # type: ignore[misc]
    """A Host without timer threads, whose actions only record which rule fired."""

    def __init__(self, record: Callable[[str], None]) -> None:
        self._record = record
        super().__init__()

    def _run(self) -> None:
        # The default host dispatches timers on threads; with caller threads it segfaults.
        return None

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        record = self._record

        def fired(_closure: Any) -> None:
            record(action_name)

        return fired


class CompiledRuleset:
    """A ruleset registered in durable_rules under a name unique to its content version."""

    _sessions = itertools.count()
    _lock = threading.Lock()  # durable_rules never releases the GIL and is not thread-safe

    def __init__(self, rules: list[Rule], version: str) -> None:
        self.rules = rules
        self.version = version
        self.name = f"miaopi_{version[:16]}_{next(self._sessions)}"
        self._fired: list[str] = []
        self._host = _QuietHost(self._fired.append)
        definition = {self.name: compile_rules(rules)}
        with self._lock:
            # register_rulesets mutates its argument
            self._host.register_rulesets(copy.deepcopy(definition))
        self._ruleset = self._host.get_ruleset(self.name)

    def fired_rule_ids(self, flat_facts: dict[str, Any]) -> list[str]:
        """Evaluate one application's facts; the ids of the rules that fired, in rule order."""
        fact = nest(engine_facts(flat_facts))
        fact["t"] = "application"
        with self._lock:
            sid = f"s{next(self._sessions)}"
            fact["sid"] = sid
            self._fired.clear()
            # an assert the engine refuses leaves no session behind to delete
            self._host.assert_fact(self.name, fact)
            self._host.delete_state(self.name, sid)
            fired = set(self._fired)
        if EVALUATED not in fired:
            raise RuntimeError("durable_rules did not evaluate the application")
        return [rule.id for rule in self.rules if rule.id in fired]

    def close(self) -> None:
        """Free the native ruleset (a registered name can never be registered again)."""
        with self._lock:
            durable_rules_engine.delete_ruleset(self._ruleset._handle)
