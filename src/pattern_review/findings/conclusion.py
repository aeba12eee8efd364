"""The review's conclusion, from the deterministic findings and checks alone.

The AI review is advisory: its findings never fail a review. A check that
could not run fails it, since it must never look like a pass.
"""

from __future__ import annotations

from collections.abc import Iterable

from pattern_review.models import (
    SEVERITY_RANK,
    CheckResult,
    CheckStatus,
    Conclusion,
    FailOn,
    Finding,
)

# How bad a check's status is: merged results (over projects, over shards)
# take the worst.
STATUS_RANK: dict[str, int] = {"error": 3, "failed": 2, "passed": 1, "skipped": 0}


def worst_status(statuses: Iterable[CheckStatus]) -> CheckStatus:
    """Return the worst of some check statuses.

    Args:
        statuses: Statuses of the same check (one per project or shard).

    Returns:
        ``error`` over ``failed`` over ``passed`` over ``skipped``; the
        first of equals; ``skipped`` when there are none.
    """
    worst: CheckStatus = "skipped"
    for status in statuses:
        if STATUS_RANK[status] > STATUS_RANK[worst]:
            worst = status
    return worst


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Order findings most severe first, then by path, line and column.

    Args:
        findings: Findings in any order.

    Returns:
        A new sorted list.
    """
    return sorted(
        findings,
        key=lambda f: (-SEVERITY_RANK[f.severity], f.path, f.line, f.column, f.rule),
    )


def fails(finding: Finding, fail_on: FailOn) -> bool:
    """Return whether a finding fails the review.

    Args:
        finding: The finding.
        fail_on: The lowest failing severity, or ``never``.

    Returns:
        True for a deterministic finding at or above ``fail_on``.
    """
    if fail_on == "never" or finding.source == "ai":
        return False
    return SEVERITY_RANK[finding.severity] >= SEVERITY_RANK[fail_on]


def conclude(
    findings: Iterable[Finding], checks: Iterable[CheckResult], fail_on: FailOn
) -> Conclusion:
    """Decide the review's conclusion from deterministic results only.

    A requested check that could not run fails the review: it must never
    look like a pass (and ``neutral`` would satisfy a required status check).

    Args:
        findings: The kept findings (AI ones are ignored).
        checks: The check results.
        fail_on: The lowest failing severity.

    Returns:
        ``failure`` or ``success``.
    """
    if any(check.status == "error" for check in checks):
        return "failure"
    return "failure" if any(fails(f, fail_on) for f in findings) else "success"
