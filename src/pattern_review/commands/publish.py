"""``pattern-review publish REPORT.json...``: post saved JSON reports to their PR.

This is the trusted half of the fork-safe recipe (a ``workflow_run`` job
publishes what the ``pull_request`` job of a fork saved) and the last step of
a review sharded over a job matrix. Nothing of the PR is checked out or run:
the reports are data. Several reports (shards) are merged into one; they must
all have reviewed the same head. A report whose head is no longer the PR's
head is refused: posting it would show stale findings.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from github import Github

    from pattern_review.action.env import ActionRun
    from pattern_review.rulebook.agent_file import AgentFile
from pattern_review.models import CheckResult, Report
from pattern_review.redaction import redact_report

HELP = "post saved JSON reports (merged) to their pull request"
DESCRIPTION = (
    "Post JSON reports saved by `review --format json` (or the action's "
    "json-file) to the PR they name: one sticky comment, one review, one "
    "check run. The token is read from GITHUB_TOKEN."
)

EXIT_USAGE = 2
_CONCLUSION_RANK = {"failure": 2, "neutral": 1, "success": 0}


class PublishError(Exception):
    """The reports cannot be published; the message says why in one line."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the verb's options.

    Args:
        parser: The verb's parser.
    """
    parser.add_argument("reports", nargs="+", metavar="REPORT.json")
    parser.add_argument(
        "--repository", help="owner/name (default: the report's, or GITHUB_REPOSITORY)"
    )
    parser.add_argument("--pr", type=int, help="PR number (default: the report's)")
    parser.add_argument(
        "--api-url", help="REST API root (default: GITHUB_API_URL, else github.com's)"
    )
    parser.add_argument(
        "--repo",
        default=".",
        help="trusted checkout whose agent file the citations link (default: .)",
    )
    parser.add_argument("--no-comment", action="store_true", help="no sticky comment")
    parser.add_argument(
        "--no-inline-comments", action="store_true", help="no inline review"
    )
    parser.add_argument("--no-check-run", action="store_true", help="no check run")
    parser.add_argument("--max-inline-comments", type=int, default=None)


def main(args: argparse.Namespace) -> int:
    """Publish the reports named on the command line.

    Args:
        args: Parsed arguments.

    Returns:
        The exit status: by the merged conclusion, 2 for unusable reports, a
        stale head, or no token.
    """
    from pattern_review.action.env import ActionRun

    env = os.environ
    inputs = {
        "comment": "false" if args.no_comment else "",
        "inline-comments": "false" if args.no_inline_comments else "",
        "check-run": "false" if args.no_check_run else "",
        "max-inline-comments": (
            "" if args.max_inline_comments is None else str(args.max_inline_comments)
        ),
    }
    run = ActionRun(
        event_name=env.get("GITHUB_EVENT_NAME", "") or "local",
        event_action="",
        repository=args.repository or env.get("GITHUB_REPOSITORY", ""),
        workspace=Path(args.repo).resolve(),
        api_url=args.api_url
        or env.get("GITHUB_API_URL", "")
        or "https://api.github.com",
        server_url=env.get("GITHUB_SERVER_URL", "") or "https://github.com",
        token=env.get("GITHUB_TOKEN", "").strip(),
        inputs=inputs,
        sha="",
        ref="",
        pr=args.pr,
        step_summary=Path(env["GITHUB_STEP_SUMMARY"])
        if env.get("GITHUB_STEP_SUMMARY")
        else None,
        output_file=Path(env["GITHUB_OUTPUT"]) if env.get("GITHUB_OUTPUT") else None,
    )
    return publish_saved_reports(args.reports, run)


def load_reports(paths: Sequence[str]) -> list[Report]:
    """Read saved JSON reports.

    Args:
        paths: Report files.

    Returns:
        The reports, in the order given.

    Raises:
        PublishError: A file is missing or not a pattern-review JSON report.
    """
    from pydantic import ValidationError

    from pattern_review.models import Report

    reports: list[Report] = []
    for name in paths:
        try:
            text = Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
            raise PublishError(f"cannot read report {name}: {reason}") from exc
        try:
            # A saved report comes from another job: publish no secret of ours.
            reports.append(redact_report(Report.model_validate_json(text)))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "report"
            raise PublishError(
                f"{name} is not a pattern-review JSON report ({where}: {first['msg']})"
            ) from exc
    if not reports:
        raise PublishError("no report given")
    return reports


def _merge_check(results: list[CheckResult]) -> CheckResult:
    from pattern_review.findings.conclusion import worst_status
    from pattern_review.models import CheckResult

    details = list(dict.fromkeys(r.detail for r in results if r.detail))
    return CheckResult(
        name=results[0].name,
        status=worst_status(r.status for r in results),
        duration_s=round(sum(r.duration_s for r in results), 3),
        detail="; ".join(details),
    )


def _agreed(values: Sequence[object], what: str) -> object:
    known = list(dict.fromkeys(v for v in values if v is not None))
    if len(known) > 1:
        shown = ", ".join(str(v) for v in known)
        raise PublishError(f"the reports disagree on the {what} ({shown})")
    return known[0] if known else None


def merge_reports(reports: Sequence[Report]) -> Report:
    """Merge the shards of one review into one report.

    Args:
        reports: Reports of the same head, repository and PR.

    Returns:
        One report: findings and skipped files united (each finding once),
        each check at its worst status, the worst conclusion.

    Raises:
        PublishError: The reports are of different heads, bases, repositories
            or PRs.
    """
    from pattern_review.checks.registry import CHECK_NAMES
    from pattern_review.findings.conclusion import sort_findings
    from pattern_review.models import Finding, TargetInfo

    head = _agreed([r.head for r in reports], "head commit")
    base = _agreed([r.base for r in reports], "base commit")
    repository = _agreed([r.target.repository for r in reports], "repository")
    pr = _agreed([r.target.pr for r in reports], "pull request")
    first = reports[0]
    if len(reports) == 1:
        return first
    findings: dict[tuple[str, ...], Finding] = {}
    for report in reports:
        for finding in report.findings:
            key = (
                (finding.fingerprint,)
                if finding.fingerprint
                else (
                    finding.rule,
                    finding.path,
                    str(finding.line),
                    finding.message,
                )
            )
            findings.setdefault(key, finding)
    by_name: dict[str, list[CheckResult]] = {}
    for report in reports:
        for check in report.checks:
            by_name.setdefault(check.name, []).append(check)
    order = [n for n in CHECK_NAMES if n in by_name] + sorted(
        n for n in by_name if n not in CHECK_NAMES
    )
    hunks: dict[str, list[tuple[int, int]]] = {}
    skipped: dict[str, str] = {}
    for report in reports:
        hunks.update(report.diff_hunks)
        skipped.update(report.skipped_files)
    ai = next((r.ai for r in reports if r.ai.status == "ok"), first.ai)
    return first.model_copy(
        update={
            "conclusion": max(
                (r.conclusion for r in reports), key=lambda c: _CONCLUSION_RANK[c]
            ),
            "base": base,
            "head": head,
            "target": TargetInfo(
                repository=str(repository) if repository else None,
                pr=int(str(pr)) if pr is not None else None,
                event=first.target.event,
            ),
            "findings": sort_findings(findings.values()),
            "checks": [_merge_check(by_name[name]) for name in order],
            "ai": ai,
            "skipped_files": skipped,
            "diff_hunks": hunks,
            "safe_mode": any(r.safe_mode for r in reports),
            "pre_existing": sum(r.pre_existing for r in reports),
        }
    )


def _aim(report: Report, run: ActionRun) -> Report:
    """Point the report at the run's repository and PR, refusing mismatches."""
    target = report.target
    if run.repository and target.repository and target.repository != run.repository:
        raise PublishError(
            f"the report is of {target.repository}, not {run.repository}: "
            "refusing to publish it here"
        )
    if run.pr is not None and target.pr is not None and run.pr != target.pr:
        raise PublishError(
            f"the report is of PR #{target.pr}, not PR #{run.pr}: refusing to "
            "publish it"
        )
    if run.head_sha and run.head_sha != report.head:
        raise PublishError(
            f"the report reviewed {report.head[:12]} but this run is for "
            f"{run.head_sha[:12]}: refusing to publish it"
        )
    repository = target.repository or run.repository or None
    if not repository:
        raise PublishError("the report names no repository; pass --repository")
    return report.model_copy(
        update={
            "target": target.model_copy(
                update={"repository": repository, "pr": target.pr or run.pr}
            )
        }
    )


def check_head_current(client: Github, report: Report) -> str | None:
    """Refuse a report whose PR has moved on to a newer head.

    Args:
        client: The GitHub client.
        report: The report, aimed at its repository and PR.

    Returns:
        A note when the PR could not be read (publishing then tries anyway
        and reports its own faults), else None.

    Raises:
        PublishError: The PR's head is no longer the reviewed commit.
    """
    from pattern_review.github.client import classify

    if report.target.pr is None or report.target.repository is None:
        return None
    try:
        repo = client.get_repo(report.target.repository)
        head = repo.get_pull(report.target.pr).head.sha
    except Exception as exc:  # noqa: BLE001 - any API fault becomes a note
        return f"could not read PR #{report.target.pr}: {classify(exc)}"
    if head != report.head:
        raise PublishError(
            f"PR #{report.target.pr} head is now {head[:12]}, but the report "
            f"reviewed {report.head[:12]}: refusing to post a stale review"
        )
    return None


def _agent_for(report: Report, workspace: Path) -> AgentFile:
    """Find the agent file the report cites, in the trusted checkout.

    The report is untrusted data: a path that is missing or leads out of the
    checkout gets the built-in rulebook, as does a report made with it.
    """
    from pattern_review.rulebook.agent_file import (
        BUILTIN_NAME,
        AgentFileError,
        builtin_agent_file,
        find_agent_file,
    )

    if report.agent_file == BUILTIN_NAME:
        return builtin_agent_file()
    try:
        return find_agent_file(workspace, report.agent_file)
    except AgentFileError:
        return builtin_agent_file()


def publish_saved_reports(paths: Sequence[str], run: ActionRun) -> int:
    """Load, merge, check and publish saved reports, then report in the job.

    Args:
        paths: Report files.
        run: Where and how to publish (the Actions run or the CLI's flags).

    Returns:
        The exit status: by the merged conclusion; 2 when the reports are
        unusable, stale, or there is no token.
    """
    from pattern_review.action.deliver import (
        DeliverOptions,
        client_for,
        deliver,
        deliver_skipped,
        is_skipped_report,
    )
    from pattern_review.action.env import ActionEnvError
    from pattern_review.action.errors import ActionError
    from pattern_review.action.settings import int_input
    from pattern_review.github.publish import DEFAULT_MAX_INLINE

    try:
        report = _aim(merge_reports(load_reports(paths)), run)
        if is_skipped_report(report):
            # The analysing run skipped the PR (a draft, say): posting a
            # "neutral, nothing found" review would claim a review that never ran.
            reason = report.checks[0].detail or "nothing ran"
            if "is a draft" not in reason:
                return deliver_skipped(run, reason)
            client = client_for(run)
            return deliver_skipped(run, reason, client=client, draft_head=report.head)
        client = client_for(run)
        if client is None:
            raise PublishError("no GitHub token (set GITHUB_TOKEN): nothing to publish")
        notes = [n for n in [check_head_current(client, report)] if n]
        max_inline = int_input(run, "max-inline-comments")
        options = DeliverOptions.from_run(
            run,
            DEFAULT_MAX_INLINE if max_inline is None else max_inline,
            notes,
        )
        agent = _agent_for(report, run.workspace)
        return deliver(run, report, agent, options, client=client)
    except (PublishError, ActionError, ActionEnvError) as exc:
        print(f"pattern-review: {exc}", file=sys.stderr)
        return EXIT_USAGE
