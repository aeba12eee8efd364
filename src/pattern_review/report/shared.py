"""What several report formats share.

The order findings are shown in, the counts line, the words a citation gets
and the lines about what was not reviewed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from pattern_review.findings.conclusion import sort_findings
from pattern_review.models import NOT_PYTHON, Finding, Report
from pattern_review.rulebook.agent_file import AgentFile
from pattern_review.rulebook.catalog import heading_for

# Every format shows findings in one order: the one the review sorts them in.
ordered = sort_findings


def counts_line(findings: Iterable[Finding]) -> str:
    """Return ``2 errors, 1 warning`` style counts, or ``no findings``.

    Args:
        findings: The findings to count.

    Returns:
        The counts by severity, most severe first, zero counts left out.
    """
    by_severity = Counter(f.severity for f in findings)
    parts = [
        f"{by_severity[name]} {name}{'' if by_severity[name] == 1 else 's'}"
        for name in ("error", "warning", "note")
        if by_severity[name]
    ]
    return ", ".join(parts) if parts else "no findings"


def pre_existing_line(report: Report) -> str:
    """Say how many findings the ``added`` filter left out as pre-existing.

    Args:
        report: The review.

    Returns:
        One sentence, or empty when there are none.
    """
    count = report.pre_existing
    if not count:
        return ""
    noun = "finding" if count == 1 else "findings"
    return (
        f"{count} pre-existing {noun} in the changed files, not shown: the base"
        " version already had them (--filter-mode file lists them)."
    )


def notable_skips(report: Report) -> tuple[list[tuple[str, str]], int]:
    """Split the changed files not reviewed into those worth naming and the rest.

    A PR's YAML, Markdown and lock files are counted, not listed: a line for
    each would bury the skips a reviewer must read (generated, excluded,
    unreadable, too large).

    Args:
        report: The review.

    Returns:
        (path, reason) of every skip but "not a Python file", in path order,
        and how many files were skipped for not being Python.
    """
    named = sorted(
        (path, reason)
        for path, reason in report.skipped_files.items()
        if reason != NOT_PYTHON
    )
    return named, len(report.skipped_files) - len(named)


def not_python_line(count: int) -> str:
    """Say how many changed files were not reviewed for not being Python.

    Args:
        count: How many.

    Returns:
        One sentence.
    """
    files = "file is" if count == 1 else "files are"
    return f"{count} other changed {files} not Python, and not reviewed."


def pattern_title(agent: AgentFile, slug: str) -> str:
    """Return the words a citation slug is shown with.

    Args:
        agent: The agent file the review cites.
        slug: A catalog slug.

    Returns:
        The section heading as the team's file spells it (the catalog's
        default when the file lacks it); a style rule adds its number.
    """
    section = agent.section(slug)
    heading = section.heading if section is not None else heading_for(slug)
    if slug.startswith("style-rules#"):
        return f"{heading} #{slug.split('#', 1)[1]}"
    return heading


def missing_sections(report: Report, agent: AgentFile) -> list[str]:
    """Return the slugs findings cite that the team's agent file has no section for.

    Their findings still cite the pattern, by the catalog's heading; the
    report says the file lacks it (a renamed heading, say), so no citation
    points at a section the team cannot find.

    Args:
        report: The review.
        agent: The agent file the citations point to.

    Returns:
        Sorted slugs; empty for the built-in rulebook, which has them all.
    """
    if agent.builtin:
        return []
    cited = {f.pattern for f in report.findings}
    return sorted(slug for slug in cited if not agent.rule_text(slug))
