"""What runs inside an engine worker process: lint each file it is sent.

Only the worker side imports the engine, and with it libcst and the rules;
the review's process drives workers through ``pool`` and never imports this
module.
"""

from __future__ import annotations

from multiprocessing.connection import Connection
from pathlib import Path

from pattern_review.config import Config
from pattern_review.conventions.engine import lint_file
from pattern_review.conventions.selection import RuleSelection


def serve(
    conn: Connection, repo: Path, config: Config, selection: RuleSelection | None
) -> None:
    """Lint each path received until told to stop (None), answering each.

    The pool has already been told the worker is up (after this module, and
    with it libcst, was imported).

    Args:
        conn: The worker's end of the pipe to the pool.
        repo: The work tree the paths are relative to.
        config: The review's configuration.
        selection: The rules the team's agent file turns on; None: all.
    """
    while True:
        path = conn.recv()
        if path is None:
            return
        conn.send(lint_file(repo, path, config, selection))
