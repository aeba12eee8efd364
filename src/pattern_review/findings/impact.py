"""Which findings a reader should fix first: the one impact order.

A failing test breaks behaviour, a type error is a bug waiting; a file the
review could not analyse hides everything in it; an architecture pattern
(router, service, model, schema, task, error handling) shapes the code base;
style comes last, and within style what a tool rewrites on its own (import
order, union syntax, formatting: one ``ruff check --fix`` or ``ruff format``)
after what needs a person (a sync function doing I/O, a missing annotation).
Every surface that must choose a few findings (the
comment's "Fix first" list, the inline comments) ranks them here, so they
agree.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from pattern_review.findings.rules import FILE_LEVEL_RULES
from pattern_review.models import SEVERITY_RANK, Finding

# Tiers, most urgent first.
TIER_TEST = 0
TIER_TYPES = 1
TIER_UNANALYSABLE = 2
TIER_ARCHITECTURE = 3
TIER_STYLE = 4
TIER_ADVISORY = 5

# The architecture patterns, in the order the agent file presents them.
ARCHITECTURE_PATTERNS: tuple[str, ...] = (
    "router-pattern",
    "service-pattern",
    "model-pattern",
    "schema-pattern",
    "celery-task-pattern",
    "error-handling",
)

# Findings a tool settles without a decision: the formatter's, and ruff
# codes whose fix is mechanical (isort, pyupgrade, pycodestyle, commas,
# quotes), by the letters of the code (``EM``, ``ERA`` are other linters). By
# rule id, so a team's renumbered style rules change nothing.
MECHANICAL_SOURCES = frozenset({"ruff-format"})
MECHANICAL_RUFF_LINTERS = frozenset({"I", "UP", "E", "W", "COM", "Q"})
_LINTER = re.compile(r"[A-Z]+")


def impact_tier(finding: Finding) -> int:
    """Return how urgent a finding is, by what it is about (lower first).

    Args:
        finding: Any finding.

    Returns:
        One of the ``TIER_*`` numbers.
    """
    if finding.source == "ai":
        return TIER_ADVISORY
    if finding.rule in FILE_LEVEL_RULES:
        return TIER_UNANALYSABLE
    if finding.source == "pytest":
        return TIER_TEST
    if finding.source == "mypy":
        return TIER_TYPES
    if finding.pattern in ARCHITECTURE_PATTERNS:
        return TIER_ARCHITECTURE
    return TIER_STYLE


def is_mechanical(finding: Finding) -> bool:
    """Return whether a tool fixes a finding on its own (formatting, isort, ...).

    Args:
        finding: Any finding.

    Returns:
        True for formatter findings and ruff's isort, pyupgrade and
        pycodestyle codes.
    """
    if finding.source in MECHANICAL_SOURCES:
        return True
    linter = _LINTER.match(finding.rule)
    return (
        finding.source == "ruff"
        and linter is not None
        and linter.group() in MECHANICAL_RUFF_LINTERS
    )


def _pattern_order(slug: str) -> int:
    if slug in ARCHITECTURE_PATTERNS:
        return ARCHITECTURE_PATTERNS.index(slug)
    return len(ARCHITECTURE_PATTERNS)


def by_impact(findings: Iterable[Finding]) -> list[Finding]:
    """Order findings by impact: tier, severity, then one pattern at a time.

    What a finding is about decides first (a swallowed exception flagged as
    a warning matters more than a naming error); notes, which ask for
    nothing, come after everything else. Among findings of one tier and
    severity, those a tool fixes on its own come after those that need a
    person. Within a tier and severity the
    patterns take turns (the first router finding, the first service
    finding, ..., then the second of each), so a short list shows the
    breadth of what is wrong rather than one file's every line.

    Args:
        findings: Findings in any order.

    Returns:
        A new list, most urgent first; ties keep path and line order.
    """
    ordered = sorted(
        findings, key=lambda f: (f.path, f.line, f.column, f.rule, f.fingerprint)
    )
    turn: Counter[tuple[bool, int, int, bool, str]] = Counter()
    keyed: list[tuple[tuple[bool, int, int, bool, int, int], int, Finding]] = []
    for index, finding in enumerate(ordered):
        note = finding.severity == "note"
        tier = impact_tier(finding)
        severity = -SEVERITY_RANK[finding.severity]
        mechanical = is_mechanical(finding)
        group = (note, tier, severity, mechanical, finding.pattern)
        key = (
            note,
            tier,
            severity,
            mechanical,
            turn[group],
            _pattern_order(finding.pattern),
        )
        turn[group] += 1
        keyed.append((key, index, finding))
    return [finding for _, _, finding in sorted(keyed, key=lambda k: (k[0], k[1]))]
