"""What a cold review pays for beside its tools: start-up, the engine's workers.

A cold review takes about as long as mypy, its long pole, plus what happens
before mypy starts and after it ends. This times, each in a fresh
interpreter so that nothing is already imported, on the changed files of a
generated PR:

- the review's start-up: importing what runs before the first tool starts
  (the CLI, the review verb, the pipeline), beyond a bare interpreter;
- the convention engine's worker start: the forkserver that imports libcst
  and the rules once, and forking one worker from it;
- the convention engine on the changed files: one worker (as beside the
  tools, where the cores are the tools') and one per core (alone).

The base-version comparison is timed by ``baseline_cost``.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.run import load_average

# What a review imports before it starts its first tool.
STARTUP_IMPORTS = (
    "import pattern_review.cli, pattern_review.commands.review, pattern_review.review"
)

# Run in a fresh interpreter: times of the engine's pool, printed as JSON.
_ENGINE_PROBE = """
import json, sys, time
from pathlib import Path
from pattern_review.config import Config
from pattern_review.conventions.pool import lint_paths

repo, paths = Path(sys.argv[1]), sys.argv[2:]
one = Config(jobs=1)
times = {}
start = time.perf_counter()
lint_paths(repo, paths[:1], one)
times["first_file_cold"] = time.perf_counter() - start
start = time.perf_counter()
lint_paths(repo, paths[:1], one)
times["first_file_warm"] = time.perf_counter() - start
start = time.perf_counter()
lint_paths(repo, paths, one)
times["one_worker"] = time.perf_counter() - start
start = time.perf_counter()
lint_paths(repo, paths, Config(jobs=0))
times["all_workers"] = time.perf_counter() - start
print(json.dumps(times))
"""


@dataclass(frozen=True)
class Costs:
    """What a cold review pays for beside its tools, medians of the runs.

    Attributes:
        files: Changed Python files the engine checked.
        startup_s: Imports before the first tool, beyond a bare interpreter.
        forkserver_s: Starting the engine's forkserver (libcst, the rules).
        worker_s: Forking one worker and checking one file through it.
        one_worker_s: The engine on every changed file, one worker.
        all_workers_s: The same, one worker per core.
        load: The 1-minute load average before and after (other work on the
            machine inflates wall times).
    """

    files: int
    startup_s: float
    forkserver_s: float
    worker_s: float
    one_worker_s: float
    all_workers_s: float
    load: tuple[float, float] = (0.0, 0.0)


def _wall(argv: Sequence[str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(list(argv), cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def measure(repo: Path, paths: Sequence[str], repeat: int = 3) -> Costs:
    """Time the start-up and the convention engine's workers.

    Args:
        repo: The generated repo.
        paths: Its changed Python files, repo-relative.
        repeat: Runs of each measurement (the median is kept).

    Returns:
        The costs.
    """
    load_before = load_average()
    python = sys.executable
    bare = [_wall([python, "-c", "pass"]) for _ in range(repeat)]
    loaded = [_wall([python, "-c", STARTUP_IMPORTS]) for _ in range(repeat)]
    runs = []
    for _ in range(max(1, repeat)):
        done = subprocess.run(
            [python, "-c", _ENGINE_PROBE, str(repo), *paths],
            check=True, capture_output=True, text=True, cwd=repo,
        )  # fmt: skip
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))

    def median(key: str) -> float:
        return statistics.median(float(run[key]) for run in runs)

    return Costs(
        files=len(paths),
        startup_s=max(statistics.median(loaded) - statistics.median(bare), 0.0),
        forkserver_s=max(median("first_file_cold") - median("first_file_warm"), 0.0),
        worker_s=median("first_file_warm"),
        one_worker_s=median("one_worker"),
        all_workers_s=median("all_workers"),
        load=(load_before, load_average()),
    )


def section(
    costs: Costs,
    mypy_cold_s: float,
    review_cold_s: float,
    comparison_s: float | None,
    where: str,
) -> str:
    """Render the costs as a section of docs/benchmarks.md.

    Args:
        costs: The measurements.
        mypy_cold_s: ``uv run mypy`` alone, cold, on the same PR.
        review_cold_s: The cold review of the same PR.
        comparison_s: The base-version comparison alone (``baseline_cost``),
            None when it was not measured.
        where: Which PR (``the 100-file PR``).

    Returns:
        Markdown.
    """
    rows = [
        ("start-up: imports before the first tool", costs.startup_s, "yes"),
        ("convention engine: forkserver start (libcst, rules)", costs.forkserver_s,
         "no: it loads in its own process, yielding to mypy like the engine"),
        ("convention engine: one worker forked, one file", costs.worker_s,
         "no: runs beside mypy"),
        (f"convention engine: {costs.files} files, one worker", costs.one_worker_s,
         "no: runs beside mypy (on the other core)"),
        (f"convention engine: {costs.files} files, one worker per core",
         costs.all_workers_s, "(a review without mypy)"),
    ]  # fmt: skip
    if comparison_s is not None:
        rows.append(
            ("base-version comparison (ruff, formatter, engine on the base)",
             comparison_s,
             "no, mostly: each check's part starts as that check ends, beside"
             " mypy; only matching the findings comes after"),
        )  # fmt: skip
    lines = [
        "### What a cold review pays for beside its tools",
        "",
        f"On {where}: each part timed alone, in a fresh interpreter, median of"
        " the runs. *On the critical path*: whether it adds to a cold review"
        " whose long pole is mypy (start-up comes before mypy starts; a"
        " compared check's base run needs its findings at head). For scale: mypy"
        f" alone {mypy_cold_s:.2f} s cold, the cold review {review_cold_s:.2f} s"
        f" ({review_cold_s / mypy_cold_s:.2f}×). Load average (1 min)"
        f" {costs.load[0]:.1f} before, {costs.load[1]:.1f} after.",
        "",
        "| part | s | on the critical path |",
        "| :--- | ---: | :--- |",
    ]
    lines += [f"| {name} | {seconds:.3f} | {path} |" for name, seconds, path in rows]
    return "\n".join(lines) + "\n"
