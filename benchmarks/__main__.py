"""``python -m benchmarks``: measure, print the tables, write docs/benchmarks.md.

``python -m benchmarks load``: the same PRs idle and under load give the same
findings (``benchmarks.load``).
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import baseline_cost, costs, load
from benchmarks.engine_throughput import compare
from benchmarks.monorepo import HEADING as MONOREPO
from benchmarks.run import (
    SizeResult,
    engine_section,
    machine_description,
    markdown_table,
    measure_size,
    measure_startup,
    render_document,
    review_command,
    scaling_verdict,
    size_section,
    startup_section,
    verdict_rows,
)


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes must be integers: {text!r}") from None
    if not sizes or min(sizes) < 2:
        raise argparse.ArgumentTypeError("each size must be at least 2")
    return sizes


def build_parser() -> argparse.ArgumentParser:
    """The command line of the benchmark."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--sizes", type=_sizes, default=[10, 100, 1000],
        help="changed Python files per PR, comma-separated (default 10,100,1000)",
    )  # fmt: skip
    parser.add_argument(
        "--workdir", type=Path, default=None,
        help="where the apps are generated (default: a new temp folder)",
    )  # fmt: skip
    parser.add_argument(
        "--violation-share", type=float, default=0.2,
        help="share of changed files with a seeded violation (default 0.2)",
    )  # fmt: skip
    parser.add_argument(
        "--output", type=Path, default=Path("docs/benchmarks.md"),
        help="the markdown document to write (default docs/benchmarks.md)",
    )  # fmt: skip
    parser.add_argument(
        "--repeat", type=int, default=1,
        help="runs of each measurement, the fastest kept (default 1)",
    )  # fmt: skip
    parser.add_argument(
        "--no-write", action="store_true", help="print the tables, write nothing"
    )
    return parser


# Sections measured by their own commands (benchmarks.monorepo, benchmarks
# load) or written by hand beside them: a full run keeps them as they are.
KEPT_SECTIONS = (MONOREPO, load.HEADING, load.NOTES_HEADING)


def with_kept_sections(text: str, old: str) -> str:
    """Carry the kept sections of the old document over into a new one.

    Args:
        text: The document this run rendered.
        old: The document it replaces.

    Returns:
        ``text`` with each of ``KEPT_SECTIONS`` the old document has.
    """
    for heading in KEPT_SECTIONS:
        kept = baseline_cost.section_of(old, heading)
        if kept:
            text = baseline_cost.replace_section(text, kept, heading)
    return text


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark.

    Args:
        argv: Arguments (default: the process's).

    Returns:
        0 when it ran (targets missed are reported, not an error).
    """
    words = sys.argv[1:] if argv is None else argv
    if words[:1] == ["load"]:
        return load.main(words[1:])
    args = build_parser().parse_args(argv)
    if not 0.0 <= args.violation_share <= 1.0:
        print("error: --violation-share must be between 0 and 1", file=sys.stderr)
        return 2
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    clock = time.perf_counter()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="pattern-review-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        return _run(args, argv, workdir, started, clock)
    finally:
        if args.workdir is None:
            # Generated apps and their venvs: hundreds of MB, ours to remove.
            shutil.rmtree(workdir, ignore_errors=True)


def _run(
    args: argparse.Namespace,
    argv: list[str] | None,
    workdir: Path,
    started: str,
    clock: float,
) -> int:
    """Measure every size, print the sections, write the document."""

    results: list[SizeResult] = []
    sections: list[str] = []
    for size in args.sizes:
        result = measure_size(
            size, workdir, violation_share=args.violation_share,
            repeat=max(1, args.repeat),
        )  # fmt: skip
        results.append(result)
        section = size_section(result)
        sections.append(section)
        print(section, flush=True)

    by_size = {r.size: r for r in results}
    if 100 in by_size and 1000 in by_size:
        scaling = markdown_table(
            ["target", "measured", "limit", "met"],
            verdict_rows([scaling_verdict(by_size[100], by_size[1000])]),
        )
        sections.append("### Scaling\n\n" + scaling)
        print(sections[-1], flush=True)

    engine_on = min(results, key=lambda r: abs(r.size - 100))
    py_changed = [p for p in engine_on.repo.changed if p.endswith(".py")]
    comparison = compare(engine_on.repo.path, py_changed)
    sections.append(
        engine_section(comparison, f"the {len(py_changed)} changed files of the "
                       f"{engine_on.size}-file PR")
    )  # fmt: skip
    print(sections[-1], flush=True)
    sections.append(startup_section(measure_startup()))
    print(sections[-1], flush=True)
    base_costs = [
        baseline_cost.measure(r.repo, r.size, workdir / "baseline-cache", args.repeat)
        for r in results
        if r.size >= 100
    ]
    if base_costs:
        sections.append(baseline_cost.section(base_costs))
        print(sections[-1], flush=True)
    compared = {cost.size: cost.comparison_s for cost in base_costs}
    sections.append(
        costs.section(
            costs.measure(engine_on.repo.path, py_changed, max(1, args.repeat)),
            engine_on.hand_cold["mypy"].wall_s,
            engine_on.review_cold.wall_s,
            compared.get(engine_on.size),
            f"the {engine_on.size}-file PR",
        )
    )
    print(sections[-1], flush=True)

    if not args.no_write:
        example = results[0]
        commands = [
            "uv sync",
            "uv run python -m benchmarks " + shlex.join(argv or sys.argv[1:]),
            "",
            "# what it runs per size, in the generated app (uv project):",
            "uv run ruff format --check <changed files>",
            "uv run ruff check <changed files>",
            "uv run mypy <changed files>",
            "uv run pytest -q <tests of the touched resources>",
            shlex.join(["pattern-review", *review_command(example.repo)[1:]])
            .replace(example.repo.base, "<base>")
            .replace(example.repo.head, "<head>")
            .replace(str(example.repo.path), "<app>"),
            "fixit lint <changed files>",
            "python -X importtime -c 'import pattern_review.cli'",
        ]
        machine = machine_description(example.repo.path)
        text = render_document(
            sections, machine, commands, started, time.perf_counter() - clock,
            repeat=max(1, args.repeat),
        )  # fmt: skip
        args.output.parent.mkdir(parents=True, exist_ok=True)
        if args.output.is_file():
            text = with_kept_sections(text, args.output.read_text())
        args.output.write_text(text)
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
