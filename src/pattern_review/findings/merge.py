"""One finding where several checks say the same thing about the same code.

ruff's ANN201 and mypy's ``no-untyped-def`` both ask for the annotation a
``def`` lacks; the Router Pattern's RTR005 asks for it too, on the route's
decorator; MDL001 and MDL002 both fault one legacy ``Column(String)``. A
reader wants one finding for each, so they are merged here, before any
surface renders them: the one citing the most specific pattern is kept and
names the others ("also: ANN201"), with the most severe of their severities.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from pattern_review.findings.impact import ARCHITECTURE_PATTERNS
from pattern_review.lines import split_lines
from pattern_review.models import SEVERITY_RANK, Finding

# Rules that say the same thing, by topic. A finding joins a topic by its
# rule id or a prefix of it.
_TOPICS: dict[str, tuple[str, ...]] = {
    "return-annotation": (
        "ANN20",
        "RTR005",
        "mypy:no-untyped-def",
    ),
    "parameter-annotation": ("ANN00", "mypy:no-untyped-def"),
    "legacy-column": ("MDL001", "MDL002"),
}
# Rules reported on a route's decorator rather than on its ``def`` line.
_ON_DECORATOR = frozenset({"RTR005"})
_DEF = re.compile(r"\s*(async\s+)?def\s")
# How far below a decorator its ``def`` may be (a decorator over lines).
_DECORATOR_SPAN = 20


def _topics(rule: str) -> frozenset[str]:
    return frozenset(
        topic
        for topic, members in _TOPICS.items()
        if any(rule == m or (m.endswith("0") and rule.startswith(m)) for m in members)
    )


def _specificity(finding: Finding) -> int:
    """Return how specific a finding's citation is (higher is more)."""
    if finding.pattern in ARCHITECTURE_PATTERNS:
        return 2
    return 1 if finding.pattern.startswith("style-rules#") else 0


def _def_line(finding: Finding, sources: Mapping[str, str]) -> int:
    """Return the line of the ``def`` a decorator finding is about."""
    if finding.rule not in _ON_DECORATOR or finding.path not in sources:
        return finding.line
    lines = split_lines(sources[finding.path])
    last = min(len(lines), finding.line + _DECORATOR_SPAN)
    for number in range(finding.line, last + 1):
        if _DEF.match(lines[number - 1]):
            return number
    return finding.line


def merge_duplicates(
    findings: Sequence[Finding], sources: Mapping[str, str] | None = None
) -> list[Finding]:
    """Merge findings that say the same thing about the same code.

    Two findings merge when their rules share a topic (annotations, legacy
    columns), they are in one file, and they start on one line (a route
    decorator's finding counts from its ``def`` line, found in ``sources``).

    Args:
        findings: The kept findings, in the order to keep.
        sources: File text by path; without it, decorator findings only
            merge with findings on the decorator's line.

    Returns:
        The findings, each group replaced by its most specific member (its
        message ends with the other rule ids), in the given order. A
        finding absorbed by another is dropped wherever else it was kept.
    """
    sources = sources or {}
    # Decide on the findings in an order of their content, never the order
    # the checks finished in: the same PR keeps the same findings, worded
    # the same way. The answer keeps the given order.
    given = list(findings)
    findings = sorted(
        given,
        key=lambda f: (f.path, f.line, f.column, f.rule, f.fingerprint, f.message),
    )
    groups: dict[tuple[str, int, str], list[int]] = {}
    for index, finding in enumerate(findings):
        if finding.source == "ai":
            continue
        for topic in _topics(finding.rule):
            place = (finding.path, _def_line(finding, sources), topic)
            groups.setdefault(place, []).append(index)
    absorbed: set[int] = set()
    absorbs: dict[int, list[int]] = {}
    for members in groups.values():
        keeper = max(
            members,
            key=lambda i: (
                _specificity(findings[i]),
                -findings[i].column,
                findings[i].rule,
                findings[i].fingerprint,
            ),
        )
        # Two of one rule on a line are two findings (two parameters).
        others = [i for i in members if findings[i].rule != findings[keeper].rule]
        absorbs.setdefault(keeper, []).extend(others)
        absorbed.update(others)
    kept: dict[int, Finding] = {}
    for index, finding in enumerate(findings):
        if index in absorbed:
            continue
        said = [findings[i] for i in absorbs.get(index, [])]
        kept[id(finding)] = _combined(finding, said) if said else finding
    return [kept[id(finding)] for finding in given if id(finding) in kept]


def _combined(keeper: Finding, others: list[Finding]) -> Finding:
    rules = sorted({other.rule for other in others})
    severity = max(
        (keeper.severity, *(other.severity for other in others)),
        key=lambda name: SEVERITY_RANK[name],
    )
    message = f"{keeper.message.rstrip()} (also: {', '.join(rules)})"
    return keeper.model_copy(update={"message": message, "severity": severity})
