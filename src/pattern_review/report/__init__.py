"""Report formats: one renderer per format, all fed the same ``Report``.

The renderers are pure functions (report in, text out); publishers decide
where the text goes. What several formats share is in ``report.shared``.
"""

from __future__ import annotations

from pattern_review.models import Report
from pattern_review.rulebook.agent_file import AgentFile

FORMATS: tuple[str, ...] = ("text", "json", "markdown", "sarif", "github")


def render(
    report: Report, fmt: str, agent: AgentFile, *, blob_base: str | None = None
) -> str:
    """Render a report in one of FORMATS.

    Args:
        report: The review.
        fmt: One of FORMATS (``github`` means workflow-command annotations).
        agent: The agent file the citations point to.
        blob_base: ``https://host/owner/repo/blob/<sha>`` for links, or None.

    Returns:
        The rendered text.

    Raises:
        ValueError: ``fmt`` is not one of FORMATS.
    """
    # Imported here so that loading one format does not load them all.
    if fmt == "text":
        from pattern_review.report.text import render_text

        return render_text(report, agent)
    if fmt == "json":
        from pattern_review.report.json_report import render_json

        return render_json(report)
    if fmt == "markdown":
        from pattern_review.report.markdown import render_markdown

        return render_markdown(report, agent, blob_base=blob_base)
    if fmt == "sarif":
        from pattern_review.report.sarif import render_sarif

        return render_sarif(report, agent, blob_base=blob_base)
    if fmt == "github":
        from pattern_review.report.workflow_commands import render_workflow_commands

        return render_workflow_commands(report)
    raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
