"""``pattern-review action``: the GitHub Action entrypoint.

Reads the Actions environment (action/env.py), picks base and head for the
event, reviews the PR head (never the merge commit), then delivers: publish
to the PR, job summary, step outputs, annotations, files. The exit status
follows the conclusion so the job can be a required status check.

On every event the review's own standard (config, agent file, rule modules,
generated marks) is read from the base commit (rulebook/standard.py). Under
``pull_request_target`` no PR code runs either: checklist tools run directly,
not through the PR's own ``uv run``.

The stages live in the action package: ``workspace`` (commits and the head
work tree), ``settings`` (inputs, config, agent file) and ``deliver``
(GitHub, summary, outputs, files); this module only puts them in order.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from typing import TYPE_CHECKING

from pattern_review.action.deliver import (
    DeliverOptions,
    client_for,
    deliver,
    deliver_skipped,
    write_outputs_quietly,
)
from pattern_review.action.errors import ActionError
from pattern_review.action.settings import load_settings, split_paths
from pattern_review.action.workspace import (
    ensure_commit,
    head_tree,
    pr_of_dispatch,
    resolve_base,
    trust_all_directories,
)

if TYPE_CHECKING:
    from pattern_review.action.env import ActionRun

HELP = "the GitHub Action entrypoint (reads the Actions environment)"
DESCRIPTION = (
    "Review the pull request, branch or push the Actions environment"
    " describes and publish the result; inputs come from INPUT_* variables."
)

EXIT_USAGE = 2
BOOLEAN_INPUTS = (
    "comment",
    "inline-comments",
    "check-run",
    "run-tests",
    "review-drafts",
)


def main(args: argparse.Namespace) -> int:
    """Run the action.

    Args:
        args: Parsed arguments (the verb takes none).

    Returns:
        0 success or neutral, 1 failure, 2 bad usage, bad config or an
        environment the action cannot work in.
    """
    from pattern_review.action.env import ActionEnvError, read_action_run
    from pattern_review.git import GitError

    trust_all_directories(os.environ)
    try:
        run = read_action_run()
    except ActionEnvError as exc:
        print(f"pattern-review: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if run.input("report"):
        from pattern_review.commands.publish import publish_saved_reports

        return publish_saved_reports(split_paths(run.input("report")), run)
    try:
        return review_run(run)
    except (ActionError, ActionEnvError, GitError) as exc:
        print(f"pattern-review: {exc}", file=sys.stderr)
        write_outputs_quietly(run, {"conclusion": "failure"})
        return EXIT_USAGE


def skip_reason(run: ActionRun) -> str | None:
    """Return why this event needs no review, or None to review it.

    Args:
        run: The run.

    Returns:
        A sentence for the log and summary, or None.
    """
    from pattern_review.action.env import PR_ACTIONS

    if run.is_pull_request and run.event_action not in PR_ACTIONS:
        return (
            f"{run.event_name} '{run.event_action}' needs no review "
            f"(reviews run on {', '.join(PR_ACTIONS)})"
        )
    if is_skipped_draft(run):
        return f"PR #{run.pr} is a draft and review-drafts is false"
    return None


def is_skipped_draft(run: ActionRun) -> bool:
    """Return whether the run is a draft PR that the workflow asks not to review.

    Args:
        run: The run.

    Returns:
        True for a draft PR with ``review-drafts: false``.
    """
    return run.is_pull_request and run.draft and not run.flag("review-drafts", True)


def review_run(run: ActionRun) -> int:
    """Review the run's change and deliver the result.

    Args:
        run: The run.

    Returns:
        The exit status.

    Raises:
        ActionError: The run cannot be reviewed (no checkout, missing
            commits, bad inputs or config).
    """
    from pattern_review import git
    from pattern_review.config import ConfigError
    from pattern_review.review import AiOptions, run_review
    from pattern_review.rulebook.standard import standard_from_base
    from pattern_review.target import TargetError, build_target

    for name in BOOLEAN_INPUTS:  # bad values fail now, not after the review
        run.flag(name, False)
    reason = skip_reason(run)
    if reason is not None:
        if not is_skipped_draft(run):
            return deliver_skipped(run, reason)
        client = client_for(run)
        return deliver_skipped(run, reason, client=client, draft_head=run.head_sha)
    try:
        root = git.toplevel(run.workspace)
    except git.GitError as exc:
        raise ActionError(
            f"GITHUB_WORKSPACE {run.workspace} is not a git checkout ({exc}); "
            "add actions/checkout before this step"
        ) from exc
    pr_refs = (f"refs/pull/{run.pr}/head",) if run.is_pull_request else ()
    head = ensure_commit(root, run.head_sha, "head commit", *pr_refs)
    notes: list[str] = []
    pr = run.pr
    client = client_for(run)
    dispatched = run.event_name == "workflow_dispatch"
    if dispatched and client is not None and (pr is None or run.base_is_default):
        found = pr_of_dispatch(client, run)
        pr = found.number
        notes.append(found.note)
        if run.base_is_default and found.number is not None and found.base_ref:
            # A PR's review compares with its base branch, as its own runs do.
            run = replace(run, base_ref=found.base_ref, base_is_default=False)
            notes.append(f"base: {found.base_ref}, the base branch of PR #{pr}")
    base = resolve_base(root, run)
    if run.event_name == "push":
        pr = None  # a push gets a check run only
    with head_tree(root, head) as tree:
        try:
            target = build_target(
                tree,
                base,
                head,
                repository=run.repository,
                pr=pr,
                event=run.event_name,
                safe_mode=run.safe_mode,
                standard_from_base=standard_from_base(
                    run.event_name, work_tree=False, environ=os.environ
                ),
            )
        except TargetError as exc:
            raise ActionError(str(exc)) from exc
        standard = load_settings(run, target)
        config, agent = standard.config, standard.agent
        api_key = (
            run.input("anthropic-api-key")
            or os.environ.get("ANTHROPIC_API_KEY", "").strip()
            or None
        )
        ai = AiOptions(
            api_key=api_key,
            pr_title=run.pr_title,
            pr_body=run.pr_body,
            secrets=tuple(s for s in (run.token, api_key) if s),
        )
        try:
            report = run_review(
                target, config, agent, ai=ai, standard_changes=standard.changes
            )
        except ConfigError as exc:  # a team rule module that does not load
            raise ActionError(str(exc)) from exc
    options = DeliverOptions.from_run(run, config.max_inline_comments, notes)
    return deliver(run, report, agent, options, client=client)
