"""The findings a PR's changes to how it is judged raise.

A change that weakens the standard (``StandardChange.direction`` is
``weakens``) is itself a finding, so a PR that narrows what its tools
examine never passes silently: ``PR101`` a tool config, ``PR102`` a
``conftest.py`` hook, ``PR103`` a comment that silences a tool (one finding
per file, naming each comment), ``PR104`` pattern-review's own standard.
Their severity is the base config's ``standard-change-severity``. A change
that only strengthens the standard is listed, never a finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pattern_review.models import Finding, Severity, StandardChange

PATTERN = "completion-checklist"
# How many of a file's silencing comments one finding names.
MAX_NAMED_COMMENTS = 5


def _quoted(text: str | None) -> str:
    return "none" if text is None else f"`{' '.join(text.split())[:160]}`"


def _finding(
    change: StandardChange, severity: Severity, message: str, rule: str
) -> Finding:
    return Finding(
        rule=rule,
        pattern=PATTERN,
        source="convention",
        severity=severity,
        path=change.path,
        line=change.line or 1,
        message=message,
    )


def _comments_finding(
    group: Sequence[StandardChange], severity: Severity, rule: str
) -> Finding:
    # The effect ends with the comment's reason ("...; reason: ...").
    named = "; ".join(
        f"line {c.line}: {_quoted(c.head)} ({c.effect.rsplit('; ', 1)[-1]})"
        for c in group[:MAX_NAMED_COMMENTS]
    )
    more = len(group) - MAX_NAMED_COMMENTS
    if more > 0:
        named += f"; and {more} more"
    return _finding(
        group[0],
        severity,
        f"This PR adds {len(group)} comment(s) that silence a tool's findings "
        f"in this file: {named}. Fix the findings, or keep each ignore narrow "
        "with a reason the reviewer can accept.",
        rule,
    )


def standard_findings(
    changes: Iterable[StandardChange], severity: Severity
) -> list[Finding]:
    """Return one finding per change that weakens the standard.

    Args:
        changes: The PR's changes to how it is judged.
        severity: The base config's ``standard-change-severity``.

    Returns:
        One finding per weakening change (its rule, anchored on the changed
        line or the file's first), silencing comments grouped per file.
    """
    findings: list[Finding] = []
    comments: dict[tuple[str, str], list[StandardChange]] = {}
    for change in changes:
        if change.direction != "weakens" or change.rule is None:
            continue
        if change.what.endswith("comment added"):
            comments.setdefault((change.path, change.rule), []).append(change)
            continue
        message = (
            f"This PR changes how it is judged: {change.what} "
            f"(base {_quoted(change.base)}, this PR {_quoted(change.head)}): "
            f"{change.effect}."
        )
        findings.append(_finding(change, severity, message, change.rule))
    for (_, rule), group in comments.items():
        findings.append(_comments_finding(group, severity, rule))
    return findings
