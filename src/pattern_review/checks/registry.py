"""The one table of the checks a review can run, and what each one is.

Plain data: importing it imports no check (each check module is named by its
dotted path and imported when it runs), so the lower layers (config, models,
findings, baseline) may read it while staying cheap to import.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass


@dataclass(frozen=True)
class CheckSpec:
    """One check: where it lives and how the review treats its findings.

    Attributes:
        name: The name users write in ``checks`` and reports show.
        module: Dotted path of the module whose ``run(context)`` runs it.
        source: The ``Finding.source`` of its findings.
        compared: Whether its findings are compared with those of the base
            version of the code (it needs no environment, so the base run
            is cheap), to tell what the PR introduced.
        runs_pr_code: Whether it runs the PR's code (tests, conftest, mypy
            plugins, build backends): unprivileged, without the job's
            secrets, and a failure names the variables it was denied.
        rule_prefixes: Upper-case prefixes of the rule ids it owns (an ignore
            entry such as ``mypy:`` or ``RTR`` names them too).
    """

    name: str
    module: str
    source: str
    compared: bool = False
    runs_pr_code: bool = False
    rule_prefixes: tuple[str, ...] = ()


# In report order.
CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec(
        "ruff-format",
        "pattern_review.checks.ruff_format",
        "ruff-format",
        compared=True,
        rule_prefixes=("RUFF-FORMAT",),
    ),
    CheckSpec("ruff", "pattern_review.checks.ruff_check", "ruff", compared=True),
    CheckSpec(
        "mypy",
        "pattern_review.checks.mypy_check",
        "mypy",
        runs_pr_code=True,
        rule_prefixes=("MYPY",),
    ),
    CheckSpec(
        "pytest",
        "pattern_review.checks.pytest_check",
        "pytest",
        runs_pr_code=True,
        rule_prefixes=("PYTEST",),
    ),
    CheckSpec(
        "conventions",
        "pattern_review.checks.conventions",
        "convention",
        compared=True,
        # The built-in rule families, and the review's own findings (PR0xx).
        rule_prefixes=("RTR", "SCH", "MDL", "SVC", "TSK", "STY", "ERR", "PR"),
    ),
)
CHECK_NAMES: tuple[str, ...] = tuple(spec.name for spec in CHECKS)
# The check of a rule id no other check claims: ruff's codes are open-ended.
FALLBACK_CHECK = "ruff"
_BY_NAME = {spec.name: spec for spec in CHECKS}


def check_spec(name: str) -> CheckSpec:
    """Return the entry of a check.

    Args:
        name: One of CHECK_NAMES.

    Returns:
        Its entry.

    Raises:
        KeyError: No check has that name.
    """
    return _BY_NAME[name]


def compared_checks() -> tuple[CheckSpec, ...]:
    """Return the checks whose findings are compared with the base version's.

    Returns:
        Their entries, in report order.
    """
    return tuple(spec for spec in CHECKS if spec.compared)


def check_of_rule(rule: str, convention_rules: Collection[str] = ()) -> str:
    """Return the check that produces a rule id (or an ignore entry's family).

    Args:
        rule: A rule id such as ``E501``, ``mypy:arg-type``, ``RTR001``, or
            a family such as ``RTR`` or ``mypy``.
        convention_rules: The ids of every convention rule the review binds,
            a team's own included (``ACME001``), so its ids and its family
            (``ACME``) are known as the convention engine's.

    Returns:
        One of CHECK_NAMES.
    """
    upper = rule.upper()
    for spec in CHECKS:
        if spec.rule_prefixes and upper.startswith(spec.rule_prefixes):
            return spec.name
    ids = {rule_id.upper() for rule_id in convention_rules}
    if upper in ids or upper in {_family(rule_id) for rule_id in ids}:
        return "conventions"
    return FALLBACK_CHECK


def _family(rule: str) -> str:
    """Return the letters a rule id starts with (``ACME`` of ``ACME001``)."""
    return rule.rstrip("0123456789")
