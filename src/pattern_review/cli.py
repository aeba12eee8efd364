"""Command-line entry point: parses arguments and hands off to one verb module.

Verb modules import their heavy dependencies (libcst, PyGithub, anthropic)
inside their ``main`` so that start-up stays quick, and a command line that
starts with its verb imports that verb's module alone.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from pattern_review import __version__
from pattern_review.commands import add_verb
from pattern_review.projects.accounts import hide_environment
from pattern_review.workflow_log import guard_streams

# Each is a module of pattern_review.commands (its contract: commands/__init__.py).
VERBS: tuple[str, ...] = ("review", "action", "publish", "rules", "explain", "demo")


def build_parser(verbs: Sequence[str] = VERBS) -> argparse.ArgumentParser:
    """Build the argument parser.

    Args:
        verbs: The verbs it knows (default: every verb, as ``--help`` lists).

    Returns:
        The parser.
    """
    parser = argparse.ArgumentParser(
        prog="pattern-review",
        description=(
            "Review a change against the agent file's Completion Checklist and"
            " conventions, citing the pattern each finding breaks."
        ),
    )
    parser.add_argument("--version", action="version", version=__version__)
    subparsers = parser.add_subparsers(dest="verb", metavar="VERB")
    subparsers.required = True
    for verb in verbs:
        add_verb(subparsers, importlib.import_module(f"pattern_review.commands.{verb}"))
    return parser


def _named_verbs(argv: Sequence[str] | None) -> Sequence[str]:
    """Return the verbs the parser needs for this command line.

    The one it starts with, when it starts with a verb: each verb module costs
    its imports, and a review pays for them before its first check starts.
    Anything else (``--help``, ``--version``, a typo) gets every verb.
    """
    words = sys.argv[1:] if argv is None else argv
    if words and words[0] in VERBS:
        return (words[0],)
    return VERBS


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI.

    Args:
        argv: Arguments without the program name; None reads ``sys.argv``.

    Returns:
        The exit status: 0 nothing at or above fail-on, 1 findings at or
        above it, 2 bad usage, bad config, or a check that could not run.
    """
    args = build_parser(_named_verbs(argv)).parse_args(argv)
    # Before any verb reads a token: PR code this review runs must not be
    # able to read them from this process (/proc/<pid>/environ).
    hide_environment()
    # In an Actions job a printed line can be a workflow command: no text the
    # PR controls may become one.
    guard_streams()
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("pattern-review: interrupted", file=sys.stderr)
        return 130


def console_script() -> NoReturn:
    """Run the ``pattern-review`` program: the CLI, then the process's end."""
    status = main()
    # The process's end frees everything at once; the collector's last walk
    # over every object a review made took 30-100 ms (100 files), after the
    # report was out. Exit handlers still run.
    gc.freeze()
    sys.exit(status)


if __name__ == "__main__":
    console_script()
