"""CLI verbs: one module each, one entry function each.

A verb module declares ``HELP`` (its line in ``pattern-review --help``), and
``DESCRIPTION`` (the top of its own ``--help``) and ``add_arguments(parser)``
(its options) when it has them; ``main(args)`` runs it and returns the exit
status. ``add_verb`` turns such a module into a subcommand.

``monorepo`` holds what the review and action verbs share: narrowing a change
to a folder, and the agent file of the one project a change lies in.
"""

from __future__ import annotations

import argparse
from types import ModuleType


def add_verb(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    module: ModuleType,
) -> None:
    """Register a verb module as the subcommand of its name.

    Args:
        subparsers: The CLI's subparsers.
        module: The verb's module, ``pattern_review.commands.<verb>``.
    """
    parser = subparsers.add_parser(
        module.__name__.rpartition(".")[2],
        help=module.HELP,
        description=getattr(module, "DESCRIPTION", None),
    )
    add_arguments = getattr(module, "add_arguments", None)
    if add_arguments is not None:
        add_arguments(parser)
    parser.set_defaults(handler=module.main)
