"""``pattern-review action``: the GitHub Action entrypoint.

Reads the Actions environment (action/env.py), picks base and head for the
event, reviews the PR head (never the merge commit), then delivers: publish
to the PR, job summary, step outputs, annotations, files. The exit status
follows the conclusion so the job can be a required status check.

Under ``pull_request_target`` no PR code runs: the agent file and config are
read from the base commit and checklist tools run directly, not through the
PR's own ``uv run``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tomllib
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from github import Github

    from pattern_review.action.env import ActionRun
    from pattern_review.agent_file import AgentFile
    from pattern_review.config import Config
    from pattern_review.models import FindingDelta, Report

EXIT_USAGE = 2
# Every output of action.yml for a run that needed no review.
SKIPPED_OUTPUTS: dict[str, str] = {
    "conclusion": "neutral",
    "findings-count": "0",
    "errors-count": "0",
    "comment-url": "",
    "sarif-file": "",
    "report-json": "",
}
BOOLEAN_INPUTS = (
    "comment",
    "inline-comments",
    "check-run",
    "run-tests",
    "review-drafts",
)


class ActionError(Exception):
    """The action cannot review this run; the message says why in one line."""


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the verb.

    Args:
        subparsers: The CLI's subparsers.
    """
    parser = subparsers.add_parser(
        "action",
        help="the GitHub Action entrypoint (reads the Actions environment)",
        description=(
            "Review the pull request, branch or push the Actions environment"
            " describes and publish the result; inputs come from INPUT_* variables."
        ),
    )
    parser.set_defaults(handler=main)


def trust_all_directories(env: MutableMapping[str, str]) -> None:
    """Let git work in a checkout owned by another user, for this process only.

    The runner mounts the workspace owned by the runner's uid; git refuses
    such a repo ("dubious ownership"). Config given through the environment
    applies to this process and the git commands it starts, and leaves the
    repository's own config untouched.

    Args:
        env: The environment to extend (``os.environ`` in production).
    """
    try:
        count = int(env.get("GIT_CONFIG_COUNT", "0") or "0")
    except ValueError:
        count = 0
    env[f"GIT_CONFIG_KEY_{count}"] = "safe.directory"
    env[f"GIT_CONFIG_VALUE_{count}"] = "*"
    env["GIT_CONFIG_COUNT"] = str(count + 1)


def exit_status(conclusion: str) -> int:
    """Map a conclusion to the step's exit status.

    Args:
        conclusion: ``success``, ``neutral`` or ``failure``.

    Returns:
        1 for failure, else 0.
    """
    return 1 if conclusion == "failure" else 0


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
        _write_outputs_quietly(run, {"conclusion": "failure"})
        return EXIT_USAGE


def split_paths(text: str) -> list[str]:
    """Split the ``report`` input: paths separated by newlines or commas.

    Args:
        text: The input.

    Returns:
        The paths, stripped, empty ones dropped.
    """
    return [p.strip() for p in text.replace(",", "\n").splitlines() if p.strip()]


# -- choosing what to review ---------------------------------------------------


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
    if run.is_pull_request and run.draft and not run.flag("review-drafts", False):
        return f"PR #{run.pr} is a draft (set review-drafts: true to review drafts)"
    return None


def _fetch(root: Path, *refs: str) -> bool:
    from pattern_review import git

    for ref in refs:
        try:
            git.run_git(root, "fetch", "--no-tags", "--quiet", "origin", ref)
        except git.GitError:
            continue
        return True
    return False


def ensure_commit(root: Path, sha: str, what: str, *fallback_refs: str) -> str:
    """Make sure a commit is in the local history, fetching it when missing.

    Args:
        root: The work tree.
        sha: The commit wanted.
        what: What it is, for the error message (``PR head``).
        fallback_refs: Refs to fetch when fetching the SHA itself fails
            (``refs/pull/7/head``).

    Returns:
        The full SHA.

    Raises:
        ActionError: The commit cannot be had.
    """
    from pattern_review import git

    found = git.resolve_commit(root, sha)
    if found is None:
        _fetch(root, sha, *fallback_refs)
        found = git.resolve_commit(root, sha)
    if found is None:
        raise ActionError(
            f"{what} {sha[:12]} is not in the checkout and could not be fetched "
            "from origin; use actions/checkout with fetch-depth: 0"
        )
    return found


def resolve_base(root: Path, run: ActionRun) -> str:
    """Return the base commit of the review.

    Args:
        root: The work tree.
        run: The run: a base SHA from the payload, else a branch name.

    Returns:
        The base commit's full SHA.

    Raises:
        ActionError: The base cannot be found or fetched.
    """
    from pattern_review import git

    if run.base_sha:
        try:
            return ensure_commit(root, run.base_sha, "base commit")
        except ActionError:
            # A force push's "before" may be gone: compare with the default
            # branch instead. A PR's base has no such fallback.
            if run.event_name != "push" or not run.base_ref:
                raise
            print(f"pattern-review: {run.base_sha[:12]} is gone; base: {run.base_ref}")
    ref = run.base_ref
    if not ref:
        raise ActionError(
            "no base to compare with: set the `base` input (the payload names no "
            "default branch)"
        )
    for candidate in (f"origin/{ref}", ref):
        found = git.resolve_commit(root, candidate)
        if found:
            return found
    if _fetch(root, ref):
        found = git.resolve_commit(root, "FETCH_HEAD")
        if found:
            return found
    raise ActionError(
        f"base {ref!r} is neither a branch nor a commit of this checkout and could "
        "not be fetched; use actions/checkout with fetch-depth: 0"
    )


@contextlib.contextmanager
def head_tree(root: Path, head: str) -> Iterator[Path]:
    """Yield a work tree at the PR head, leaving the workspace as it is.

    On ``pull_request`` the workspace holds the merge commit; the review is
    of the head, so it gets its own temporary detached work tree.

    Args:
        root: The workspace's work tree.
        head: The head commit.

    Yields:
        ``root`` when it already is at ``head`` with nothing changed, else a
        temporary work tree outside the workspace.
    """
    from pattern_review import git

    at_head = git.resolve_commit(root, "HEAD") == head
    clean = not git.run_git(root, "status", "--porcelain", "--untracked-files=no")
    if at_head and clean:
        yield root
        return
    with git.detached_worktree(root, head) as tree:
        yield tree


# -- configuration -------------------------------------------------------------


def int_input(run: ActionRun, name: str) -> int | None:
    """Read a whole-number input.

    Args:
        run: The run.
        name: The input's name.

    Returns:
        The number, or None when the input is empty.

    Raises:
        ActionError: The value is not a whole number.
    """
    value = run.input(name)
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ActionError(
            f"input {name} must be a whole number, got {value!r}"
        ) from None


def config_overrides(run: ActionRun) -> dict[str, Any]:
    """Collect the config values the action's inputs set.

    Args:
        run: The run.

    Returns:
        Config field -> value (None for inputs left empty).

    Raises:
        ActionError: A numeric input is not a number.
    """
    from pattern_review.config import parse_checks

    checks = run.input("checks")
    overrides: dict[str, Any] = {
        "fail_on": run.input("fail-on") or None,
        "filter_mode": run.input("filter-mode") or None,
        "model": run.input("model") or None,
        "agent_file": run.input("agent-file") or None,
        "checks": parse_checks(checks) if checks else None,
        "max_inline_comments": int_input(run, "max-inline-comments"),
        "ai_budget_tokens": int_input(run, "ai-budget-tokens"),
    }
    if run.safe_mode:
        # `uv run` would build and run the PR's own project: never in safe mode.
        overrides["runner"] = "direct"
    return overrides


def base_commit_settings(root: Path, base: str, explicit: str | None) -> dict[str, Any]:
    """Read the pattern-review config as it is at the base commit.

    Under ``pull_request_target`` the PR's own config is untrusted: a PR
    must not be able to switch checks off for itself.

    Args:
        root: The work tree.
        base: The base commit.
        explicit: The ``config`` input, when given.

    Returns:
        The settings table (empty when the base has no config).

    Raises:
        ActionError: The file at base is not valid TOML.
    """
    from pattern_review import git
    from pattern_review.config import CONFIG_FILE_NAME

    candidates = [explicit] if explicit else [CONFIG_FILE_NAME, "pyproject.toml"]
    for path in candidates:
        data = git.show_file(root, base, path)
        if data is None:
            if explicit:
                raise ActionError(f"config {path} does not exist at base {base[:12]}")
            continue
        try:
            parsed = tomllib.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ActionError(
                f"config {path} at base is not valid TOML: {exc}"
            ) from exc
        table = parsed.get("tool", {}).get("pattern-review")
        if path == CONFIG_FILE_NAME or (explicit and table is None):
            return parsed
        if table:
            return dict(table)
    return {}


def base_commit_agent(root: Path, base: str, configured: str | None) -> AgentFile:
    """Read the agent file as it is at the base commit.

    Args:
        root: The work tree.
        base: The base commit.
        configured: The configured agent file path, when set.

    Returns:
        The base's agent file, or the built-in rulebook when it has none.

    Raises:
        ActionError: The configured file is missing at base or not UTF-8.
    """
    from pattern_review import git
    from pattern_review.agent_file import (
        AGENTS_DIR,
        builtin_agent_file,
        parse_agent_file,
    )

    if configured:
        data = git.show_file(root, base, configured)
        if data is None:
            raise ActionError(f"agent file {configured} does not exist at base")
        try:
            return parse_agent_file(data.decode("utf-8"), configured)
        except UnicodeDecodeError as exc:
            raise ActionError(f"agent file {configured} is not UTF-8") from exc
    listing = git.run_git(
        root, "ls-tree", "--name-only", f"{base}:{AGENTS_DIR.as_posix()}", check=False
    )
    for name in sorted(n for n in listing.splitlines() if n.endswith(".md")):
        path = f"{AGENTS_DIR.as_posix()}/{name}"
        data = git.show_file(root, base, path)
        if data is None:
            continue
        try:
            parsed = parse_agent_file(data.decode("utf-8"), path)
        except UnicodeDecodeError:
            continue
        if parsed.section("completion-checklist") is not None:
            return parsed
    return builtin_agent_file()


def load_settings(
    run: ActionRun, root: Path, tree: Path, base: str
) -> tuple[Config, AgentFile]:
    """Build the review's config and find its agent file.

    Args:
        run: The run.
        root: The workspace's work tree (where the base commit is).
        tree: The work tree at the head.
        base: The base commit.

    Returns:
        The config and the agent file: from the base commit in safe mode,
        else from the head.

    Raises:
        ActionError: Bad inputs, config or agent file.
    """
    from pattern_review.agent_file import AgentFileError, find_agent_file
    from pattern_review.config import ConfigError, load_config
    from pattern_review.review import requested_checks

    explicit = run.input("config") or None
    overrides = config_overrides(run)
    try:
        if run.safe_mode:
            settings = base_commit_settings(root, base, explicit)
            config = load_config(tree, None, overrides, file_settings=settings)
            agent = base_commit_agent(root, base, config.agent_file)
        else:
            config = load_config(tree, Path(explicit) if explicit else None, overrides)
            agent = find_agent_file(tree, config.agent_file)
        if not run.flag("run-tests", True):
            wanted = [c for c in requested_checks(config, agent) if c != "pytest"]
            config = config.model_copy(update={"checks": wanted})
    except (ConfigError, AgentFileError) as exc:
        raise ActionError(str(exc)) from exc
    return config, agent


# -- GitHub --------------------------------------------------------------------


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


def open_pr_of_branch(client: Github, run: ActionRun) -> tuple[int | None, str]:
    """Find the open PR whose head is the run's branch.

    Args:
        client: The GitHub client.
        run: The run (``workflow_dispatch`` on a branch).

    Returns:
        The PR number (None when there is none) and a note for the log.
    """
    from pattern_review.github.client import classify

    if not run.head_ref:
        return None, "the run is not on a branch, so no PR is looked up"
    try:
        repo = client.get_repo(run.repository)
        pulls = repo.get_pulls(state="open", head=f"{run.owner}:{run.head_ref}")
        first = next(iter(pulls), None)
    except Exception as exc:  # noqa: BLE001 - any API fault is reported, not raised
        return None, f"could not look up the PR of {run.head_ref}: {classify(exc)}"
    if first is None:
        return None, f"no open PR has head {run.head_ref}: job summary only"
    return first.number, f"branch {run.head_ref} is PR #{first.number}"


# -- review --------------------------------------------------------------------


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
    from pattern_review.review import AiOptions, run_review
    from pattern_review.target import TargetError, build_target

    for name in BOOLEAN_INPUTS:  # bad values fail now, not after the review
        run.flag(name, False)
    reason = skip_reason(run)
    if reason is not None:
        print(f"pattern-review: skipped: {reason}")
        _write_summary_quietly(run, f"### pattern-review\n\nSkipped: {reason}.\n")
        _write_outputs_quietly(run, dict(SKIPPED_OUTPUTS))
        return 0
    try:
        root = git.toplevel(run.workspace)
    except git.GitError as exc:
        raise ActionError(
            f"GITHUB_WORKSPACE {run.workspace} is not a git checkout ({exc}); "
            "add actions/checkout before this step"
        ) from exc
    pr_refs = (f"refs/pull/{run.pr}/head",) if run.is_pull_request else ()
    head = ensure_commit(root, run.head_sha, "head commit", *pr_refs)
    base = resolve_base(root, run)
    notes: list[str] = []
    pr = run.pr
    client = client_for(run)
    if run.event_name == "workflow_dispatch" and pr is None and client is not None:
        pr, note = open_pr_of_branch(client, run)
        notes.append(note)
    if run.event_name == "push":
        pr = None  # a push gets a check run only
    with head_tree(root, head) as tree:
        config, agent = load_settings(run, root, tree, base)
        try:
            target = build_target(
                tree,
                base,
                head,
                repository=run.repository,
                pr=pr,
                event=run.event_name,
                safe_mode=run.safe_mode,
            )
        except TargetError as exc:
            raise ActionError(str(exc)) from exc
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
        report = run_review(target, config, agent, ai=ai)
    options = DeliverOptions.from_run(run, config.max_inline_comments, notes)
    return deliver(run, report, agent, options, client=client)


# -- delivery ------------------------------------------------------------------


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
        if not name:
            continue
        path = Path(name) if Path(name).is_absolute() else run.workspace / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(), encoding="utf-8")
        except OSError as exc:
            raise ActionError(f"cannot write {output} {path}: {exc.strerror}") from exc
        written[output] = str(path)
    return written


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
        sys.stdout.write(render_workflow_commands(report))
        sys.stdout.flush()
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
    _write_summary_quietly(run, summary)
    _write_outputs_quietly(run, outputs_for(report, delivery.comment_url, files))
    print(
        f"pattern-review: {report.conclusion}: {len(report.findings)} finding(s) "
        f"on {report.head[:12]}"
    )
    return exit_status(report.conclusion)


def _write_summary_quietly(run: ActionRun, markdown: str) -> None:
    from pattern_review.action.outputs import OutputError, write_summary

    if run.step_summary is None:
        return
    try:
        write_summary(run.step_summary, markdown)
    except OutputError as exc:
        print(f"pattern-review: {exc}", file=sys.stderr)


def _write_outputs_quietly(run: ActionRun, values: dict[str, str]) -> None:
    from pattern_review.action.outputs import OutputError, write_outputs

    if run.output_file is None:
        return
    try:
        write_outputs(run.output_file, values)
    except OutputError as exc:
        print(f"pattern-review: {exc}", file=sys.stderr)
