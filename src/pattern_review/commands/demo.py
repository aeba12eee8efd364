"""``pattern-review demo``: a full review of a bundled example pull request.

The example is a small FastAPI shop. Its PR adds an orders feature that
breaks the router, schema, model, service and Celery patterns, a style rule
or two, formatting, a type and a test: the review shows each, cited to the
agent file. The files are stored as ``*.txt`` so that no linter of ours
mistakes their deliberate faults for our own.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from pattern_review import git
from pattern_review.projects.accounts import RUN_AS_VARIABLE
from pattern_review.report import FORMATS

HELP = "review a bundled example PR (the README quick start)"

# The example's commits have their own author, whoever runs the demo.
GIT_ENV = {
    **dict.fromkeys(("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"), "Demo"),
    **dict.fromkeys(("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"), "demo@example.com"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the verb's options.

    Args:
        parser: The verb's parser.
    """
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument(
        "--keep",
        metavar="DIR",
        help="build the example repo in DIR and keep it (default: a temp folder)",
    )
    parser.add_argument("--no-ai", action="store_true", help="skip the AI review")


def _copy_tree(source: Traversable, destination: Path) -> None:
    for entry in source.iterdir():
        if entry.is_dir():
            _copy_tree(entry, destination / entry.name)
        elif entry.name.endswith(".txt"):
            destination.mkdir(parents=True, exist_ok=True)
            target = destination / entry.name.removesuffix(".txt")
            target.write_text(entry.read_text(encoding="utf-8"), encoding="utf-8")


def _git(repo: Path, *args: str) -> None:
    git.run_git(repo, *args, env=GIT_ENV)


def build_example(repo: Path) -> None:
    """Create the example repo: ``main`` with the base app, ``feature/orders`` on it.

    Args:
        repo: An empty or missing folder.

    Raises:
        git.GitError: A git command failed.
    """
    example = resources.files("pattern_review.demo").joinpath("example")
    repo.mkdir(parents=True, exist_ok=True)
    _git(repo, "init", "-q", "-b", "main")
    _copy_tree(example.joinpath("base"), repo)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "--no-gpg-sign", "-m", "Shop backend with pricing")
    _git(repo, "checkout", "-q", "-b", "feature/orders")
    _copy_tree(example.joinpath("pr"), repo)
    _git(repo, "add", "-A")
    _git(
        repo,
        "commit",
        "-q",
        "--no-gpg-sign",
        "-m",
        "Add orders: router, schema, model, service, task",
    )


def main(args: argparse.Namespace) -> int:
    """Build the example PR and review it.

    Args:
        args: Parsed arguments.

    Returns:
        0 when the review ran (the example's findings are expected), 2 when
        git failed building the example or a check could not run.
    """
    from pattern_review.commands import review

    # The example PR is ours, bundled, not a pull request's code: its tests
    # run as you are, even as root (where a PR's would run as another user,
    # who may not reach this Python or a private temporary folder).
    os.environ.setdefault(RUN_AS_VARIABLE, "root")
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="prdemo-"))
    repo = folder / "demo-shop"
    if repo.exists():
        shutil.rmtree(repo)
    review_args = argparse.Namespace(
        repo=str(repo),
        base="main",
        head="HEAD",
        work_tree=False,
        format=args.format,
        output=None,
        filter_mode=None,
        fail_on=None,
        no_ai=args.no_ai,
        no_cache=True,
        config=None,
        checks=None,
    )
    built = False
    try:
        build_example(repo)
        built = True
        where = "kept" if args.keep else "temporary, removed after the review"
        print(
            f"Example PR: {repo} (branch feature/orders against main; {where})\n",
            file=sys.stderr,
        )
        status = review.main(review_args)
    except git.GitError as exc:
        print(f"pattern-review: {exc}", file=sys.stderr)
        status = 2
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    # After a git failure, git's one-line reason is all there is to say.
    if built and args.keep:
        print(f"\nThe example repository is kept in {repo}.", file=sys.stderr)
    elif built:
        print(
            f"\nRemoved the example repository ({repo}). To keep it and look"
            " around: pattern-review demo --keep DIR",
            file=sys.stderr,
        )
    return 2 if status == 2 else 0
