"""The runner: review a generated PR, run the checklist by hand, compare.

Per PR size, in one process and one sitting (so the ratios compare like with
like on the same machine):

1. generate the app and ``uv sync`` it (not timed);
2. the Completion Checklist by hand, cold (no tool caches) then warm: each
   tool through ``uv run`` one after another, exactly as the agent file says;
3. ``pattern-review review --no-ai``, cold (fresh cache folder, no caches in
   the work tree) then warm (the same cache folder again);
4. ``fixit lint`` with its default rules on the same files;
5. the diff and report stages timed in-process (the JSON report carries the
   checks' own durations).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from benchmarks.generate import GeneratedRepo, generate
from benchmarks.measure import Measurement, run_measured

GIB = 1024**3
MIB = 1024**2
CHECKS = ("ruff-format", "ruff", "mypy", "pytest", "conventions")
TOOLS = ("ruff-format", "ruff", "mypy", "pytest")
REPO_CACHES = (".mypy_cache", ".ruff_cache", ".pytest_cache")

# Targets (ratios measured in one run): issue #6's, the two tightened by the
# restructuring of #18 (cold review 1.10x mypy alone, warm 0.25x by hand).
COLD_VS_SLOWEST = 1.1
COLD_VS_HAND = 0.95
WARM_VS_HAND = 0.25
PEAK_LIMIT = 2 * GIB
COMMENT_LIMIT = 65_536  # GitHub's issue comment body limit


@dataclass
class SizeResult:
    """Everything measured for one PR size.

    Attributes:
        size: Python files the PR touches.
        repo: The generated repo.
        review_cold: ``pattern-review review`` with no caches.
        review_warm: The same review again.
        report_cold: The cold run's JSON report (None if it did not parse).
        report_warm: The warm run's JSON report.
        hand_cold: Each checklist tool run by hand, no caches.
        hand_warm: Each checklist tool again, with its caches.
        fixit: ``fixit lint`` on the changed files.
        diff_s: Building the review target (git diff + reading files).
        report_s: Rendering the JSON and markdown reports.
        comment_chars: Length of the rendered PR comment body.
        commands: Tool -> the command line shown in the table.
        load: 1-minute load average when the size started and ended.
    """

    size: int
    repo: GeneratedRepo
    review_cold: Measurement
    review_warm: Measurement
    report_cold: dict[str, object] | None
    report_warm: dict[str, object] | None
    hand_cold: dict[str, Measurement]
    hand_warm: dict[str, Measurement]
    fixit: Measurement
    diff_s: float
    report_s: float
    comment_chars: int = 0
    commands: dict[str, str] = field(default_factory=dict)
    load: tuple[float, float] = (0.0, 0.0)

    @property
    def hand_cold_total(self) -> float:
        """Wall time of the checklist run one tool after another, cold."""
        return sum(m.wall_s for m in self.hand_cold.values())

    @property
    def hand_warm_total(self) -> float:
        """Wall time of the checklist run one tool after another, warm."""
        return sum(m.wall_s for m in self.hand_warm.values())

    @property
    def slowest_cold(self) -> tuple[str, float]:
        """The slowest checklist tool run alone, cold: (name, seconds)."""
        name = max(self.hand_cold, key=lambda k: self.hand_cold[k].wall_s)
        return name, self.hand_cold[name].wall_s


# ------------------------------------------------------------------ formats


def fmt_seconds(value: float | None) -> str:
    """Format seconds for a table: 3 significant figures, ``—`` for none.

    Args:
        value: Seconds, or None when not measured.

    Returns:
        ``0.042``, ``4.21``, ``42.1``, ``421`` or ``—``.
    """
    if value is None:
        return "—"
    if value < 1:
        return f"{value:.3f}"
    if value < 10:
        return f"{value:.2f}"
    if value < 100:
        return f"{value:.1f}"
    return f"{value:.0f}"


def fmt_mib(value: int | None) -> str:
    """Format a byte count as whole MiB (``—`` for none)."""
    return "—" if value is None else f"{value / MIB:,.0f}"


def fmt_ratio(value: float) -> str:
    """Format a ratio with two decimals and a times sign."""
    return f"{value:.2f}×"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Render a GitHub markdown table, text left and numbers right-aligned.

    Args:
        header: Column titles; the first column is text, the rest numbers.
        rows: Cells, one list per row, as many as the header.

    Returns:
        The table, one line per row, ending with a newline.

    Raises:
        ValueError: A row has the wrong number of cells.
    """
    for row in rows:
        if len(row) != len(header):
            raise ValueError(
                f"row {list(row)} has {len(row)} cells, want {len(header)}"
            )
    align = [":---", *("---:" for _ in header[1:])]
    lines = [header, align, *rows]
    return "".join("| " + " | ".join(cells) + " |\n" for cells in lines)


# The issue sets the cold and warm ratio targets for a 100-file PR; at other
# sizes the same ratios are shown for information.
RATIO_TARGET_SIZE = 100


@dataclass(frozen=True)
class Verdict:
    """One target checked: what was measured against what limit.

    ``binding`` is False for a ratio shown at a size the target is not set for.
    """

    target: str
    measured: str
    limit: str
    met: bool
    binding: bool = True


def verdict_rows(verdicts: Sequence[Verdict]) -> list[list[str]]:
    """Turn verdicts into table rows (``yes`` / ``**no**``; informative ones say so)."""
    rows = []
    for v in verdicts:
        met = "yes" if v.met else "**no**"
        if not v.binding:
            answer = "yes" if v.met else "no"
            met = f"{answer} (target set at {RATIO_TARGET_SIZE} files)"
        rows.append([v.target, v.measured, v.limit, met])
    return rows


# ---------------------------------------------------------------- measuring


def _check_durations(report: Mapping[str, object] | None) -> dict[str, float]:
    if report is None:
        return {}
    checks = report.get("checks", [])
    assert isinstance(checks, list)
    return {
        str(c["name"]): float(c["duration_s"])
        for c in checks
        if isinstance(c, dict) and c.get("status") != "skipped"
    }


def _check_statuses(report: Mapping[str, object] | None) -> dict[str, str]:
    if report is None:
        return {}
    checks = report.get("checks", [])
    assert isinstance(checks, list)
    return {str(c["name"]): str(c["status"]) for c in checks if isinstance(c, dict)}


def verdicts_for(result: SizeResult) -> list[Verdict]:
    """Check one size's ratios against the issue's targets.

    Args:
        result: The size's measurements.

    Returns:
        Cold vs slowest tool, cold vs hand, warm vs hand, peak memory, and
        the PR comment within GitHub's size limit.
    """
    cold, warm = result.review_cold.wall_s, result.review_warm.wall_s
    slowest_name, slowest = result.slowest_cold
    peak = max(result.review_cold.peak_rss, result.review_warm.peak_rss)
    binding = result.size == RATIO_TARGET_SIZE
    return [
        Verdict(
            f"cold review ÷ slowest tool alone (`{slowest_name}`, cold)",
            fmt_ratio(cold / slowest),
            f"≤ {COLD_VS_SLOWEST:.2f}",
            cold / slowest <= COLD_VS_SLOWEST,
            binding,
        ),
        Verdict(
            "cold review ÷ checklist by hand, cold",
            fmt_ratio(cold / result.hand_cold_total),
            f"≤ {COLD_VS_HAND:.2f}",
            cold / result.hand_cold_total <= COLD_VS_HAND,
            binding,
        ),
        Verdict(
            "warm review ÷ checklist by hand, warm",
            fmt_ratio(warm / result.hand_warm_total),
            f"≤ {WARM_VS_HAND:.2f}",
            warm / result.hand_warm_total <= WARM_VS_HAND,
            binding,
        ),
        Verdict(
            "peak memory of the review (process tree)",
            f"{peak / GIB:.2f} GiB",
            "< 2 GiB",
            peak < PEAK_LIMIT,
        ),
        Verdict(
            "PR comment body (markdown report)",
            f"{result.comment_chars:,} chars",
            f"≤ {COMMENT_LIMIT:,}",
            0 < result.comment_chars <= COMMENT_LIMIT,
        ),
    ]


def scaling_verdict(small: SizeResult, large: SizeResult) -> Verdict:
    """Check that a large PR costs no more per file than a smaller one.

    Args:
        small: The reference size (100 files).
        large: The large size (1,000 files).

    Returns:
        The per-file cold wall times compared.
    """
    per_small = small.review_cold.wall_s / small.size
    per_large = large.review_cold.wall_s / large.size
    return Verdict(
        f"cold review time per file at {large.size} vs {small.size} files",
        f"{per_large * 1000:.0f} ms vs {per_small * 1000:.0f} ms",
        "no worse",
        per_large <= per_small,
    )


def critical_path_line(cold: Mapping[str, float], warm: Mapping[str, float]) -> str:
    """Name the check each review waited for longest (its critical path).

    Args:
        cold: Check name -> seconds, cold run.
        warm: Check name -> seconds, warm run.

    Returns:
        One markdown line, or an empty string when no check ran.
    """
    parts = [
        f"{label} `{max(stages, key=lambda k: stages[k])}` "
        f"({fmt_seconds(max(stages.values()))} s)"
        for label, stages in (("cold", cold), ("warm", warm))
        if stages
    ]
    return f"Longest check: {', '.join(parts)}.\n\n" if parts else ""


def size_section(result: SizeResult) -> str:
    """Render one PR size: the context line, the times table, the targets.

    Args:
        result: The size's measurements.

    Returns:
        Markdown.
    """
    repo = result.repo
    cold_stages = _check_durations(result.report_cold)
    warm_stages = _check_durations(result.report_warm)
    statuses = _check_statuses(result.report_cold)
    findings = result.report_cold.get("findings", []) if result.report_cold else []
    count = len(findings) if isinstance(findings, list) else 0
    rows = [
        [
            "**pattern-review review --no-ai**",
            fmt_seconds(result.review_cold.wall_s),
            fmt_seconds(result.review_warm.wall_s),
            fmt_seconds(result.review_cold.cpu_s),
            fmt_seconds(result.review_warm.cpu_s),
            fmt_mib(result.review_cold.peak_rss),
            fmt_mib(result.review_warm.peak_rss),
        ],
        ["· diff (git, in-process)", fmt_seconds(result.diff_s), *[""] * 5],
    ]
    for name in CHECKS:
        status = statuses.get(name, "missing")
        label = f"· {name}" + ("" if status in ("passed", "failed") else f" ({status})")
        rows.append(
            [
                label,
                fmt_seconds(cold_stages.get(name)),
                fmt_seconds(warm_stages.get(name)),
                *[""] * 4,
            ]
        )
    rows.append(
        [
            "· report (json + markdown, in-process)",
            fmt_seconds(result.report_s),
            *[""] * 5,
        ]
    )
    rows.append(
        [
            "**checklist by hand, one tool after another**",
            fmt_seconds(result.hand_cold_total),
            fmt_seconds(result.hand_warm_total),
            fmt_seconds(sum(m.cpu_s for m in result.hand_cold.values())),
            fmt_seconds(sum(m.cpu_s for m in result.hand_warm.values())),
            fmt_mib(max(m.peak_rss for m in result.hand_cold.values())),
            fmt_mib(max(m.peak_rss for m in result.hand_warm.values())),
        ]
    )
    for name in TOOLS:
        cold, warm = result.hand_cold[name], result.hand_warm[name]
        rows.append(
            [
                f"· `{result.commands.get(name, name)}` alone",
                fmt_seconds(cold.wall_s),
                fmt_seconds(warm.wall_s),
                fmt_seconds(cold.cpu_s),
                fmt_seconds(warm.cpu_s),
                fmt_mib(cold.peak_rss),
                fmt_mib(warm.peak_rss),
            ]
        )
    rows.append(
        [
            "fixit lint (default rules)",
            fmt_seconds(result.fixit.wall_s),
            "",
            fmt_seconds(result.fixit.cpu_s),
            "",
            fmt_mib(result.fixit.peak_rss),
            "",
        ]
    )
    header = [
        "run", "cold s", "warm s", "cold CPU s", "warm CPU s",
        "peak MiB cold", "peak MiB warm",
    ]  # fmt: skip
    conclusion = result.report_cold.get("conclusion") if result.report_cold else None
    intro = (
        f"### {result.size} changed files\n\n"
        f"{repo.python_files} Python files in the repo, {len(repo.changed)} changed "
        f"({repo.lines_changed:,} lines added), {len(repo.related_tests)} related "
        f"test files, {len(repo.violations)} seeded violations; the review found "
        f"{count} findings in scope (conclusion `{conclusion}`). Load average "
        f"(1 min) {result.load[0]:.1f} before, {result.load[1]:.1f} after.\n\n"
    )
    verdicts = markdown_table(
        ["target", "measured", "limit", "met"], verdict_rows(verdicts_for(result))
    )
    critical = critical_path_line(cold_stages, warm_stages)
    return intro + markdown_table(header, rows) + "\n" + critical + verdicts


# ------------------------------------------------------------------ running


def _uv() -> str:
    return shutil.which("uv") or "uv"


def base_env() -> dict[str, str]:
    """The environment every measured command starts from.

    The benchmark itself may run under ``uv run`` in pattern-review's venv;
    the generated project must use its own, and uv must keep its package
    cache even when a cold run points ``XDG_CACHE_HOME`` elsewhere.
    """
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    # Run as on a developer machine or CI runner, where Python caches
    # bytecode (this sandbox turns it off globally).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    uv_cache = subprocess.run(
        [_uv(), "cache", "dir"], capture_output=True, text=True, check=True
    ).stdout.strip()
    env["UV_CACHE_DIR"] = uv_cache
    # The generated app is ours, not a PR's: as root, its tools run as root
    # (this machine's Python lies where the unprivileged user cannot reach).
    env.setdefault("PATTERN_REVIEW_RUN_AS", "root")
    return env


def cache_env(env: Mapping[str, str], cache: Path) -> dict[str, str]:
    """Return ``env`` with every cache of a review (its own, mypy's) in ``cache``.

    A fresh folder makes the review cold; the same one again, warm.
    """
    return {
        **env,
        "PATTERN_REVIEW_CACHE_DIR": str(cache / "pattern-review"),
        "XDG_CACHE_HOME": str(cache / "xdg"),
    }


def load_average() -> float:
    """The 1-minute load average (other work competing for the cores)."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def clear_repo_caches(repo: Path) -> None:
    """Delete every tool cache and bytecode cache in the work tree."""
    for name in REPO_CACHES:
        shutil.rmtree(repo / name, ignore_errors=True)
    for folder in repo.rglob("__pycache__"):
        if ".venv" not in folder.parts:
            shutil.rmtree(folder, ignore_errors=True)


def checklist_commands(repo: GeneratedRepo) -> dict[str, list[str]]:
    """The Completion Checklist as the agent file says to run it.

    ``ruff format`` gets ``--check``: a benchmark must not rewrite the files
    the other runs look at (the cost is the same).

    Args:
        repo: The generated repo.

    Returns:
        Tool -> argv.
    """
    uv = _uv()
    return {
        "ruff-format": [uv, "run", "ruff", "format", "--check", *repo.changed],
        "ruff": [uv, "run", "ruff", "check", *repo.changed],
        "mypy": [uv, "run", "mypy", *repo.changed],
        "pytest": [uv, "run", "pytest", "-q", *repo.related_tests],
    }


def short_command(argv: Sequence[str]) -> str:
    """Show a command with its file list elided (for table labels)."""
    words = [w for w in argv if not w.endswith(".py")]
    words[0] = Path(words[0]).name
    return " ".join(words) + " <files>"


def _bin(name: str) -> str:
    local = Path(sys.executable).with_name(name)
    return str(local) if local.exists() else name


def review_command(repo: GeneratedRepo) -> list[str]:
    """The review as CI would run it, without the AI part."""
    return [
        _bin("pattern-review"), "review", "--repo", str(repo.path),
        "--base", repo.base, "--head", repo.head, "--no-ai", "--format", "json",
    ]  # fmt: skip


def _parse_report(measurement: Measurement) -> dict[str, object] | None:
    try:
        data = json.loads(measurement.stdout)
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def time_diff_and_report(
    repo: GeneratedRepo, report_json: str
) -> tuple[float, float, int]:
    """Time the in-process stages the JSON report does not carry.

    Args:
        repo: The generated repo.
        report_json: A report the CLI printed.

    Returns:
        Seconds to build the review target, seconds to render the reports,
        and the length of the PR comment body.
    """
    from pattern_review.models import Report
    from pattern_review.report.json_report import render_json
    from pattern_review.report.markdown import render_markdown
    from pattern_review.rulebook.agent_file import find_agent_file
    from pattern_review.target import build_target

    start = time.perf_counter()
    build_target(repo.path, repo.base, repo.head)
    diff_s = time.perf_counter() - start
    report = Report.model_validate_json(report_json)
    agent = find_agent_file(repo.path)
    start = time.perf_counter()
    render_json(report)
    comment = render_markdown(report, agent)
    return diff_s, time.perf_counter() - start, len(comment)


def _keep_best(best: dict[str, Measurement], key: str, new: Measurement) -> None:
    """Keep the fastest run of ``key``, with the largest memory of any run.

    Other work on a shared machine only ever adds time, so the fastest of
    several runs is the closest to the true cost; memory does not shrink
    under load, so the worst is kept.
    """
    old = best.get(key)
    if old is None:
        best[key] = new
        return
    fastest = new if new.wall_s < old.wall_s else old
    best[key] = replace(
        fastest,
        peak_tree_rss=max(old.peak_tree_rss, new.peak_tree_rss),
        peak_single_rss=max(old.peak_single_rss, new.peak_single_rss),
    )


def measure_size(
    size: int,
    workdir: Path,
    *,
    violation_share: float,
    repeat: int = 1,
    log: bool = True,
) -> SizeResult:
    """Generate a PR of ``size`` files and measure everything on it.

    Args:
        size: Python files the PR touches.
        workdir: Folder for the generated repo and the cache folders.
        violation_share: Share of changed files with a seeded violation.
        repeat: Run every measurement this many times and keep the fastest.
        log: Print progress to stderr.

    Returns:
        The measurements.
    """

    def say(text: str) -> None:
        if log:
            print(f"[{size}] {text}", file=sys.stderr, flush=True)

    load_before = load_average()
    repo_dir = workdir / f"app-{size}"
    shutil.rmtree(repo_dir, ignore_errors=True)
    repo = generate(repo_dir, size, violation_share=violation_share)
    env = base_env()
    # Bytecode of the installed packages is part of the environment, not a
    # tool cache: compile it up front so no run pays for it.
    subprocess.run(
        [_uv(), "sync", "-q", "--compile-bytecode"], cwd=repo.path, env=env, check=True
    )
    # Warm the OS file cache and uv's own start-up path, so the first timed
    # run does not pay for reading the venv from disk.
    subprocess.run([_uv(), "run", "python", "-c", "import fastapi, sqlalchemy, celery"],
                   cwd=repo.path, env=env, check=True)  # fmt: skip

    commands = checklist_commands(repo)
    argv = review_command(repo)
    best: dict[str, Measurement] = {}
    for rep in range(repeat):
        clear_repo_caches(repo.path)
        for phase in ("cold", "warm"):
            for name in TOOLS:
                key = f"hand {phase} {name}"
                _keep_best(
                    best, key, run_measured(commands[name], cwd=repo.path, env=env)
                )
                say(f"{key} #{rep + 1}: {best[key].wall_s:.2f}s (best)")
        clear_repo_caches(repo.path)
        cache = Path(tempfile.mkdtemp(prefix="prcache-", dir=workdir))
        review_env = cache_env(env, cache)
        for phase in ("cold", "warm"):
            done = run_measured(argv, cwd=repo.path, env=review_env)
            if done.returncode not in (0, 1):
                say(f"review {phase} failed: {done.stderr.strip()[-500:]}")
            _keep_best(best, f"review {phase}", done)
            say(f"review {phase} #{rep + 1}: {done.wall_s:.2f}s rc={done.returncode}")
        shutil.rmtree(cache, ignore_errors=True)
    hand = {
        phase: {name: best[f"hand {phase} {name}"] for name in TOOLS}
        for phase in ("cold", "warm")
    }
    review_cold, review_warm = best["review cold"], best["review warm"]

    fixit = run_measured([_bin("fixit"), "lint", *repo.changed], cwd=repo.path, env=env)
    say(f"fixit lint: {fixit.wall_s:.2f}s")

    report_cold = _parse_report(review_cold)
    diff_s, report_s, comment_chars = (
        time_diff_and_report(repo, review_cold.stdout)
        if report_cold is not None
        else (0.0, 0.0, 0)
    )
    return SizeResult(
        size=size,
        repo=repo,
        review_cold=review_cold,
        review_warm=review_warm,
        report_cold=report_cold,
        report_warm=_parse_report(review_warm),
        hand_cold=hand["cold"],
        hand_warm=hand["warm"],
        fixit=fixit,
        diff_s=diff_s,
        report_s=report_s,
        comment_chars=comment_chars,
        commands={name: short_command(argv) for name, argv in commands.items()},
        load=(load_before, load_average()),
    )


# ------------------------------------------------------------------ machine


def _version(argv: Sequence[str], cwd: Path | None = None) -> str:
    try:
        done = subprocess.run(
            list(argv), capture_output=True, text=True, cwd=cwd, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else "unavailable"


def machine_description(project: Path | None) -> list[tuple[str, str]]:
    """Describe the machine and tool versions the numbers came from.

    Args:
        project: A generated project, for its tool versions (None: skip).

    Returns:
        (what, value) pairs.
    """
    mem_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    facts = [
        ("cores (`nproc`)", str(os.cpu_count())),
        ("CPU", cpu),
        ("memory", f"{mem_kib / 1024**2:.1f} GiB"),
        ("OS", platform.platform()),
        ("Python", platform.python_version()),
        ("uv", _version([_uv(), "--version"])),
        ("fixit", _version([_bin("fixit"), "--version"])),
    ]
    if project is not None:
        env = base_env()
        for tool in ("ruff", "mypy", "pytest"):
            done = subprocess.run(
                [_uv(), "run", tool, "--version"], cwd=project, env=env,
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            first = (done.stdout or done.stderr).strip().splitlines()
            facts.append((f"{tool} (in the app)", first[0] if first else "unavailable"))
    return facts


# ------------------------------------------------------------- start-up cost

HEAVY_IMPORTS = ("github", "anthropic", "libcst")


@dataclass(frozen=True)
class StartupCost:
    """What importing the CLI costs.

    Attributes:
        total_us: Cumulative import time of ``pattern_review.cli``, in µs.
        slowest: (module, cumulative µs) of its slowest direct imports.
        heavy_loaded: Which of PyGithub, anthropic and libcst got imported.
    """

    total_us: int
    slowest: list[tuple[str, int]]
    heavy_loaded: list[str]
    parser_s: float = 0.0
    parser_heavy: tuple[str, ...] = ()


def parse_importtime(stderr: str, module: str) -> StartupCost:
    """Read ``python -X importtime`` output.

    Args:
        stderr: What the interpreter wrote.
        module: The module whose cumulative time is the total.

    Returns:
        The cost; ``total_us`` is 0 when ``module`` was not imported.
    """
    entries: list[tuple[int, int, str]] = []  # (depth, cumulative, name)
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = line[len("import time:") :].split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        raw_name = parts[2]
        name = raw_name.strip()
        depth = (len(raw_name) - len(raw_name.lstrip())) // 2
        entries.append((depth, int(parts[1]), name))
    at = next((i for i, entry in enumerate(entries) if entry[2] == module), None)
    if at is None:
        return StartupCost(0, [], [])
    # Children are printed before their parent: the module's direct imports
    # are the depth+1 lines between the previous line at its depth and it.
    depth = entries[at][0]
    start = at
    while start > 0 and entries[start - 1][0] > depth:
        start -= 1
    children = sorted(
        ((name, cum) for d, cum, name in entries[start:at] if d == depth + 1),
        key=lambda item: -item[1],
    )
    loaded = sorted(
        {name.split(".")[0] for _, _, name in entries[start : at + 1]}
        & set(HEAVY_IMPORTS)
    )
    return StartupCost(entries[at][1], children[:8], loaded)


PARSER_PROBE = """
import sys, time
start = time.perf_counter()
from pattern_review.cli import build_parser
build_parser()
print(time.perf_counter() - start)
print(" ".join(sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[1:]))))
"""


def measure_startup() -> StartupCost:
    """Import the CLI in a fresh interpreter with ``-X importtime``.

    Also builds the argument parser (every verb's module), which is what
    any ``pattern-review`` invocation pays before doing its work.
    """
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import pattern_review.cli"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    cost = parse_importtime(done.stderr, "pattern_review.cli")
    probe = subprocess.run(
        [sys.executable, "-c", PARSER_PROBE, *HEAVY_IMPORTS],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    lines = probe.stdout.splitlines()
    if probe.returncode != 0 or not lines:
        return cost
    heavy = tuple(lines[1].split()) if len(lines) > 1 else ()
    return replace(cost, parser_s=float(lines[0]), parser_heavy=heavy)


# ---------------------------------------------------------------- document


def engine_section(comparison: object, files_from: str) -> str:
    """Render the engine throughput table (see engine_throughput.py)."""
    from benchmarks.engine_throughput import EngineComparison

    assert isinstance(comparison, EngineComparison)
    rows = [
        [
            t.name,
            str(t.files),
            f"{t.lines:,}",
            fmt_seconds(t.seconds),
            f"{t.files_per_s:.1f}",
            f"{t.lines_per_s:,.0f}",
        ]
        for t in (comparison.parse, comparison.engine, comparison.fixit)
    ]
    rows.append(
        [
            "· rules and positions (engine − parse)",
            "",
            "",
            fmt_seconds(comparison.rules_s),
            "",
            "",
        ]
    )
    verdict = Verdict(
        "convention engine ÷ fixit lint throughput (files/s, one core)",
        fmt_ratio(comparison.speedup),
        "≥ 3",
        comparison.speedup >= 3,
    )
    return (
        f"### Convention engine throughput\n\nOne core, one file after another, on "
        f"{files_from}.\n\n"
        + markdown_table(["engine", "files", "lines", "s", "files/s", "lines/s"], rows)
        + "\n"
        + markdown_table(
            ["target", "measured", "limit", "met"], verdict_rows([verdict])
        )
    )


def startup_section(cost: StartupCost) -> str:
    """Render the CLI start-up cost."""
    rows = [[f"`{name}`", f"{us / 1000:.1f}"] for name, us in cost.slowest]
    verdicts = [
        Verdict(
            "PyGithub / anthropic / libcst imported by `import pattern_review.cli`",
            ", ".join(cost.heavy_loaded) or "none",
            "none",
            not cost.heavy_loaded,
        ),
        Verdict(
            f"… and by building the full CLI parser ({cost.parser_s * 1000:.0f} ms)",
            ", ".join(cost.parser_heavy) or "none",
            "none",
            not cost.parser_heavy,
        ),
    ]
    return (
        "### CLI start-up\n\n"
        f'`python -X importtime -c "import pattern_review.cli"`: '
        f"{cost.total_us / 1000:.1f} ms cumulative for `pattern_review.cli`. "
        "Its slowest direct imports:\n\n"
        + markdown_table(["module", "ms"], rows)
        + "\n"
        + markdown_table(["target", "measured", "limit", "met"], verdict_rows(verdicts))
    )


def render_document(
    sections: Sequence[str],
    machine: Sequence[tuple[str, str]],
    commands: Sequence[str],
    started: str,
    elapsed_s: float,
    repeat: int = 1,
) -> str:
    """Assemble ``docs/benchmarks.md``.

    Args:
        sections: Rendered sections (one per size, engine, start-up).
        machine: (what, value) pairs from :func:`machine_description`.
        commands: The exact commands, one per line.
        started: When the run started (UTC, ISO 8601).
        elapsed_s: How long the whole benchmark took.
        repeat: Runs per measurement (the fastest is shown).

    Returns:
        Markdown.
    """
    machine_rows = markdown_table(
        ["what", "value"], [[what, value] for what, value in machine]
    )
    return (
        "# Benchmarks\n\n"
        "What a review costs as PRs grow, next to what a team would otherwise "
        "run: the agent file's Completion Checklist by hand, one tool after "
        "another through `uv run`, on the same changed files. Generated by "
        "`python -m benchmarks` (see `benchmarks/`); every number on this page "
        f"comes from one run started {started} that took {elapsed_s / 60:.1f} min"
        + (
            f"; each command ran {repeat} times and the fastest run is shown.\n\n"
            if repeat > 1
            else ".\n\n"
        )
        + "The apps are synthetic FastAPI backends written after the agent file's "
        "own patterns (routers, schemas, models, services, Celery tasks, tests); "
        "the PR extends existing resources and adds new ones, and a share of the "
        "changed files carries a seeded convention violation on an added line. "
        "*Cold* means no tool caches (fresh cache folder, no `.mypy_cache`, "
        "`.ruff_cache`, `.pytest_cache` or `__pycache__` in the work tree); *warm* "
        "is the same command again. Peak memory is the largest sum of resident "
        "memory over the whole process tree, polled every 50 ms. CPU seconds "
        "(user + system, from `wait4`) are not inflated by other work on the "
        "machine, wall seconds are: each size shows the load average around it, "
        "and the ratios compare runs made minutes apart under the same load.\n\n"
        "What each round of speed work changed, with its before-and-after "
        "measurements, is in [speed-history.md](speed-history.md) (written by "
        "hand; this page is regenerated).\n\n"
        "## Results\n\n"
        + "\n".join(sections)
        + "\n## Machine\n\n"
        + machine_rows
        + "\n## Reproduce\n\n```sh\n"
        + "\n".join(commands)
        + "\n```\n"
    )
