"""Same PR, same findings, whatever the load.

A verdict must not depend on what else the runner does. This reviews the
bundled demo PR and the generated 100-file PR (``benchmarks.generate``, seed
0) once on an idle machine, then three times while ``2 x cores`` busy loops
compete for every core, and compares the sorted findings of each loaded run
with the idle one: they must be identical, with no ``PR005`` ("could not be
analysed", what a budget overrun gives). Every run is cold (``--no-cache``):
a reused outcome would prove nothing.

Run: ``python -m benchmarks load [--rounds 3] [--checks ...] [--workdir DIR]
[--write]``; it prints the markdown section recorded in docs/benchmarks.md
("Under load") and, with ``--write``, puts it there. It is slow (minutes), so
it is not part of the test suite; ``compare`` is unit-tested.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.baseline_cost import replace_section
from benchmarks.generate import generate
from benchmarks.run import (
    _bin,
    _uv,
    base_env,
    cache_env,
    clear_repo_caches,
    load_average,
    markdown_table,
)
from pattern_review.commands.demo import build_example
from pattern_review.findings.rules import ANALYSIS_FAILED_RULE

HEADING = "### Under load"
# What is said of the runs by hand, after them: kept as it is by every writer.
NOTES_HEADING = "### Under load: notes"
DOCUMENT = Path("docs/benchmarks.md")
# What identifies a finding across runs (its message may carry timings).
FindingKey = tuple[str, int, int, str, str]


@dataclass(frozen=True)
class Comparison:
    """How a loaded run's findings differ from the idle run's.

    Attributes:
        missing: Findings of the idle run the loaded run lacks.
        extra: Findings of the loaded run the idle run lacks.
        budget_failures: ``PR005`` findings of the loaded run.
    """

    missing: list[FindingKey] = field(default_factory=list)
    extra: list[FindingKey] = field(default_factory=list)
    budget_failures: int = 0

    @property
    def identical(self) -> bool:
        """True when both runs found exactly the same, and nothing overran."""
        return not self.missing and not self.extra and not self.budget_failures


def finding_keys(report: Mapping[str, object]) -> list[FindingKey]:
    """Return a report's findings as sorted, comparable keys.

    Args:
        report: A JSON report (``--format json``).

    Returns:
        (path, line, column, rule, severity) of each finding, sorted.
    """
    findings = report.get("findings")
    keys: list[FindingKey] = []
    for item in findings if isinstance(findings, list) else []:
        if isinstance(item, dict):
            keys.append(
                (
                    str(item.get("path")),
                    int(item.get("line") or 0),
                    int(item.get("column") or 0),
                    str(item.get("rule")),
                    str(item.get("severity")),
                )
            )
    return sorted(keys)


def compare(idle: Mapping[str, object], loaded: Mapping[str, object]) -> Comparison:
    """Compare a loaded run's report with the idle run's.

    Args:
        idle: The idle run's JSON report.
        loaded: The loaded run's JSON report.

    Returns:
        What is missing, what is extra, and how many files overran a budget.
    """
    before, after = finding_keys(idle), finding_keys(loaded)
    missing = [key for key in before if key not in after]
    extra = [key for key in after if key not in before]
    overran = sum(1 for key in after if key[3] == ANALYSIS_FAILED_RULE)
    return Comparison(missing, extra, overran)


@contextlib.contextmanager
def busy_loops(count: int) -> Iterator[None]:
    """Keep ``count`` processes spinning on the CPU while the block runs.

    Args:
        count: How many busy loops.

    Yields:
        Nothing; the loops are killed on the way out.
    """
    loops = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(count)
    ]
    try:
        time.sleep(1.0)  # let them reach full speed
        yield
    finally:
        for loop in loops:
            loop.kill()
        for loop in loops:
            loop.wait()


@dataclass(frozen=True)
class Target:
    """A PR to review: its repo and commits.

    Attributes:
        name: How the table names it.
        repo: The repository.
        base: The base commit.
        head: The head commit.
        files: Changed Python files.
    """

    name: str
    repo: Path
    base: str
    head: str
    files: int


def _rev(repo: Path, name: str) -> str:
    done = subprocess.run(
        ["git", "rev-parse", name], cwd=repo, check=True, capture_output=True
    )
    return done.stdout.decode().strip()


def build_targets(workdir: Path, env: Mapping[str, str]) -> list[Target]:
    """Build the demo PR and the generated 100-file PR (seed 0).

    Args:
        workdir: A scratch folder (what an earlier run built there is rebuilt).
        env: The environment to set the generated app up in.

    Returns:
        The two targets.
    """
    demo = workdir / "demo-shop"
    shutil.rmtree(demo, ignore_errors=True)
    shutil.rmtree(workdir / "app-100", ignore_errors=True)
    build_example(demo)
    demo_files = subprocess.run(
        ["git", "diff", "--name-only", "main", "HEAD", "--", "*.py"],
        cwd=demo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    generated = generate(workdir / "app-100", 100, seed=0)
    subprocess.run(
        [_uv(), "sync", "-q", "--compile-bytecode"],
        cwd=generated.path,
        env=dict(env),
        check=True,
    )
    return [
        Target("demo", demo, _rev(demo, "main"), _rev(demo, "HEAD"), len(demo_files)),
        Target(
            "generated 100-file PR",
            generated.path,
            generated.base,
            generated.head,
            sum(1 for p in generated.changed if p.endswith(".py")),
        ),
    ]


def review(
    target: Target, checks: str | None, env: Mapping[str, str]
) -> tuple[dict[str, object], float]:
    """Review a target cold and return its JSON report and wall time.

    Args:
        target: The PR.
        checks: ``--checks``, or None for the agent file's checklist.
        env: The environment.

    Returns:
        The report and the seconds it took.

    Raises:
        RuntimeError: The review printed no JSON report.
    """
    argv = [
        _bin("pattern-review"), "review", "--repo", str(target.repo),
        "--base", target.base, "--head", target.head, "--no-ai", "--no-cache",
        "--format", "json",
    ]  # fmt: skip
    if checks:
        argv += ["--checks", checks]
    # Cold: ``--no-cache`` keeps no outcome, but mypy's incremental cache and
    # the work tree's bytecode would outlive the run; each run gets neither.
    clear_repo_caches(target.repo)
    with tempfile.TemporaryDirectory(prefix="bench-load-cache-") as cache:
        run_env = cache_env(env, Path(cache))
        started = time.monotonic()
        done = subprocess.run(
            argv, cwd=target.repo, env=run_env, capture_output=True, text=True
        )
        elapsed = time.monotonic() - started
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(
            f"review of {target.name} printed no report: {done.stderr[-2000:]}"
        ) from None
    if not isinstance(report, dict):
        raise RuntimeError(f"review of {target.name}: not a report")
    return report, elapsed


def _statuses(report: Mapping[str, object]) -> str:
    checks = report.get("checks")
    items = checks if isinstance(checks, list) else []
    return ", ".join(
        f"{c.get('name')} {c.get('status')}"
        for c in items
        if isinstance(c, dict) and c.get("status") != "skipped"
    )


def measure(
    targets: Sequence[Target], rounds: int, loops: int, checks: str | None
) -> list[list[str]]:
    """Review each target idle, then ``rounds`` times under ``loops`` busy loops.

    Args:
        targets: The PRs.
        rounds: Loaded runs per target.
        loops: Busy loops during a loaded run.
        checks: ``--checks``, or None.

    Returns:
        Table rows: target, run, wall time, load, findings, same, PR005.
    """
    env = base_env()
    rows: list[list[str]] = []
    for target in targets:
        idle, idle_s = review(target, checks, env)
        count = len(finding_keys(idle))
        print(f"[{target.name}] idle: {count} findings, {idle_s:.1f} s", flush=True)
        rows.append(
            [target.name, "idle", f"{idle_s:.1f} s", f"{load_average():.1f}",
             str(count), "reference", str(compare(idle, idle).budget_failures)]
        )  # fmt: skip
        for round_ in range(1, rounds + 1):
            with busy_loops(loops):
                loaded, loaded_s = review(target, checks, env)
                load = load_average()
            result = compare(idle, loaded)
            print(
                f"[{target.name}] loaded #{round_}: {len(finding_keys(loaded))}"
                f" findings, {loaded_s:.1f} s, identical={result.identical}"
                f" ({_statuses(loaded)})",
                flush=True,
            )
            if not result.identical:
                print(f"  missing {result.missing}\n  extra {result.extra}")
            rows.append(
                [target.name, f"loaded #{round_}", f"{loaded_s:.1f} s",
                 f"{load:.1f}", str(len(finding_keys(loaded))),
                 "yes" if result.identical else "NO",
                 str(result.budget_failures)]
            )  # fmt: skip
    return rows


def render(
    rows: list[list[str]], targets: Sequence[Target], loops: int, checks: str | None
) -> str:
    """Render the "Under load" section.

    Args:
        rows: From ``measure``.
        targets: The PRs reviewed.
        loops: Busy loops during a loaded run.
        checks: ``--checks`` given, or None.

    Returns:
        Markdown, heading first.
    """
    what = ", ".join(f"{t.name} ({t.files} Python files)" for t in targets)
    ran = f"`--checks {checks}`" if checks else "the agent file's checklist"
    table = markdown_table(
        ["PR", "run", "wall", "load (1 min)", "findings", "same as idle", "PR005"],
        rows,
    )
    return (
        f"{HEADING}\n\n"
        f"The same PRs reviewed idle, then while {loops} busy loops (2 x"
        f" {os.cpu_count()} cores) compete for the CPU: {what}; {ran}, every run"
        " cold (`--no-cache`). The convention engine's per-file budget counts"
        " its worker's CPU time, so waiting for a core costs none of it."
        " `python -m benchmarks load`.\n\n" + table + "\n"
    )


def main(argv: list[str] | None = None) -> int:
    """Build the PRs, review them idle and loaded, print (and write) the section.

    Args:
        argv: Command-line arguments.

    Returns:
        0 when every loaded run matched the idle one, 1 otherwise.
    """
    parser = argparse.ArgumentParser(prog="python -m benchmarks load")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--checks", help="checks to run (default: the agent file's checklist)"
    )
    parser.add_argument("--workdir", type=Path)
    parser.add_argument(
        "--write", action="store_true", help=f"put the section into {DOCUMENT}"
    )
    args = parser.parse_args(argv)
    loops = 2 * (os.cpu_count() or 1)
    with tempfile.TemporaryDirectory(prefix="bench-load-") as scratch:
        workdir = args.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        targets = build_targets(workdir, base_env())
        rows = measure(targets, max(1, args.rounds), loops, args.checks)
    text = render(rows, targets, loops, args.checks)
    print(text)
    if args.write:
        DOCUMENT.write_text(replace_section(DOCUMENT.read_text(), text, HEADING))
    return 0 if all(row[5] in ("yes", "reference") for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
