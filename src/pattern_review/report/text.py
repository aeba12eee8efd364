"""The terminal format: findings grouped by file, then checks, AI and verdict."""

from __future__ import annotations

from itertools import groupby

import pattern_review.report.shared as shared
from pattern_review.models import Report
from pattern_review.rulebook.agent_file import AgentFile


def _one_line(text: str) -> str:
    # A message spanning lines would break the one-finding-per-line layout.
    return " ".join(text.split())


def _errored(report: Report) -> list[str]:
    return [check.name for check in report.checks if check.status == "error"]


def _could_not_run(report: Report) -> list[str]:
    """Open with the checks that could not run: their results are unknown."""
    names = _errored(report)
    if not names:
        return []
    count = f"{len(names)} check{'s' if len(names) > 1 else ''}"
    return [
        f"{count} could not run: {', '.join(names)}. Their results are unknown,"
        " not passed (see Checks below).",
        "",
    ]


def render_text(report: Report, agent: AgentFile) -> str:
    """Render a report for a terminal.

    Each finding is one line, ``path:line:col  SEVERITY  RULE  message
    [slug — heading]``, so editors and terminals can jump to it.

    Args:
        report: The review.
        agent: The agent file the citations point to.

    Returns:
        Plain text ending in a newline.
    """
    lines = _could_not_run(report)
    # Findings repeat a handful of slugs; look each heading up once.
    titles = {
        slug: shared.pattern_title(agent, slug)
        for slug in {f.pattern for f in report.findings}
    }
    by_file = sorted(shared.ordered(report.findings), key=lambda f: f.path)
    for path, group in groupby(by_file, key=lambda f: f.path):
        findings = sorted(group, key=lambda f: (f.line, f.column, f.rule))
        lines.append(f"{path} ({shared.counts_line(findings)})")
        for f in findings:
            lines.append(
                f"  {f.path}:{f.line}:{f.column}  {f.severity.upper():<7}  "
                f"{f.rule}  {_one_line(f.message)}  "
                f"[{f.pattern} — {titles[f.pattern]}]"
            )
        lines.append("")
    if not report.findings:
        # "No findings." alone would read as a pass when a check did not run.
        ran = " from the checks that ran" if _errored(report) else ""
        lines += [f"No findings{ran}.", ""]
    if shared.pre_existing_line(report):
        lines += [shared.pre_existing_line(report), ""]

    if report.checks:
        lines.append("Checks:")
        width = max(len(check.name) for check in report.checks)
        for check in report.checks:
            detail = f"  {_one_line(check.detail)}" if check.detail else ""
            lines.append(
                f"  {check.name:<{width}}  {check.status:<7}  "
                f"{check.duration_s:6.2f}s{detail}"
            )
        lines.append("")

    if report.safe_mode:
        lines += ["Safe mode: no code from the PR was run.", ""]
    if report.rulebook_notice:
        lines += [f"{report.rulebook_notice}.", ""]
    if report.standard_changes:  # listed in full in the JSON report
        lines += [
            f"This PR changes how it is judged ({len(report.standard_changes)}"
            " change(s)); the base commit's standard was applied.",
            "",
        ]
    missing = shared.missing_sections(report, agent)
    if missing:
        lines += [
            f"{agent.path} has no section for {', '.join(missing)}: those findings"
            " cite the pattern by its standard heading.",
            "",
        ]
    if report.added_suppressions:
        count = len(report.added_suppressions)
        noun = "finding" if count == 1 else "findings"
        lines.append(f"{count} {noun} suppressed by comments this PR adds:")
        lines += [
            f"  {item.path}:{item.line}  {item.rule}  {_one_line(item.message)}"
            f"  (reason: {_one_line(item.reason) or 'none given'})"
            for item in report.added_suppressions
        ]
        lines.append("")
    named, not_python = shared.notable_skips(report)
    if named:
        lines.append(f"Not reviewed ({len(named)} file(s)):")
        lines += [f"  {path}: {reason}" for path, reason in named]
    if not_python:
        lines.append(shared.not_python_line(not_python))
    if named or not_python:
        lines.append("")

    ai = report.ai
    ai_line = f"AI review: {ai.status}"
    if ai.model:
        ai_line += (
            f" ({ai.model}, {ai.input_tokens} in / {ai.output_tokens} out tokens)"
        )
    lines.append(ai_line)
    if ai.notice:
        lines.append(f"  {_one_line(ai.notice)}")
    if ai.summary:
        lines.append(f"  {_one_line(ai.summary)}")
    lines.append("")

    lines.append(
        f"Conclusion: {report.conclusion} ({shared.counts_line(report.findings)}; "
        f"agent file {report.agent_file or agent.path})"
    )
    return "\n".join(lines) + "\n"
