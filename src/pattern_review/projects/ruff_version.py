"""Which ruff formats and lints a project: the version it pins, else ours.

A project pins ruff in its uv lock, its requirements or its pre-commit
config; a different ruff version formats and lints differently, so the review
runs that version, through ``uv tool run ruff@VERSION`` (uv fetches it once
into its cache). ruff needs nothing of the project's environment, so it never
waits for one. Without a pin, without uv, in safe mode, or when that version
cannot be fetched, the ruff installed with pattern-review runs, and the
check's detail says which ruff it was.

This module is the one place that decides which ruff runs (``ruff_command``,
and ``run_ruff`` when an old pinned ruff refuses the review's arguments).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from pattern_review.context import CheckContext
from pattern_review.errors import CheckError
from pattern_review.projects.discovery import REQUIREMENTS_GLOB, Project, uv_lock
from pattern_review.projects.environments import find_uv
from pattern_review.projects.environments.kinds import PRINT_PREFIX
from pattern_review.projects.process import (
    RunnerKind,
    ToolRun,
    failure_reason,
    run_command,
)

# Only plain release versions reach the command line (the pin is PR content).
_VERSION = re.compile(r"^\d+(?:\.\d+){1,3}$")
_REQUIREMENT = re.compile(r"^\s*ruff\s*===?\s*v?([0-9][0-9.]*)\s*(?:[;#].*)?$", re.M)
_PRE_COMMIT = re.compile(
    r"astral-sh/ruff-pre-commit['\"]?\s*\n\s*rev:\s*['\"]?v?([0-9][0-9.]*)['\"]?"
)


@dataclass(frozen=True)
class RuffPin:
    """A ruff version a project pins.

    Attributes:
        version: The version, e.g. ``0.6.9``.
        source: Where it is pinned (``backend/uv.lock``).
    """

    version: str
    source: str


# Lock file content digest -> the ruff it pins: a review runs ruff dozens of
# times (the suggestions' checks), and parsing a large uv.lock costs each time.
_LOCK_PINS: dict[bytes, str | None] = {}


def _from_lock(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    key = hashlib.sha256(data).digest()
    if key not in _LOCK_PINS:
        _LOCK_PINS[key] = _parse_lock(data)
    return _LOCK_PINS[key]


def _parse_lock(data: bytes) -> str | None:
    try:
        packages = tomllib.loads(data.decode("utf-8")).get("package")
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    if not isinstance(packages, list):
        return None
    for package in packages:
        if isinstance(package, dict) and package.get("name") == "ruff":
            version = package.get("version")
            return version if isinstance(version, str) else None
    return None


def _search(pattern: re.Pattern[str], path: Path) -> str | None:
    try:
        match = pattern.search(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
    return match.group(1) if match else None


def _shown(repo: Path, path: Path) -> str:
    try:
        return path.relative_to(repo).as_posix()
    except ValueError:
        return path.name


def pinned_ruff(project: Project, repo: Path) -> RuffPin | None:
    """Return the ruff version a project pins, if any.

    Looks, in order, at the project's ``uv.lock`` (or its workspace's) and
    ``poetry.lock``, its
    ``requirements*.txt`` (``ruff==X``), then the nearest
    ``.pre-commit-config.yaml`` from the project up to the repository root.

    Args:
        project: The project.
        repo: The repository's root.

    Returns:
        The pin, or None when there is none (or it is no plain version).
    """
    candidates: list[tuple[Path, str | None]] = []
    for path in (uv_lock(repo, project.path), project.folder / "poetry.lock"):
        if path is not None and path.is_file():
            candidates.append((path, _from_lock(path)))
    for path in sorted(project.folder.glob(REQUIREMENTS_GLOB)):
        candidates.append((path, _search(_REQUIREMENT, path)))
    folder = project.folder
    while True:
        path = folder / ".pre-commit-config.yaml"
        if path.is_file():
            candidates.append((path, _search(_PRE_COMMIT, path)))
            break
        if folder == repo or folder.parent == folder:
            break
        folder = folder.parent
    for path, version in candidates:
        if version and _VERSION.match(version):
            return RuffPin(version, _shown(repo, path))
    return None


@functools.cache  # read from the installed package's metadata: once
def bundled_version() -> str:
    """Return the version of the ruff installed with pattern-review.

    Returns:
        The version, or ``unknown``.
    """
    try:
        return metadata.version("ruff")
    except metadata.PackageNotFoundError:
        return "unknown"


def bundled_command() -> list[str]:
    """Return the command that starts the bundled ruff.

    Its binary is started directly: ``python -m ruff`` would start an
    interpreter first, about 20 ms a run, and the suggestions' check runs
    ruff dozens of times. ``-P`` in the fallback keeps the work tree off
    ``sys.path``, so a PR's own ``ruff/`` package cannot stand in for the tool.

    Returns:
        The argv prefix.
    """
    return list(_bundled_argv())


@functools.cache
def _bundled_argv() -> tuple[str, ...]:
    try:
        from ruff import find_ruff_bin

        program: str = find_ruff_bin()
        return (program,)
    except (ImportError, FileNotFoundError):
        return (sys.executable, "-P", "-m", "ruff")


def ruff_command(ctx: CheckContext, *, lint: bool = True) -> tuple[list[str], str]:
    """Return how ruff starts for the context's project, and which ruff it is.

    The one place that decides the ruff version: the bundled ruff in safe
    mode, with the ``direct`` runner, without a pin or without uv; else the
    pinned version, fetched once per review (a failure falls back to the
    bundled ruff, and the note says why). ``ruff check`` gets the bundled
    ruff too where the pinned one predates the inline ``--config`` options
    the review passes it (ruff 0.2): known from the version, so every lint
    run of the review runs the same ruff. Decided once per project folder
    and review.

    Args:
        ctx: A check's context.
        lint: For ``ruff check`` (else ``ruff format``).

    Returns:
        The argv prefix that starts ruff, and the note naming which ruff it is.
    """
    folder, safe_mode = str(ctx.where.folder), str(ctx.target.safe_mode)
    key = (folder, safe_mode, ctx.config.runner, "check" if lint else "format")
    command, which = ctx.shared.once(
        ctx.shared.ruff_commands, key, lambda: _ruff_command(ctx, lint)
    )
    return list(command), which


def takes_inline_config(version: str) -> bool:
    """Return whether a ruff version takes ``--config NAME=VALUE`` (0.2 on).

    Args:
        version: A plain version (``0.1.9``).

    Returns:
        False for 0.1 and older.
    """
    try:
        major, minor = (int(part) for part in version.split(".")[:2])
    except ValueError:
        return True  # no plain version: let the run say
    return (major, minor) >= (0, 2)


def _ruff_command(ctx: CheckContext, lint: bool) -> tuple[tuple[str, ...], str]:
    bundled = f"bundled ruff {bundled_version()}"
    if ctx.target.safe_mode or ctx.config.runner == "direct":
        return _bundled_argv(), bundled
    pin = pinned_ruff(ctx.where, ctx.target.repo)
    if pin is None:
        return _bundled_argv(), f"{bundled}, the project pins none"
    which = f"ruff {pin.version}, pinned in {pin.source}"
    if pin.version == bundled_version():
        return _bundled_argv(), which
    if lint and not takes_inline_config(pin.version):
        return _bundled_argv(), (
            f"{bundled}: ruff {pin.version} (pinned in {pin.source}) cannot take"
            " the review's --config options, which came with ruff 0.2"
        )
    uv = find_uv()
    if uv is None:
        return _bundled_argv(), f"{bundled}: no uv to run ruff {pin.version}"
    shared = ctx.shared
    found = shared.once(
        shared.ruff_programs,
        ("ruff", pin.version),
        lambda: _fetch_pinned(ctx, uv, pin.version),
    )
    if not isinstance(found, Path):
        return _bundled_argv(), (
            f"{bundled}: ruff {pin.version} (pinned in {pin.source}) could not be"
            f" run: {found}"
        )
    return (str(found),), which


def _fetch_pinned(ctx: CheckContext, uv: str, version: str) -> Path | str:
    """Return the program of a pinned ruff, or why it could not be run.

    uv fetches that ruff into its cache once; asked for the tool's
    environment, it lets the checks start its ruff directly, with no uv in
    between. A failure falls back to the bundled ruff.
    """
    probe = [uv, "tool", "run", "--from", f"ruff=={version}"]
    probe += ["python", "-c", PRINT_PREFIX]
    env = {}
    if os.environ.get("UV_NO_CACHE"):
        # A throwaway cache (the container's setting) would delete the tool
        # with it: keep it in the review's cache folder.
        env = {"UV_NO_CACHE": "0", "UV_CACHE_DIR": str(ctx.cache_dir / "uv")}
    try:
        timeout = ctx.config.tool_timeout_s
        run = run_command(probe, ctx.where.folder, timeout, env, deadline=ctx.deadline)
    except CheckError as exc:
        return str(exc)
    lines = run.stdout.strip().splitlines()
    program = Path(lines[-1]) / "bin" / "ruff" if lines else None
    if run.exit_code == 0 and program is not None and program.is_file():
        return program
    return failure_reason(run, probe)


def _first_line(run: ToolRun) -> str:
    lines = [line.strip() for line in run.stderr.splitlines() if line.strip()]
    if lines and lines[0] == "ruff failed" and len(lines) > 1:
        return f"ruff failed: {lines[1]}"[:200]
    return lines[0][:200] if lines else "no output"


def _refused_arguments(run: ToolRun) -> bool:
    """Whether ruff rejected its command line (not a file, rule or config)."""
    if run.exit_code != 2 or run.stdout.strip():
        return False
    text = run.stderr
    if "Unknown rule selector" in text or "invalid value" in text:
        return False  # the check drops the code it lacks and asks again
    return "try '--help'" in text or text.lstrip().startswith("ruff failed")


def run_ruff(
    ctx: CheckContext,
    args: Sequence[str],
    env: Mapping[str, str],
    stdin_text: str | None = None,
    timeout_s: float | None = None,
) -> ToolRun:
    """Run the ruff ``ruff_command`` chose on the context's project.

    Args:
        ctx: The check's context.
        args: Arguments after ``ruff``.
        env: Extra environment variables.
        stdin_text: Text on ruff's stdin (with ``--stdin-filename``).
        timeout_s: This run's own budget; None: ruff's budget for one file
            (``ruff-timeout-s``). The review's deadline applies either way.

    Returns:
        The finished run; ``note`` says which ruff ran, ``runner`` whether
        it was the pinned one (``uv``) or the bundled one (``direct``).

    Raises:
        CheckError: ruff cannot start.
        ToolTimeoutError: It ran past its budget.
        ReviewBudgetError: The review's budget ran out first.
    """
    folder = ctx.where.folder
    timeout = ctx.config.ruff_timeout_s if timeout_s is None else timeout_s
    nice = ctx.niceness_now
    command, which = ruff_command(ctx, lint=args[:1] == ["check"])
    run = run_command(
        [*command, *args],
        folder,
        timeout,
        env,
        nice,
        ctx.tool_started,
        deadline=ctx.deadline,
        stdin_text=stdin_text,
    )
    kind: RunnerKind = "direct" if tuple(command) == _bundled_argv() else "uv"
    if kind == "uv" and _refused_arguments(run):
        # An old pinned ruff that lacks an option the review needs (inline
        # ``--config`` overrides came with 0.2): the bundled one stands in.
        why = _first_line(run)
        which = (
            f"bundled ruff {bundled_version()}: {which.split(',')[0]} cannot"
            f" run the review's arguments ({why})"
        )
        run = run_command(
            [*bundled_command(), *args],
            folder,
            timeout,
            env,
            nice,
            deadline=ctx.deadline,
            stdin_text=stdin_text,
        )
        kind = "direct"
    return ToolRun(run.exit_code, run.stdout, run.stderr, run.seconds, kind, which)
