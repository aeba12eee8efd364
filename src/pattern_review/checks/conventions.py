"""The convention check: the agent file's patterns, by the libcst rule engine.

Runs every applicable rule over the changed Python files (one parse and one
traversal per file, in child processes with a time budget per file) and
reports a finding per violation, each citing the agent file section it
breaks. Suppressions are applied later, centrally, to the findings of every
check.
"""

from __future__ import annotations

from collections import Counter

from pattern_review.context import CheckContext
from pattern_review.conventions.failures import ENGINE_RULES
from pattern_review.conventions.pool import EngineStartError, lint_paths
from pattern_review.errors import CheckError
from pattern_review.models import CheckOutcome, CheckResult, CheckStatus

NAME = "conventions"


def run(ctx: CheckContext) -> CheckOutcome:
    """Check the changed Python files against the convention rules.

    Args:
        ctx: The review's context.

    Returns:
        The findings, and a result whose detail counts files and findings
        (and files that could not be parsed or read).
    """
    paths = ctx.python_paths
    if not paths:
        result = CheckResult(name=NAME, status="passed", detail="no Python files")
        return CheckOutcome(result=result)
    selection = ctx.rulebook.selection() if ctx.rulebook else None
    try:
        findings = lint_paths(ctx.target.repo, paths, ctx.config, selection)
    except EngineStartError as exc:
        raise CheckError(str(exc)) from exc
    unreadable = Counter(f.rule for f in findings if f.rule in ENGINE_RULES)
    detail = f"{len(paths)} file(s), {len(findings)} finding(s)"
    if unreadable:
        detail += (
            " ("
            + ", ".join(
                f"{count} {ENGINE_RULES[rule]}"
                for rule, count in sorted(unreadable.items())
            )
            + ")"
        )
    status: CheckStatus = "failed" if findings else "passed"
    return CheckOutcome(
        result=CheckResult(name=NAME, status=status, detail=detail), findings=findings
    )
