"""GitHub workflow-command annotations (``::error file=…::message``).

GitHub keeps at most 10 annotations of each level per step and silently drops
the rest, so the most severe come first, each level is capped, and one last
notice says how many were left out.
"""

from __future__ import annotations

from pattern_review.models import Finding, Report
from pattern_review.report.shared import ordered

_LEVELS: dict[str, str] = {"error": "error", "warning": "warning", "note": "notice"}


def escape_data(text: str) -> str:
    """Escape the message part of a workflow command.

    Args:
        text: Free text.

    Returns:
        The text with ``%``, CR and LF percent-encoded, as the runner expects.
    """
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a ``key=value`` property of a workflow command.

    Args:
        text: A property value (a path, a title).

    Returns:
        The value with ``:`` and ``,`` encoded too, since they delimit
        properties.
    """
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(finding: Finding) -> str:
    level = _LEVELS[finding.severity]
    properties = ",".join(
        [
            f"file={escape_property(finding.path)}",
            f"line={finding.line}",
            f"endLine={finding.end_line}",
            f"col={finding.column}",
            f"title={escape_property(f'{finding.rule} ({finding.pattern})')}",
        ]
    )
    return f"::{level} {properties}::{escape_data(finding.message)}"


def render_workflow_commands(report: Report, *, per_level: int = 10) -> str:
    """Render findings as workflow commands for the Actions log.

    Args:
        report: The review.
        per_level: Most annotations emitted per level (error, warning,
            notice); GitHub shows no more than 10 of each per step.

    Returns:
        One command per line (empty when there are no findings).
    """
    findings = ordered(report.findings)
    caps = dict.fromkeys(_LEVELS.values(), per_level)
    total: dict[str, int] = dict.fromkeys(_LEVELS.values(), 0)
    for finding in findings:
        total[_LEVELS[finding.severity]] += 1
    if any(count > per_level for count in total.values()):
        # The closing notice counts against the notice cap: keep room for it.
        caps["notice"] = max(per_level - 1, 0)
    shown: dict[str, int] = dict.fromkeys(_LEVELS.values(), 0)
    lines: list[str] = []
    left_out = 0
    for finding in findings:
        level = _LEVELS[finding.severity]
        if shown[level] >= caps[level]:
            left_out += 1
            continue
        shown[level] += 1
        lines.append(_command(finding))
    if left_out:
        noun = "annotation" if left_out == 1 else "annotations"
        lines.append(
            f"::notice::pattern-review: {left_out} more {noun} left out "
            f"(at most {per_level} per level); see the full report."
        )
    return "".join(f"{line}\n" for line in lines)
