"""Which findings matter most: the order a reader should fix them in.

Severity alone ranks a naming nit with a failing test (most findings are
errors), so the few places a reader looks first (the inline comments, the
top of the comment) go by impact: a failing test, then a type error, then a
file the review could not analyse, then the architecture patterns, then
style. Within one tier, the most severe first, then by place.
"""

from __future__ import annotations

from collections.abc import Iterable

from pattern_review.findings.rules import FILE_LEVEL_RULES
from pattern_review.models import SEVERITY_RANK, Finding

# Sections of the agent file about how the backend is built, not how it reads.
ARCHITECTURE_PATTERNS = frozenset(
    {
        "router-pattern",
        "service-pattern",
        "model-pattern",
        "schema-pattern",
        "celery-task-pattern",
        "error-handling",
    }
)
TEST_FAILURE, TYPE_ERROR, UNANALYSABLE, ARCHITECTURE, STYLE = range(5)


def impact_tier(finding: Finding) -> int:
    """Return the impact tier of a finding (lower matters more).

    Args:
        finding: The finding.

    Returns:
        TEST_FAILURE, TYPE_ERROR, UNANALYSABLE, ARCHITECTURE or STYLE.
    """
    if finding.rule in FILE_LEVEL_RULES:
        return UNANALYSABLE
    if finding.source == "pytest":
        return TEST_FAILURE
    if finding.source == "mypy":
        return TYPE_ERROR
    if finding.pattern in ARCHITECTURE_PATTERNS:
        return ARCHITECTURE
    return STYLE


def by_impact(findings: Iterable[Finding]) -> list[Finding]:
    """Order findings by impact tier, then severity, path, line and column.

    Args:
        findings: Findings in any order.

    Returns:
        A new list, what matters most first.
    """
    return sorted(
        findings,
        key=lambda f: (
            impact_tier(f),
            -SEVERITY_RANK[f.severity],
            f.path,
            f.line,
            f.column,
            f.rule,
        ),
    )
