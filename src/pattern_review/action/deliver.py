"""Delivering a finished review: GitHub, job summary, outputs, files.

Publishing never raises for API faults: what went wrong becomes a note in
the log and the job summary, and workflow annotations stand in when the
check run could not be posted. The exit status follows the conclusion.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pattern_review.action.errors import ActionError

if TYPE_CHECKING:
    from github import Github

    from pattern_review.action.env import ActionRun
    from pattern_review.models import FindingDelta, Report
    from pattern_review.rulebook.agent_file import AgentFile

# Every output of action.yml for a run that needed no review.
SKIPPED_OUTPUTS: dict[str, str] = {
    "conclusion": "neutral",
    "findings-count": "0",
    "errors-count": "0",
    "comment-url": "",
    "sarif-file": "",
    "report-json": "",
}


def client_for(run: ActionRun) -> Github | None:
    """Return a PyGithub client for the run's API URL, or None without a token.

    Args:
        run: The run.

    Returns:
        The client, or None.
    """
    if not run.token:
        return None
    from pattern_review.github.client import make_client

    return make_client(run.token, run.api_url)


def exit_status(conclusion: str) -> int:
    """Map a conclusion to the step's exit status.

    Args:
        conclusion: ``success``, ``neutral`` or ``failure``.

    Returns:
        1 for failure, else 0.
    """
    return 1 if conclusion == "failure" else 0


@dataclass(frozen=True)
class DeliverOptions:
    """What to publish, from the action's inputs.

    Attributes:
        comment: Post or update the sticky comment.
        inline: Post inline review comments.
        check_run: Create the check run.
        max_inline: Most inline comments.
        sarif_file: Where to write SARIF, relative to the workspace.
        json_file: Where to write the JSON report, relative to the workspace.
        notes: Lines for the job summary about how the run went.
    """

    comment: bool = True
    inline: bool = True
    check_run: bool = True
    max_inline: int = 30
    sarif_file: str = ""
    json_file: str = ""
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_run(
        cls, run: ActionRun, max_inline: int, notes: list[str] | None = None
    ) -> DeliverOptions:
        """Read the options from the run's inputs.

        Args:
            run: The run.
            max_inline: The configured cap on inline comments.
            notes: Notes gathered so far.

        Returns:
            The options.

        Raises:
            ActionEnvError: A boolean input is neither true nor false.
        """
        return cls(
            comment=run.flag("comment", True),
            inline=run.flag("inline-comments", True),
            check_run=run.flag("check-run", True),
            max_inline=max_inline,
            sarif_file=run.input("sarif-file"),
            json_file=run.input("json-file"),
            notes=list(notes or []),
        )


@dataclass
class Delivery:
    """What publishing achieved, for the summary, the log and the outputs.

    Attributes:
        comment_url: The sticky comment's URL, when posted.
        check_run_posted: Whether the check run (with annotations) was posted.
        complete: Whether every requested part went out.
        notes: One line per thing that went wrong or was left out.
        stale: The PR head moved on: nothing was posted.
        delta: New / fixed findings compared with the previous run, when known.
    """

    comment_url: str = ""
    check_run_posted: bool = False
    complete: bool = False
    notes: list[str] = field(default_factory=list)
    stale: bool = False
    delta: FindingDelta | None = None


def publish_to_github(
    client: Github | None,
    run: ActionRun,
    report: Report,
    agent: AgentFile,
    options: DeliverOptions,
) -> Delivery:
    """Post the review to GitHub: sticky comment, inline review, check run.

    Args:
        client: The client, or None without a token.
        run: The run.
        report: The review.
        agent: The agent file the citations point to.
        options: What to post.

    Returns:
        What was posted and what went wrong; never raises for API faults.
    """
    if client is None:
        return Delivery(notes=["no GitHub token: results are in this summary only"])
    from pattern_review.github.publish import PublishRequest, publish

    request = PublishRequest(
        report=report,
        agent=agent,
        blob_base=run.blob_base(report.head),
        comment=options.comment,
        inline_comments=options.inline,
        check_run=options.check_run,
        max_inline_comments=options.max_inline,
    )
    result = publish(client, request)
    delivery = Delivery(
        comment_url=result.comment_url or "",
        check_run_posted=result.check_run_url is not None,
        complete=result.ok,
        notes=[*result.fallbacks, *result.errors],
        stale=result.stale,
        delta=result.delta,
    )
    if result.read_only:
        delivery.notes.append(
            "the token cannot write here (a fork's or Dependabot's PR): the "
            "results are in this summary and the workflow annotations"
        )
    return delivery


def write_report_files(
    run: ActionRun, report: Report, agent: AgentFile, options: DeliverOptions
) -> dict[str, str]:
    """Write the SARIF and JSON files the inputs ask for.

    Args:
        run: The run (relative paths are under the workspace).
        report: The review.
        agent: The agent file, for SARIF rule help.
        options: The file paths.

    Returns:
        Output name -> written path.

    Raises:
        ActionError: A file cannot be written.
    """
    from pattern_review.report.json_report import render_json
    from pattern_review.report.sarif import render_sarif

    def sarif() -> str:
        return render_sarif(report, agent, blob_base=run.blob_base(report.head))

    def json_text() -> str:
        return render_json(report)

    written: dict[str, str] = {}
    wanted: tuple[tuple[str, str, Callable[[], str]], ...] = (
        ("sarif-file", options.sarif_file, sarif),
        ("report-json", options.json_file, json_text),
    )
    for output, name, render in wanted:
        if name:
            written[output] = _write_file(run, output, name, render())
    return written


def _write_file(run: ActionRun, output: str, name: str, text: str) -> str:
    path = Path(name) if Path(name).is_absolute() else run.workspace / name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ActionError(f"cannot write {output} {path}: {exc.strerror}") from exc
    return str(path)


def skipped_report(run: ActionRun, reason: str) -> Report:
    """Return the report of a run that needed no review.

    The fork-safe and sharded workflows upload and publish the JSON report,
    so a skipped run still leaves one: neutral, no findings, every check
    skipped with the reason.

    Args:
        run: The run.
        reason: Why it was skipped.

    Returns:
        The report.
    """
    from pattern_review.checks.registry import CHECK_NAMES
    from pattern_review.models import CheckResult, Report, TargetInfo

    return Report(
        conclusion="neutral",
        base=run.base_sha or "",
        head=run.head_sha,
        target=TargetInfo(repository=run.repository, pr=run.pr, event=run.event_name),
        checks=[
            CheckResult(name=name, status="skipped", detail=reason)
            for name in CHECK_NAMES
        ],
        safe_mode=run.safe_mode,
    )


def is_skipped_report(report: Report) -> bool:
    """Tell a report of a skipped run (nothing ran, nothing found).

    Args:
        report: A report, typically loaded from a file.

    Returns:
        True when every check was skipped and there is nothing to show.
    """
    return (
        report.conclusion == "neutral"
        and not report.findings
        and report.ai.status == "skipped"
        and bool(report.checks)
        and all(check.status == "skipped" for check in report.checks)
    )


def deliver_skipped(
    run: ActionRun,
    reason: str,
    *,
    client: Github | None = None,
    draft_head: str | None = None,
) -> int:
    """Report a run that needed no review: log, summary, outputs, JSON file.

    A skipped draft also gets a neutral check run saying so (when a client
    is given), and fails the job: a green job would pass for a review where
    the job is the required check, and it stays green when the PR is marked
    ready under a workflow without ``ready_for_review``.

    Args:
        run: The run.
        reason: Why it was skipped.
        client: The GitHub client for the draft's check run, or None.
        draft_head: The head commit of a draft PR that the ``review-drafts``
            setting skipped; None for any other skip.

    Returns:
        1 for a skipped draft, else 0 (the conclusion is neutral).

    Raises:
        ActionError: The ``json-file`` cannot be written.
    """
    from pattern_review.report.json_report import render_json

    print(f"pattern-review: skipped: {reason}")
    write_summary_quietly(run, f"### pattern-review\n\nSkipped: {reason}.\n")
    outputs = dict(SKIPPED_OUTPUTS)
    json_file = run.input("json-file")
    if json_file:
        text = render_json(skipped_report(run, reason))
        outputs["report-json"] = _write_file(run, "report-json", json_file, text)
    write_outputs_quietly(run, outputs)
    if draft_head is None:
        return 0
    if client is not None:
        note = _post_skipped_check_run(client, run.repository, draft_head, reason)
        print(f"pattern-review: {note}")
    print(
        "pattern-review: the job fails so that it never stands for a review: "
        "mark the PR ready for review (workflow types include ready_for_review) "
        "or set review-drafts: true",
        file=sys.stderr,
    )
    return 1


def _post_skipped_check_run(
    client: Github, repository: str, head: str, reason: str
) -> str:
    """Post the neutral "skipped: draft" check run; return a line for the log."""
    from pattern_review.github.check_run import CHECK_NAME
    from pattern_review.github.client import classify

    try:
        client.get_repo(repository).create_check_run(
            name=CHECK_NAME,
            head_sha=head,
            status="completed",
            conclusion="neutral",
            output={"title": "pattern-review: skipped: draft", "summary": reason},
        )
    # pattern-review: ignore[ERR002] fault boundary: the job still says why
    except Exception as exc:  # noqa: BLE001 - any API failure is reported below
        reason = classify(exc, writing=True).reason
        return f"the skipped check run was not posted: {reason}"
    return "posted a neutral check run: skipped: draft"


def outputs_for(
    report: Report, comment_url: str, files: dict[str, str]
) -> dict[str, str]:
    """Return the step outputs of a review.

    Args:
        report: The review.
        comment_url: The sticky comment's URL, or empty.
        files: Output name -> path of the files written.

    Returns:
        Every output of action.yml (empty strings where nothing applies).
    """
    return {
        "conclusion": report.conclusion,
        "findings-count": str(len(report.findings)),
        "errors-count": str(sum(1 for f in report.findings if f.severity == "error")),
        "comment-url": comment_url,
        "sarif-file": files.get("sarif-file", ""),
        "report-json": files.get("report-json", ""),
    }


def summary_notes(notes: list[str]) -> str:
    """Render how publishing went as a callout above the job summary.

    Args:
        notes: One line each (GitHub's answers, branch names: escaped).

    Returns:
        A markdown ``[!NOTE]`` block, or empty when there is nothing to say.
    """
    from pattern_review.report.markdown import escape_md

    if not notes:
        return ""
    lines = "".join(f"> - {escape_md(note)}\n" for note in notes)
    return f"> [!NOTE]\n> **Publishing to GitHub**\n>\n{lines}\n"


def deliver(
    run: ActionRun,
    report: Report,
    agent: AgentFile,
    options: DeliverOptions,
    *,
    client: Github | None = None,
) -> int:
    """Publish a finished review and report it in the job.

    Args:
        run: The run.
        report: The review.
        agent: The agent file the citations point to.
        options: What to publish.
        client: The GitHub client, or None without a token.

    Returns:
        The exit status: by the conclusion.

    Raises:
        ActionError: A requested SARIF or JSON file cannot be written.
    """
    from pattern_review.report.markdown import render_markdown
    from pattern_review.report.workflow_commands import render_workflow_commands
    from pattern_review.workflow_log import write_commands

    delivery = publish_to_github(client, run, report, agent, options)
    if delivery.stale:
        print(
            f"pattern-review: the PR head moved on from {report.head[:12]}: nothing "
            "was posted on the PR; the run for the newer commit posts its own review"
        )
    for note in [*options.notes, *delivery.notes]:
        print(f"pattern-review: {note}")
    if not delivery.check_run_posted or not delivery.complete:
        # Without a check run, or when publishing failed, annotations in the
        # log are the surest inline view left.
        write_commands(render_workflow_commands(report))
    files = write_report_files(run, report, agent, options)
    header = summary_notes([*options.notes, *delivery.notes])
    summary = render_markdown(
        report,
        agent,
        blob_base=run.blob_base(report.head),
        delta=delivery.delta,
        max_chars=900_000,
        header=header,
    )
    write_summary_quietly(run, summary)
    write_outputs_quietly(run, outputs_for(report, delivery.comment_url, files))
    print(
        f"pattern-review: {report.conclusion}: {len(report.findings)} finding(s) "
        f"on {report.head[:12]}"
    )
    return exit_status(report.conclusion)


def write_summary_quietly(run: ActionRun, markdown: str) -> None:
    """Append to the job summary; a write failure is logged, not raised.

    Args:
        run: The run (no summary file: nothing to do).
        markdown: The summary text.
    """
    from pattern_review.action.outputs import write_summary

    _write_quietly(run.step_summary, lambda path: write_summary(path, markdown))


def write_outputs_quietly(run: ActionRun, values: dict[str, str]) -> None:
    """Write step outputs; a write failure is logged, not raised.

    Args:
        run: The run (no output file: nothing to do).
        values: Output name -> value.
    """
    from pattern_review.action.outputs import write_outputs

    _write_quietly(run.output_file, lambda path: write_outputs(path, values))


def _write_quietly(path: Path | None, write: Callable[[Path], None]) -> None:
    # A file the runner named that cannot be written costs a line in the log,
    # not the run: the exit status still follows the conclusion.
    from pattern_review.action.outputs import OutputError

    if path is None:
        return
    try:
        write(path)
    except OutputError as exc:
        print(f"pattern-review: {exc}", file=sys.stderr)
