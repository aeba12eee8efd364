"""The check registry: one entry per check, readable without importing a check."""

from __future__ import annotations

import subprocess
import sys

from pattern_review.checks.registry import (
    CHECK_NAMES,
    CHECKS,
    check_of_rule,
    check_spec,
    compared_checks,
)


def test_rule_ids_map_to_their_check_through_the_bound_convention_rules() -> None:
    team = frozenset({"ACME001", "RTR001"})
    assert check_of_rule("ACME001", team) == "conventions"
    assert check_of_rule("acme", team) == "conventions"  # the family
    assert check_of_rule("ACME001") == "ruff"  # unknown: ruff's codes are open
    assert check_of_rule("E501", team) == "ruff"
    assert check_of_rule("mypy:arg-type", team) == "mypy"
    assert check_of_rule("RTR002") == "conventions"


def test_each_check_is_listed_once_with_its_own_module_and_source() -> None:
    assert CHECK_NAMES == ("ruff-format", "ruff", "mypy", "pytest", "conventions")
    assert len({spec.module for spec in CHECKS}) == len(CHECKS)
    assert check_spec("conventions").source == "convention"
    assert [spec.name for spec in compared_checks()] == [
        "ruff-format",
        "ruff",
        "conventions",
    ]
    runs_pr_code = [spec.name for spec in CHECKS if spec.runs_pr_code]
    assert runs_pr_code == ["mypy", "pytest"]


def test_reading_the_registry_imports_no_check() -> None:
    probe = (
        "import sys, pattern_review.checks.registry as r\n"
        "print(sorted(s.module for s in r.CHECKS if s.module in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
