"""One changed file in one project of a three-project monorepo.

A review of a monorepo must cost what the touched project costs, not what the
repository holds: the checklist runs once per *touched* project, from its
folder, in its environment. This compares, cold and warm:

- ``pattern-review review`` of a PR that changes one file of ``api/``, in a
  repository holding ``api/``, ``billing/`` and ``worker/`` (each a generated
  FastAPI app with its own ``pyproject.toml``, ``uv.lock`` and ``.venv``);
- that project's Completion Checklist run by hand in ``api/``: each tool
  through ``uv run``, one after another, on the same file and related tests.

Run: ``python -m benchmarks.monorepo [--repeat N] [--workdir DIR]``; it prints
the markdown section recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.generate import generate
from benchmarks.measure import Measurement, run_measured
from benchmarks.run import (
    TOOLS,
    _bin,
    _keep_best,
    _uv,
    base_env,
    clear_repo_caches,
    fmt_ratio,
    fmt_seconds,
    load_average,
    markdown_table,
)
from pattern_review.checks.related_tests import related_tests

PROJECTS = ("api", "billing", "worker")
TOUCHED = "api"


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def build(workdir: Path) -> tuple[Path, str, str, str]:
    """Write the monorepo: three apps at base, one file of ``api/`` changed.

    Args:
        workdir: An empty folder.

    Returns:
        The repo, base SHA, head SHA, and the changed file (repo-relative).
    """
    repo = workdir / "monorepo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "bench@example.com")
    _git(repo, "config", "user.name", "Bench")
    _git(repo, "config", "commit.gpgsign", "false")
    changed = ""
    head_text = ""
    for seed, name in enumerate(PROJECTS):
        app = generate(workdir / f"gen-{name}", 10, violation_share=0.2, seed=seed)
        _git(app.path, "checkout", "-q", app.base)
        shutil.copytree(app.path, repo / name, ignore=shutil.ignore_patterns(".git"))
        if name == TOUCHED:
            # A file the PR edits (not adds) that has related tests to run.
            edited = [
                p
                for p in app.changed
                if "/tests/" not in f"/{p}"
                and (repo / name / p).is_file()
                and related_tests(repo / name, [p])
            ]
            changed = f"{name}/{edited[0]}"
            head_text = _git(app.path, "show", f"{app.head}:{edited[0]}")
    (repo / ".gitignore").write_text(".venv/\n__pycache__/\n.mypy_cache/\n")
    env = base_env()
    for name in PROJECTS:
        subprocess.run(
            [_uv(), "sync", "-q", "--compile-bytecode"],
            cwd=repo / name,
            env=env,
            check=True,
        )
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    base = _git(repo, "rev-parse", "HEAD")
    (repo / changed).write_text(head_text + "\n")
    _git(repo, "commit", "-q", "-am", "change one file of api/")
    return repo, base, _git(repo, "rev-parse", "HEAD"), changed


def measure(workdir: Path, repeat: int) -> dict[str, object]:
    """Build the monorepo and time the review and the checklist by hand.

    Args:
        workdir: Scratch folder.
        repeat: Runs per command; the fastest is kept.

    Returns:
        The measurements and what they were taken on.
    """
    repo, base, head, changed = build(workdir)
    project = repo / TOUCHED
    inside = changed.removeprefix(f"{TOUCHED}/")
    tests = related_tests(project, [inside])
    uv = _uv()
    hand = {
        "ruff-format": [uv, "run", "ruff", "format", "--check", inside],
        "ruff": [uv, "run", "ruff", "check", inside],
        "mypy": [uv, "run", "mypy", inside],
        "pytest": [uv, "run", "pytest", "-q", *tests],
    }
    review = [
        _bin("pattern-review"), "review", "--repo", str(repo), "--base", base,
        "--head", head, "--no-ai", "--format", "json",
    ]  # fmt: skip
    env = base_env()
    load_before = load_average()
    best: dict[str, Measurement] = {}
    for _ in range(repeat):
        for folder in PROJECTS:
            clear_repo_caches(repo / folder)
        for phase in ("cold", "warm"):
            for tool in TOOLS:
                done = run_measured(hand[tool], cwd=project, env=env)
                _keep_best(best, f"hand {phase} {tool}", done)
        for folder in PROJECTS:
            clear_repo_caches(repo / folder)
        cache = Path(tempfile.mkdtemp(prefix="prcache-", dir=workdir))
        review_env = {**env, "XDG_CACHE_HOME": str(cache)}
        for phase in ("cold", "warm"):
            done = run_measured(review, cwd=repo, env=review_env)
            if done.returncode not in (0, 1):
                print(done.stderr[-2000:], file=sys.stderr)
            _keep_best(best, f"review {phase}", done)
        shutil.rmtree(cache, ignore_errors=True)
    return {
        "best": best,
        "changed": changed,
        "tests": tests,
        "load": (load_before, load_average()),
    }


HEADING = "### One changed file in a three-project monorepo"


def render(result: dict[str, object]) -> str:
    """Render the measurements as the docs/benchmarks.md section.

    Args:
        result: What :func:`measure` returned.

    Returns:
        Markdown.
    """
    best = result["best"]
    assert isinstance(best, dict)
    rows = []
    totals = {}
    for phase in ("cold", "warm"):
        totals[phase] = sum(best[f"hand {phase} {tool}"].wall_s for tool in TOOLS)
    rows.append(
        [
            "**pattern-review review --no-ai** (whole repo, one file of api/ changed)",
            fmt_seconds(best["review cold"].wall_s),
            fmt_seconds(best["review warm"].wall_s),
        ]
    )
    rows.append(
        [
            "**api/ checklist by hand** (`cd api && uv run ...`, one after another)",
            fmt_seconds(totals["cold"]),
            fmt_seconds(totals["warm"]),
        ]
    )
    for tool in TOOLS:
        rows.append(
            [
                f"· {tool}",
                fmt_seconds(best[f"hand cold {tool}"].wall_s),
                fmt_seconds(best[f"hand warm {tool}"].wall_s),
            ]
        )
    ratio_rows = [
        [
            phase,
            fmt_ratio(best[f"review {phase}"].wall_s / totals[phase]),
            "≤ 1.00",
            "yes" if best[f"review {phase}"].wall_s <= totals[phase] else "no",
        ]
        for phase in ("cold", "warm")
    ]
    load = result["load"]
    assert isinstance(load, tuple)
    report = json.loads(best["review cold"].stdout)
    checks = "; ".join(f"{c['name']}: {c['detail']}" for c in report["checks"])
    return "\n".join(
        [
            f"Changed: `{result['changed']}`; related tests: {result['tests']}."
            f" Load average (1 min) {load[0]:.1f} before, {load[1]:.1f} after.",
            "",
            markdown_table(["run", "cold s", "warm s"], rows),
            "",
            markdown_table(
                ["review ÷ by hand", "measured", "limit", "met"], ratio_rows
            ),
            "",
            f"What the cold review ran: {checks}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Build, measure, print the section.

    Args:
        argv: Command-line arguments.

    Returns:
        0.
    """
    parser = argparse.ArgumentParser(prog="python -m benchmarks.monorepo")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-mono-") as scratch:
        workdir = args.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        result = measure(workdir, args.repeat)
    print(render(result))
    print(f"\n(took {time.monotonic() - started:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
