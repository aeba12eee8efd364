"""What several report formats share.

The order findings are shown in, the counts line, the words a citation gets
and the lines about what was not reviewed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from pattern_review.checks.registry import CHECK_NAMES, check_spec
from pattern_review.findings.conclusion import sort_findings
from pattern_review.models import NOT_PYTHON, CheckResult, Finding, Report
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


_REFORMAT = re.compile(r"\b([1-9]\d*) hunk\(s\) to reformat")


def check_state(check: CheckResult, report: Report) -> tuple[str, str]:
    """Return the icon and words a check's status is shown with.

    They agree with the review's conclusion: a check whose findings do not
    fail the review (warnings only, or a conclusion of success) is ⚠️, not
    ❌; a check that could not run fails the review and is ❌; "passed" is
    never shown beside hunks left to reformat (outside the PR's lines).

    Args:
        check: One check's result.
        report: The review (its findings and conclusion).

    Returns:
        (icon, words), e.g. ``("⚠️", "warnings only")``.
    """
    if check.status == "error":
        return "❌", "could not run"
    if check.status == "skipped":
        return "⏭️", "skipped"
    if check.status == "passed":
        if check.name == "ruff-format" and _REFORMAT.search(check.detail):
            return "⚠️", "clean on the PR's lines"
        return "✅", "passed"
    source = check_spec(check.name).source if check.name in CHECK_NAMES else ""
    own = [f for f in report.findings if f.source == source]
    if report.conclusion != "failure":
        return "⚠️", "findings, not failing"
    errors_anywhere = any(f.severity == "error" for f in report.deterministic_findings)
    if own and errors_anywhere and all(f.severity != "error" for f in own):
        return "⚠️", "warnings only"
    return "❌", "failed"
