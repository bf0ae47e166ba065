"""The evidence pack an approval carries: check, tests with coverage, and simulation."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from approval.decisions.determination import RulesInForce
from approval.engine.ruleset import Ruleset
from approval.rules.cases import load_cases, run_cases
from approval.rules.lint import lint
from approval.rules.service import materialised
from approval.rules.simulation import reference_data, simulate, stored_reference, summary


def run_tests(ruleset: Ruleset, files: Mapping[str, str], fallback: Path) -> dict[str, Any]:
    """The version's own cases (its tests/ files), or the folder's if it brought none."""
    if "tests/cases.yaml" in files and "tests/baseline.yaml" in files:
        with materialised(files) as root:
            baseline, cases = load_cases(root / "tests")
    else:
        baseline, cases = load_cases(fallback)
    return run_cases(ruleset, baseline, cases).summary()


def evidence(
    conn: Connection,
    files: Mapping[str, str],
    candidate: Ruleset,
    active: Ruleset,
    tests_dir: Path,
) -> dict[str, Any]:
    # each side decides on facts derived under its own word lists and catalogue
    with materialised(files) as root:
        proposed = RulesInForce(candidate, reference_data(root))
    in_force = RulesInForce(active, stored_reference(conn, active) or proposed.reference)
    return {
        "check": {"findings": [f.as_dict() for f in lint(candidate.rules)]},
        "tests": run_tests(candidate, files, tests_dir),
        # the staff cases at risk or tightened are listed up to the limit, all counted
        "simulation": summary(simulate(conn, in_force, proposed, flip_limit=100)),
    }
