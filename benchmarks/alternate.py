"""Before and after, alternated: two versions of pattern-review on one generated PR.

On a shared machine wall times move with other work, so two versions are
compared in one sitting: each round times ``uv run mypy`` alone (cold), the
checklist by hand (warm), then each version's review cold and warm, the
versions' order swapped every round; the ratios of each round are compared,
medians over the rounds. A version is a ``src`` folder put first on
``PYTHONPATH`` (``git archive <commit> src | tar -x -C <folder>``). Each
review's JSON report is kept, so the findings of the versions can be compared
byte for byte after sorting.

    uv run python -m benchmarks.alternate --size 100 --rounds 6 \\
        --workdir /tmp/ab before=/tmp/old/src after=/tmp/new/src
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.generate import GeneratedRepo, generate
from benchmarks.measure import run_measured
from benchmarks.run import (
    base_env,
    cache_env,
    checklist_commands,
    clear_repo_caches,
    load_average,
    review_command,
)


def _repo(workdir: Path, size: int) -> GeneratedRepo:
    """Generate the PR once (and its venv); later runs reuse it."""
    folder = workdir / f"app-{size}"
    described = workdir / f"repo-{size}.json"
    if described.is_file() and (folder / ".venv").is_dir():
        data = json.loads(described.read_text())
        return GeneratedRepo(
            path=folder,
            base=data["base"],
            head=data["head"],
            changed=data["changed"],
            related_tests=data["related_tests"],
        )
    shutil.rmtree(folder, ignore_errors=True)
    repo = generate(folder, size)
    subprocess.run(
        ["uv", "sync", "-q", "--compile-bytecode"],
        cwd=folder,
        env=base_env(),
        check=True,
    )
    described.write_text(
        json.dumps(
            {
                "base": repo.base,
                "head": repo.head,
                "changed": repo.changed,
                "related_tests": repo.related_tests,
            }
        )
    )
    return repo


def _sorted_findings(report: Path) -> list[str]:
    """A report's findings, each as sorted-key JSON, in sorted order."""
    data = json.loads(report.read_text())
    return sorted(json.dumps(f, sort_keys=True) for f in data["findings"])


def main(argv: list[str] | None = None) -> int:
    """Alternate the versions; print each round, the medians and the verdict.

    Args:
        argv: Arguments (default: the process's).

    Returns:
        0, or 1 when two versions gave different findings in a round.
    """
    parser = argparse.ArgumentParser(prog="python -m benchmarks.alternate")
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("versions", nargs="+", help="name=path/to/src")
    args = parser.parse_args(argv)
    versions = [tuple(v.split("=", 1)) for v in args.versions]
    args.workdir.mkdir(parents=True, exist_ok=True)
    repo = _repo(args.workdir, args.size)
    env = base_env()
    commands = checklist_commands(repo)
    times: dict[str, list[float]] = {}
    identical = True
    print(f"load {load_average():.1f}", flush=True)
    for round_ in range(args.rounds):
        clear_repo_caches(repo.path)
        times.setdefault("mypy cold", []).append(
            run_measured(commands["mypy"], cwd=repo.path, env=env).wall_s
        )
        hand = sum(
            run_measured(c, cwd=repo.path, env=env).wall_s for c in commands.values()
        )
        times.setdefault("hand warm", []).append(hand)
        order = versions if round_ % 2 == 0 else versions[::-1]
        reports: dict[str, list[str]] = {}
        # Each version through its own entry point (``-m``): the console
        # script of this checkout may name a function an older one lacks.
        argv = [sys.executable, "-m", "pattern_review", *review_command(repo)[1:]]
        for name, src in order:
            clear_repo_caches(repo.path)
            cache = Path(tempfile.mkdtemp(prefix="prcache-", dir=args.workdir))
            review_env = {**cache_env(env, cache), "PYTHONPATH": src}
            for phase in ("cold", "warm"):
                done = run_measured(argv, cwd=repo.path, env=review_env)
                times.setdefault(f"{name} {phase}", []).append(done.wall_s)
                report = args.workdir / f"{name}-{args.size}-{round_}-{phase}.json"
                report.write_text(done.stdout)
                reports[f"{name} {phase}"] = _sorted_findings(report)
            shutil.rmtree(cache, ignore_errors=True)
        for phase in ("cold", "warm"):
            found = {reports[f"{name} {phase}"] == reports[f"{versions[0][0]} {phase}"]
                     for name, _ in versions}  # fmt: skip
            identical &= found == {True}
        last = {key: round(values[-1], 2) for key, values in times.items()}
        print(round_, last, f"load {load_average():.1f}", flush=True)
    for name, _ in versions:
        pairs = zip(times[f"{name} cold"], times["mypy cold"], strict=True)
        cold = [review / mypy for review, mypy in pairs]
        pairs = zip(times[f"{name} warm"], times["hand warm"], strict=True)
        warm = [review / hand for review, hand in pairs]
        print(
            f"{name}: cold ÷ mypy alone {statistics.median(cold):.2f}×,"
            f" warm ÷ checklist by hand {statistics.median(warm):.3f}×"
            f" (medians of {args.rounds} rounds)"
        )
    print("findings identical" if identical else "FINDINGS DIFFER", flush=True)
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
