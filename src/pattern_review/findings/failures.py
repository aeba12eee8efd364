"""The one shape of a finding about a file no check could read or analyse.

A file that does not parse, is not UTF-8, is binary, cannot be read, crashed
a rule or overran its time budget is not reported as clean: it gets one
error finding at its first line (or where the parser stopped), whichever
check found out.
"""

from __future__ import annotations

from pattern_review.models import Finding, Source

# Such findings cite the checklist's "it must pass every check" section.
FAILURE_PATTERN = "completion-checklist"


def file_failure(
    rule: str,
    path: str,
    message: str,
    *,
    source: Source = "convention",
    line: int = 1,
    column: int = 1,
) -> Finding:
    """Return the error finding for a file a check could not read or analyse.

    Args:
        rule: One of the file-level rule ids (``PR000`` ... ``PR005``).
        path: Path relative to the repo root.
        message: What went wrong and what the author can do.
        source: The check that found out.
        line: 1-based line where the problem is (values below 1 become 1).
        column: 1-based column (values below 1 become 1).

    Returns:
        The finding.
    """
    return Finding(
        rule=rule,
        pattern=FAILURE_PATTERN,
        source=source,
        severity="error",
        path=path,
        line=max(line, 1),
        column=max(column, 1),
        message=message,
    )
