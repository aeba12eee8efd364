"""ruff within a budget: the files that overrun it (or crash it) found one by one.

ruff is fast on real code, but some input is not: ``ruff format`` is
quadratic in comment lines (10,000 of them take seconds, a 5 MB file of them
never ends), and a hostile file can crash ruff. A batch of files runs with
``ruff-timeout-s`` plus a little per file. A batch that overruns or crashes
is split into parts that run side by side, and a part that fails again is
split again, until each file that alone overruns or crashes is found: that
file gets an error finding (``conventions.failures.could_not_analyse``), the
other files' results are kept. The review's own budget still ends it all
(``ReviewBudgetError`` is not an overrun: it propagates).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from pattern_review.context import CheckContext

# A batch's budget grows by this per file: ruff takes milliseconds per real file.
PER_FILE_S = 0.05
# A failed batch of at most this many files is split into single files at
# once (a ruff start costs milliseconds, a wasted level a whole budget);
# a larger one into this many parts.
SINGLES_UP_TO = 64
PARTS = 32
# Parts run side by side, each ruff being multi-threaded itself.
MAX_WORKERS = 4

Result = TypeVar("Result")


@dataclass(frozen=True)
class Overrun:
    """A part of the files on which ruff overran its budget, or crashed.

    Attributes:
        reason: What to say of the file, once it is the only one in its part.
    """

    reason: str


def batch_budget(ctx: CheckContext, files: int) -> float:
    """Return the budget of one ruff run on ``files`` files.

    Args:
        ctx: The check's context (``ruff-timeout-s``).
        files: How many files the run is given.

    Returns:
        Seconds: the per-file budget plus a little per file.
    """
    return ctx.config.ruff_timeout_s + PER_FILE_S * files


def overrun(tool: str, ctx: CheckContext) -> Overrun:
    """Return the overrun of a ruff command on the context's budget.

    Args:
        tool: The command, as the finding names it (``ruff format``).
        ctx: The check's context.

    Returns:
        The overrun, saying the budget.
    """
    budget = ctx.config.ruff_timeout_s
    return Overrun(f"{tool} took longer than its {budget:g} s budget on this file")


def split(paths: Sequence[str]) -> list[list[str]]:
    """Split a failed batch into the parts tried next.

    Args:
        paths: The batch.

    Returns:
        Single files for a small batch, else ``PARTS`` parts of equal size.
    """
    if len(paths) <= SINGLES_UP_TO:
        return [[path] for path in paths]
    size = -(-len(paths) // PARTS)
    return [list(paths[i : i + size]) for i in range(0, len(paths), size)]


def isolate(
    parts: list[list[str]], attempt: Callable[[list[str]], Result | Overrun]
) -> tuple[list[Result], dict[str, str]]:
    """Run ``attempt`` on each part, splitting the parts that fail until one file.

    Args:
        parts: The files, in parts (``[paths]`` to try the batch whole first).
        attempt: Runs ruff on some files: their result, or an ``Overrun``.
            What it raises (the review's budget, a bad command line) ends
            the search.

    Returns:
        The results of the parts that ran, and each file that alone
        overran or crashed, with the reason.
    """
    results: list[Result] = []
    failed: dict[str, str] = {}
    workers = max(1, min(MAX_WORKERS, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        todo = [part for part in parts if part]
        while todo:
            again: list[list[str]] = []
            for part, outcome in zip(todo, pool.map(attempt, todo), strict=True):
                if not isinstance(outcome, Overrun):
                    results.append(outcome)
                elif len(part) == 1:
                    failed[part[0]] = outcome.reason
                else:
                    again += split(part)
            todo = again
    return results, failed
