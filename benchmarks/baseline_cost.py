"""The cost of checking the base version too: ``python -m benchmarks.baseline_cost``.

For each PR size: generate the app and its PR, then time, in one process,

1. the review with the checks that need no environment (ruff-format, ruff,
   conventions), which includes the base-version run;
2. the comparison alone (``baseline.mark_introduced``: reading the base
   files, choosing those worth checking, ruff, the formatter and the
   convention engine on them, matching);

and count the findings the comparison hides. Prints one markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from importlib import import_module
from pathlib import Path

from benchmarks.generate import generate
from pattern_review.agent_file import builtin_agent_file
from pattern_review.baseline import COMPARED_CHECKS, base_paths, mark_introduced
from pattern_review.checks.base import CheckContext
from pattern_review.config import Config
from pattern_review.review import run_review
from pattern_review.target import build_target


def measure(size: int, workdir: Path, repeat: int) -> list[str]:
    """Time one PR size and return its table row.

    Args:
        size: Python files the PR touches.
        workdir: Where the app is generated.
        repeat: Runs of each measurement (the median is kept).

    Returns:
        The row's cells.
    """
    repo = generate(workdir / f"app-{size}", size)
    target = build_target(repo.path, repo.base, repo.head)
    checks = list(COMPARED_CHECKS)
    config = Config(checks=checks, runner="direct", result_cache=False)
    context = CheckContext(target, config, workdir / "cache")
    sources = {
        f.path: (target.repo / f.path).read_text("utf-8") for f in target.reviewed_files
    }
    agent = builtin_agent_file()
    reviews: list[float] = []
    bases: list[float] = []
    report = None
    for _ in range(repeat):
        started = time.perf_counter()
        report = run_review(target, config, agent)
        reviews.append(time.perf_counter() - started)
        head = [
            f
            for name in checks
            for f in import_module(COMPARED_CHECKS[name]).run(context).findings
        ]
        started = time.perf_counter()
        mark_introduced(head, target, context, sources, checks)
        bases.append(time.perf_counter() - started)
    assert report is not None
    review_s, base_s = statistics.median(reviews), statistics.median(bases)
    return [
        str(size),
        str(len(base_paths(target))),
        f"{review_s:.2f} s",
        f"{base_s:.2f} s",
        f"{base_s / review_s:.0%}",
        str(len(report.findings)),
        str(report.pre_existing),
    ]


def main() -> None:
    """Measure the sizes asked for and print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.baseline_cost")
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    header = [
        "PR files",
        "modified files",
        "review (ruff-format, ruff, conventions)",
        "base-version run",
        "share",
        "findings",
        "pre-existing",
    ]
    rows = [header, ["---"] * len(header)]
    with tempfile.TemporaryDirectory(prefix="pattern-review-bench-") as folder:
        for size in (int(part) for part in args.sizes.split(",")):
            rows.append(measure(size, Path(folder), args.repeat))
    print("\n".join("| " + " | ".join(row) + " |" for row in rows))


if __name__ == "__main__":
    main()
