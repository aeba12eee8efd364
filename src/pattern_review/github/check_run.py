"""The ``pattern-review`` check run on the head SHA, with every annotation.

GitHub takes at most 50 annotations per request and appends those of each
update, so the run is created with the first 50 and edited with the rest.
An update that fails with a 5xx may still have landed, so before sending it
again the run's annotation count says whether it did: a blind retry could
add the same 50 annotations twice.
Text fields are cut to GitHub's limits (summary/text 65,535 characters,
annotation title 255, message 64 KiB).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

import requests
from github import GithubException
from github.CheckRun import CheckRun
from github.Repository import Repository

from pattern_review.models import Finding, Report
from pattern_review.report.citations import bound_sentence
from pattern_review.report.markdown import message_md, render_fix_first
from pattern_review.report.shared import (
    check_state,
    counts_line,
    ordered,
    pattern_title,
)
from pattern_review.report.standard_changes import standard_changes_line
from pattern_review.rulebook.agent_file import AgentFile

CHECK_NAME = "pattern-review"
ANNOTATIONS_PER_REQUEST = 50
UPDATE_ATTEMPTS = 3
MAX_OUTPUT_CHARS = 65_535
MAX_TITLE_CHARS = 255
MAX_MESSAGE_CHARS = 4_000
LEVELS = {"error": "failure", "warning": "warning", "note": "notice"}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def annotation(finding: Finding, agent: AgentFile) -> dict[str, str | int]:
    """Return the check-run annotation of a finding.

    Args:
        finding: The finding.
        agent: The agent file the citation points to.

    Returns:
        GitHub's annotation object.
    """
    title = f"{finding.rule} · {pattern_title(agent, finding.pattern)}"
    note: dict[str, str | int] = {
        "path": finding.path,
        "start_line": finding.line,
        "end_line": finding.end_line,
        "annotation_level": LEVELS[finding.severity],
        "title": _cut(title, MAX_TITLE_CHARS),
        "message": _cut(finding.message, MAX_MESSAGE_CHARS),
    }
    cited = bound_sentence(agent, finding)
    if cited is not None:
        # Plain text: GitHub shows raw_details verbatim, never as markdown.
        where = f"{agent.path}, line {cited.line}"
        note["raw_details"] = _cut(f"{cited.text}\n({where})", MAX_MESSAGE_CHARS)
    return note


def check_output(
    report: Report,
    agent: AgentFile,
    blob_base: str | None,
    comment_url: str | None = None,
) -> dict[str, str]:
    """Return the check run's title, summary and text (without annotations).

    Args:
        report: The review.
        agent: The agent file the citations point to.
        blob_base: Base of links into the repo, or None.
        comment_url: The sticky comment's URL, for the text's link.

    Returns:
        ``title``: the counts; ``summary``: conclusion and each check's
        status, as the comment words them; ``text``: the "Fix first" list
        and a link to the full review (not the whole comment again).
    """
    lines = [f"**{report.conclusion}**: {counts_line(report.findings)}", ""]
    judged = standard_changes_line(report)
    if judged:
        lines += [judged, ""]
    for check in report.checks:
        icon, words = check_state(check, report)
        detail = f" ({message_md(check.detail)})" if check.detail else ""
        lines.append(f"- {message_md(check.name)}: {icon} {words}{detail}")
    return {
        "title": _cut(
            f"pattern-review: {counts_line(report.findings)}", MAX_TITLE_CHARS
        ),
        "summary": _cut("\n".join(lines), MAX_OUTPUT_CHARS),
        "text": render_fix_first(
            report,
            agent,
            blob_base=blob_base,
            comment_url=comment_url,
            max_chars=MAX_OUTPUT_CHARS,
        ),
    }


def _batches(items: list[dict[str, str | int]]) -> Iterator[list[dict[str, str | int]]]:
    for start in range(0, len(items), ANNOTATIONS_PER_REQUEST):
        yield items[start : start + ANNOTATIONS_PER_REQUEST]


def publish_check_run(
    repo: Repository,
    report: Report,
    agent: AgentFile,
    *,
    blob_base: str | None,
    comment_url: str | None = None,
    threaded_lines: Collection[tuple[str, int]] = frozenset(),
) -> CheckRun:
    """Create the completed check run on the reviewed head with all annotations.

    Args:
        repo: The repository.
        report: The review (its ``head`` is the SHA the run is attached to).
        agent: The agent file the citations point to.
        blob_base: Base of links into the repo, or None.
        comment_url: The sticky comment's URL, linked from the text.
        threaded_lines: (path, line) places an inline comment covers: a
            finding there gets no annotation (one home per line).

    Returns:
        The check run.
    """
    output = check_output(report, agent, blob_base, comment_url)
    notes = [
        annotation(f, agent)
        for f in ordered(report.findings)
        if (f.path, f.line) not in threaded_lines
    ]
    batches = list(_batches(notes)) or [[]]
    run = repo.create_check_run(
        name=CHECK_NAME,
        head_sha=report.head,
        status="completed",
        conclusion=report.conclusion,
        output={**output, "annotations": batches[0]},
    )
    sent = len(batches[0])
    for batch in batches[1:]:
        # An update needs title and summary again; its annotations are appended.
        update = {"title": output["title"], "summary": output["summary"]}
        _append(repo, run, {**update, "annotations": batch}, sent + len(batch))
        sent += len(batch)
    return run


def _append(
    repo: Repository, run: CheckRun, output: dict[str, Any], expected: int
) -> None:
    """Send one update, again while a 5xx left its annotations missing."""
    for attempt in range(1, UPDATE_ATTEMPTS + 1):
        try:
            run.edit(output=output)
            return
        except GithubException as exc:
            if exc.status < 500 or attempt == UPDATE_ATTEMPTS:
                raise
        except requests.RequestException:  # sent, but no answer came back
            if attempt == UPDATE_ATTEMPTS:
                raise
        landed = repo.get_check_run(run.id).output.annotations_count
        if landed is not None and landed >= expected:
            return  # GitHub did it; only the answer was lost
