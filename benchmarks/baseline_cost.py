"""The cost of checking the base version too: ``python -m benchmarks.baseline_cost``.

A review compares ruff's, the formatter's and the convention engine's
findings with those of the base version of the changed files (issue #12,
``pattern_review.baseline.base_run``). Per PR size, in one process, this times

1. the review with the checks that need no environment (ruff-format, ruff,
   conventions), the comparison included;
2. the comparison alone (``baseline.mark_introduced``: reading the base
   files, choosing those worth checking, ruff, the formatter and the
   convention engine on them, matching), given the head's findings;

and counts what the comparison left out. ``python -m benchmarks`` adds the
same section to docs/benchmarks.md; run alone, ``--write`` replaces it there.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import import_module
from pathlib import Path

from benchmarks.generate import GeneratedRepo, generate
from pattern_review.baseline.base_run import base_paths, mark_introduced
from pattern_review.checks.registry import check_spec, compared_checks
from pattern_review.config import Config
from pattern_review.context import CheckContext
from pattern_review.findings.scope import in_scope
from pattern_review.models import Finding
from pattern_review.review import run_review
from pattern_review.rulebook.agent_file import builtin_agent_file
from pattern_review.target import build_target

HEADING = "### Base-version comparison"
DOCUMENT = Path("docs/benchmarks.md")


@dataclass(frozen=True)
class BaselineCost:
    """What the comparison cost on one PR.

    Attributes:
        size: Python files the PR touches.
        modified: Of those, files with a base version.
        review_s: The review (ruff-format, ruff, conventions), median.
        comparison_s: The comparison alone, median.
        findings: Findings the review reports.
        pre_existing: Findings it left out as pre-existing.
        planted: Seeded violations on added lines the review reports / all
            seeded violations the line filter alone reports.
    """

    size: int
    modified: int
    review_s: float
    comparison_s: float
    findings: int
    pre_existing: int
    planted: tuple[int, int]


def measure(repo: GeneratedRepo, size: int, cache: Path, repeat: int) -> BaselineCost:
    """Time the comparison on one generated PR.

    Args:
        repo: The generated app and its PR.
        size: Python files the PR touches.
        cache: A folder for tool caches.
        repeat: Runs of each measurement (the median is kept).

    Returns:
        The measurements.
    """
    target = build_target(repo.path, repo.base, repo.head)
    checks = [spec.name for spec in compared_checks()]
    config = Config(checks=checks, runner="direct", result_cache=False)
    context = CheckContext(target, config, cache)
    sources = {
        f.path: (target.repo / f.path).read_text("utf-8") for f in target.reviewed_files
    }
    agent = builtin_agent_file()
    reviews: list[float] = []
    comparisons: list[float] = []
    report = None
    for _ in range(repeat):
        started = time.perf_counter()
        report = run_review(target, config, agent)
        reviews.append(time.perf_counter() - started)
        head: list[Finding] = []
        for name in checks:
            head += import_module(check_spec(name).module).run(context).findings
        started = time.perf_counter()
        mark_introduced(head, target, context, sources, checks)
        comparisons.append(time.perf_counter() - started)
    assert report is not None
    # What the line filter alone keeps: every finding counted as introduced.
    marked = [f.model_copy(update={"introduced": True}) for f in head]
    added = {(f.path, f.pattern) for f in marked if in_scope(f, target, "added")}
    planted = {(v.path, v.pattern) for v in repo.violations} & added
    reported = {(f.path, f.pattern) for f in report.findings}
    return BaselineCost(
        size=size,
        modified=len(base_paths(target)),
        review_s=statistics.median(reviews),
        comparison_s=statistics.median(comparisons),
        findings=len(report.findings),
        pre_existing=report.pre_existing,
        planted=(len(planted & reported), len(planted)),
    )


def section(costs: list[BaselineCost], origin: str = "") -> str:
    """Render the measurements as a section of docs/benchmarks.md.

    Args:
        costs: One per PR size.
        origin: A sentence saying how they were measured, when not by the
            run the rest of the page comes from.

    Returns:
        Markdown, ending in a blank line.
    """
    header = (
        "| PR files | with a base version | review (ruff-format, ruff, conventions)"
        " | comparison | share | findings | pre-existing | planted reported |"
    )
    rows = [header, "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for cost in costs:
        rows.append(
            f"| {cost.size} | {cost.modified} | {cost.review_s:.2f} s"
            f" | {cost.comparison_s:.2f} s | {cost.comparison_s / cost.review_s:.0%}"
            f" | {cost.findings} | {cost.pre_existing}"
            f" | {cost.planted[0]} of {cost.planted[1]} |"
        )
    return (
        f"{HEADING}\n\n"
        "ruff, the formatter and the convention engine also check the base "
        "version of the changed files that hold a possibly new finding, so "
        "that a finding the code already had is not reported as the PR's "
        "(`pattern_review/baseline/`). *Comparison* is that extra work alone "
        "(median of the runs), *share* its part of a review with those three "
        "checks; in a default review mypy, the long pole, runs for longer. "
        "*Planted reported*: seeded violations the line filter alone reports "
        "that the review still reports."
        + (f" {origin}" if origin else "")
        + "\n\n"
        + "\n".join(rows)
        + "\n"
    )


def replace_section(document: str, text: str, heading: str = HEADING) -> str:
    """Put a section into the benchmarks document, before ``## Machine``.

    Args:
        document: The current document.
        text: The rendered section, starting with its heading.
        heading: The section's heading line.

    Returns:
        The document with the section replaced (or added).
    """
    start = document.find(heading)
    if start >= 0:
        end = document.find("\n#", start + len(heading))
        end = len(document) if end < 0 else end + 1
        return document[:start] + text + document[end:]
    machine = document.find("## Machine")
    if machine < 0:
        return document + "\n" + text
    return document[:machine] + text + "\n" + document[machine:]


def section_of(document: str, heading: str) -> str | None:
    """Return a section of the document, heading included, or None.

    Args:
        document: The benchmarks document.
        heading: The section's heading line.

    Returns:
        From the heading to the next heading (or the end).
    """
    start = document.find(heading)
    if start < 0:
        return None
    end = document.find("\n#", start + len(heading))
    return document[start:] if end < 0 else document[start : end + 1]


def main() -> None:
    """Measure the sizes asked for, print the section, optionally write it."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.baseline_cost")
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--write", action="store_true", help=f"replace the section in {DOCUMENT}"
    )
    args = parser.parse_args()
    costs: list[BaselineCost] = []
    with tempfile.TemporaryDirectory(prefix="pattern-review-bench-") as folder:
        for size in (int(part) for part in args.sizes.split(",")):
            repo = generate(Path(folder) / f"app-{size}", size)
            costs.append(measure(repo, size, Path(folder) / "cache", args.repeat))
    load = os.getloadavg()[0]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = section(
        costs,
        f"Measured on its own ({when}, load average {load:.1f} at the end):"
        f" `python -m benchmarks.baseline_cost --sizes {args.sizes}"
        f" --repeat {args.repeat}`.",
    )
    print(text)
    if args.write:
        DOCUMENT.write_text(replace_section(DOCUMENT.read_text("utf-8"), text))


if __name__ == "__main__":
    main()
