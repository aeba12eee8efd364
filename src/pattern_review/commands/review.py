"""``pattern-review review``: review a local change and print the report."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pattern_review.checks.registry import CHECK_NAMES
from pattern_review.report import FORMATS
from pattern_review.workflow_log import write_commands

HELP = "review a change (base...head) and print the report"
DESCRIPTION = (
    "Review the change from BASE to HEAD: the commits on HEAD since"
    " its merge base with BASE (uncommitted changes only with --work-tree)."
)


class UsageError(Exception):
    """Bad usage, bad config, or an unusable repo: exit status 2."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the verb's options.

    Args:
        parser: The verb's parser.
    """
    parser.add_argument(
        "--repo",
        default=".",
        help="the git work tree (default: .); a folder inside it reviews only"
        " the changes under that folder (its project or projects)",
    )
    parser.add_argument(
        "--base", help="base revision (default: merge base with the default branch)"
    )
    parser.add_argument("--head", default="HEAD", help="head revision (default: HEAD)")
    parser.add_argument(
        "--work-tree",
        action="store_true",
        help="review the work tree as it is: HEAD plus staged, unstaged and"
        " untracked changes (what a pre-commit hook sees); overrides --head",
    )
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--output", help="write the report here instead of stdout")
    parser.add_argument(
        "--filter-mode", choices=("added", "diff_context", "file", "nofilter")
    )
    parser.add_argument("--fail-on", choices=("error", "warning", "never"))
    parser.add_argument("--no-ai", action="store_true", help="skip the AI review")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="run every check even when an identical earlier run can be reused",
    )
    parser.add_argument("--config", help="config file (TOML)")
    parser.add_argument(
        "--cache-dir",
        help="folder for tool caches and check outcomes (default:"
        " ~/.cache/pattern-review); used only when nobody else can write it",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="print each tool's command, folder, config file and environment,"
        " and the whole output of a command that kept a check from running",
    )
    parser.add_argument(
        "--checks",
        help=f"comma-separated checks to run, from {','.join(CHECK_NAMES)}",
    )
    parser.add_argument(
        "--review-budget-s",
        type=float,
        metavar="SECONDS",
        help="wall budget of the whole review (default 900): checks still"
        " running when it runs out are reported as timed out",
    )


@contextlib.contextmanager
def _tree_at(repo: Path, head: str | None) -> Iterator[tuple[Path, str | None]]:
    """Yield a work tree whose files are those of ``head``, and head's SHA.

    The user's work tree serves when it is at ``head`` with no tracked file
    edited; otherwise the review would read uncommitted content. The SHA is
    resolved here, in the user's repo: ``HEAD~1`` means what the user meant,
    not what it would mean inside the temporary work tree.
    """
    from pattern_review import git

    if head is None:
        yield repo, None
        return
    wanted = git.resolve_commit(repo, head)
    if wanted is None:
        raise UsageError(f"head {head!r} is not a commit in {repo}")
    if wanted == git.resolve_commit(repo, "HEAD") and git.tracked_files_clean(repo):
        yield repo, wanted
        return
    with git.detached_worktree(repo, wanted) as tree:
        yield tree, wanted


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    """Collect the config values given on the command line.

    Args:
        args: Parsed arguments.

    Returns:
        Config field -> value, for the flags that were given.

    Raises:
        UsageError: ``--checks`` names no check.
    """
    from pattern_review.config import parse_checks

    checks = None if args.checks is None else parse_checks(args.checks)
    if checks == []:
        raise UsageError("--checks names no check; leave it out to run them all")
    return {
        "review_budget_s": getattr(args, "review_budget_s", None),
        "fail_on": args.fail_on,
        "filter_mode": args.filter_mode,
        "checks": checks,
        "result_cache": False if getattr(args, "no_cache", False) else None,
        "cache_dir": getattr(args, "cache_dir", None),
    }


def exit_status(report_checks: list[str], conclusion: str) -> int:
    """Map a review to the CLI's exit status.

    Args:
        report_checks: Names of requested checks that could not run.
        conclusion: The report's conclusion.

    Returns:
        2 when a requested check could not run, 1 on failure, else 0.
    """
    if report_checks:
        return 2
    return 1 if conclusion == "failure" else 0


_VERBOSE_HANDLER = "pattern-review-verbose"


def _show_tool_commands() -> None:
    """Print, on stderr, what each tool runs (``projects.tools.announce``)."""
    tools_log = logging.getLogger("pattern_review.projects.tools")
    tools_log.setLevel(logging.INFO)
    if any(getattr(h, "name", "") == _VERBOSE_HANDLER for h in tools_log.handlers):
        return  # a second review in one process prints each line once
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_VERBOSE_HANDLER)
    handler.setFormatter(logging.Formatter("pattern-review: %(message)s"))
    tools_log.addHandler(handler)


def main(args: argparse.Namespace) -> int:
    """Run a review and print or write the report.

    Args:
        args: Parsed arguments.

    Returns:
        The exit status.
    """
    from pattern_review import git
    from pattern_review.commands.monorepo import (
        agent_file_for_change,
        only_under,
        subfolder,
    )
    from pattern_review.config import ConfigError
    from pattern_review.report import render
    from pattern_review.review import AiOptions, run_review
    from pattern_review.rulebook.agent_file import AgentFileError, find_agent_file
    from pattern_review.rulebook.standard import load_standard, standard_from_base
    from pattern_review.target import TargetError, build_target

    if getattr(args, "verbose", False):
        _show_tool_commands()
    try:
        repo = git.toplevel(Path(args.repo).resolve())
        overrides = overrides_from(args)
        folder = subfolder(repo, Path(args.repo).resolve())
        start = repo / folder if folder else None
        # Like head, a relative base is the user's, resolved in their repo.
        base = args.base and (git.resolve_commit(repo, args.base) or args.base)
        work_tree = getattr(args, "work_tree", False)
        wanted_head = None if work_tree else args.head
        from_base = standard_from_base("local", work_tree=work_tree, environ=os.environ)
        with _tree_at(repo, wanted_head) as (tree, head):
            target = build_target(tree, base, head, standard_from_base=from_base)
            if folder is not None:
                target, left_out = only_under(target, folder)
                print(
                    f"pattern-review: reviewing {folder}/ of {repo}"
                    f" ({left_out} changed file(s) outside it left out)",
                    file=sys.stderr,
                )
            config_path = str(Path(args.config).resolve()) if args.config else None
            standard = load_standard(
                target, repo, explicit=config_path, overrides=overrides
            )
            config, agent = standard.config, standard.agent
            if not from_base:
                agent = find_agent_file(repo, config.agent_file, start)
                if start is None:
                    agent = agent_file_for_change(repo, target, config, agent)
            ai = None if args.no_ai else AiOptions(os.environ.get("ANTHROPIC_API_KEY"))
            report = run_review(
                target, config, agent, ai=ai, standard_changes=standard.changes
            )
    except (UsageError, ConfigError, AgentFileError, TargetError, git.GitError) as exc:
        print(f"pattern-review: {exc}", file=sys.stderr)
        return 2
    text = render(report, args.format, agent)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(
                f"pattern-review: cannot write {args.output}: {exc.strerror}",
                file=sys.stderr,
            )
            return 2
    elif args.format == "github":  # workflow commands by design, values escaped
        write_commands(text if text.endswith("\n") else text + "\n")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    broken = [c.name for c in report.checks if c.status == "error"]
    for check in report.checks:
        if check.status == "error":
            print(
                f"pattern-review: {check.name} could not run: {check.detail}",
                file=sys.stderr,
            )
            if getattr(args, "verbose", False) and check.output:
                print(check.output, file=sys.stderr)
    return exit_status(broken, report.conclusion)
