"""Building an environment into the review's cache folder, shared by the strategies.

A built environment is a fresh venv in ``envs/<kind>-<key>`` of the cache
folder, keyed by the content it is built from, and marked complete only once
its install command succeeded. When the review is root, all of it runs as the
unprivileged user of ``accounts``, into a folder that user owns.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from pattern_review.context import CheckContext
from pattern_review.projects.accounts import Account, refusal, why_unrunnable
from pattern_review.projects.discovery import Project
from pattern_review.projects.environments.kinds import (
    Environment,
    EnvironmentKind,
    environment_failure,
)
from pattern_review.projects.error_lines import first_error_line
from pattern_review.projects.process import ToolRun, failure_reason, run_command
from pattern_review.projects.tool_config import read_pyproject

_DONE = ".pattern-review-complete"
# A version (3.12, pypy@3.10, cpython-3.12.1) or a specifier (>=3.11,<4).
_PYTHON_REQUEST = re.compile(r"\w[\w.@+-]*|[<>=!~][\w.<>=!~*, ]*")


def require_runnable(project: Project, account: Account | None, program: str) -> None:
    """Fail the environment when its user cannot run a program we start.

    Args:
        project: The project whose environment is set up.
        account: The user the PR's code runs as, None for us.
        program: The program (a path, or a name looked up on PATH).

    Raises:
        CheckError: That user cannot reach or run it; the message says why.
    """
    if account is None:
        return
    found = shutil.which(program) or program
    why = why_unrunnable(account, Path(found))
    if why:
        raise environment_failure(project, refusal("the PR's code is not run", why), "")


def build_reason(run: ToolRun, argv: list[str]) -> str:
    """Return the one-line reason of a failed environment build.

    Args:
        run: The failed command.
        argv: What was run (its program shown by name).

    Returns:
        The first error-looking line of the log (``error_lines``), else the
        process's own summary; then the command (the message names the
        project's folder).
    """
    found = first_error_line(f"{run.stderr}\n{run.stdout}")
    if found is None:
        reason = failure_reason(run, argv)
    else:
        shown = " ".join([Path(argv[0]).name, *argv[1:]])
        shown = shown if len(shown) <= 120 else shown[:117] + "..."
        reason = f"{found} (`{shown}`)"
    return reason


def digest(*parts: bytes) -> str:
    """Return a short key for the content a built environment comes from.

    Args:
        *parts: The contents (files, the install command).

    Returns:
        16 hex digits.
    """
    combined = hashlib.sha256()
    for part in parts:
        combined.update(hashlib.sha256(part).digest())
    return combined.hexdigest()[:16]


def python_pins(project: Project) -> list[bytes]:
    """Return the files that choose the Python version uv builds with.

    Args:
        project: The project.

    Returns:
        The contents of its ``.python-version`` and ``pyproject.toml``, those
        it has.
    """
    pins = []
    for name in (".python-version", "pyproject.toml"):
        with contextlib.suppress(OSError):
            pins.append((project.folder / name).read_bytes())
    return pins


def python_request(project: Project) -> str:
    """Return the Python a built environment asks uv for, empty for uv's default.

    The project's ``.python-version`` (its first line), else its
    ``requires-python`` (``>=3.12``): ``uv venv --no-project`` reads neither,
    and a default interpreter the project refuses fails its install.

    Args:
        project: The project.

    Returns:
        A uv Python request, or an empty string (none, or not a plain version
        or specifier: the file is PR content).
    """
    request = ""
    pin = project.folder / ".python-version"
    with contextlib.suppress(OSError, UnicodeDecodeError):
        lines = pin.read_text(encoding="utf-8").strip().splitlines()
        request = lines[0].strip() if lines else ""
    if not request:
        table = read_pyproject(project.folder).get("project")
        wanted = table.get("requires-python") if isinstance(table, dict) else None
        request = wanted.strip() if isinstance(wanted, str) else ""
    return request if _PYTHON_REQUEST.fullmatch(request) else ""


def uv_cache_for(account: Account | None, root: Path) -> dict[str, str]:
    """Return the variables for uv run as ``account``: a cache it may write.

    Not the job's ``UV_CACHE_DIR`` (root's), nor root's pinned-ruff cache.

    Args:
        account: The user the PR's code runs as, None for us.
        root: The cache folder that user owns (``cache_root``).

    Returns:
        ``UV_CACHE_DIR`` under ``root``, or nothing when we run the code.
    """
    return {} if account is None else {"UV_CACHE_DIR": str(root / "uv")}


def built_folder(root: Path, kind: EnvironmentKind, key: str) -> tuple[Path, bool]:
    """Return the cache folder of a built environment and whether it is ready.

    Args:
        root: The cache folder (``cache_root``).
        kind: The strategy that builds it.
        key: The ``digest`` of what it is built from.

    Returns:
        The folder, and whether an earlier build completed there.
    """
    folder = root / "envs" / f"{kind}-{key}"
    return folder, (folder / _DONE).is_file()


def fresh_venv(
    ctx: CheckContext,
    uv: str | None,
    folder: Path,
    account: Account | None,
    root: Path,
    python: str = "",
) -> None:
    """Make an empty venv in ``folder``, with uv when there is one.

    Args:
        ctx: A check's context (its project, the tool timeout).
        uv: The uv executable, or None for ``python -m venv``.
        folder: Where the venv goes (``built_folder``); emptied first.
        account: The user the PR's code runs as, None for us.
        root: The cache folder that user owns.
        python: The Python to ask uv for (a hatch env's ``python``); empty
            for ``python_request``.

    Raises:
        CheckError: The venv could not be made (the environment's failure).
    """
    project = ctx.where
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    if account is not None:
        account.owns(folder.parent)
    if uv:
        argv = [uv, "venv", "--quiet", "--no-project", str(folder)]
        request = python if _PYTHON_REQUEST.fullmatch(python) else ""
        request = request or python_request(project)
        if request:
            argv.append(f"--python={request}")
    else:
        argv = [sys.executable, "-m", "venv", str(folder)]
    require_runnable(project, account, argv[0])
    env = uv_cache_for(account, root)
    timeout = ctx.config.tool_timeout_s
    run = run_command(argv, project.folder, timeout, env, account=account)
    if run.exit_code != 0:
        raise environment_failure(
            project, build_reason(run, argv), run.stderr + run.stdout
        )


def install_into(
    ctx: CheckContext,
    argv: list[str],
    folder: Path,
    account: Account | None,
    root: Path,
    shell: bool = False,
) -> None:
    """Run an install command into a fresh venv and mark the venv complete.

    Args:
        ctx: A check's context (its project, the tool timeout).
        argv: The command; with ``shell``, one shell command line.
        folder: The venv (``fresh_venv``), activated for the command.
        account: The user the PR's code runs as, None for us.
        root: The cache folder that user owns.
        shell: Run ``argv[0]`` through ``/bin/sh`` (the config's command).

    Raises:
        CheckError: The command failed; the venv is removed.
    """
    project = ctx.where
    env = {
        "VIRTUAL_ENV": str(folder),
        "PATH": os.pathsep.join([str(folder / "bin"), os.environ.get("PATH", "")]),
        # ``uv pip install`` in the command fills this environment, not the
        # interpreter a job's UV_PYTHON or UV_SYSTEM_PYTHON (the container's)
        # would pick: the system Python, root's, which the PR must not touch.
        "UV_PYTHON": str(folder / "bin" / "python"),
        "UV_SYSTEM_PYTHON": "0",
        **uv_cache_for(account, root),
    }
    command = ["/bin/sh", "-c", argv[0]] if shell else argv
    timeout = ctx.config.tool_timeout_s
    run = run_command(command, project.folder, timeout, env, account=account)
    if run.exit_code != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise environment_failure(
            project, build_reason(run, command), run.stderr + run.stdout
        )
    (folder / _DONE).write_text("", encoding="utf-8")


def uv_pip_built(
    ctx: CheckContext,
    uv: str,
    account: Account | None,
    root: Path,
    build: UvPipBuild,
) -> Environment:
    """Build (or reuse) an environment ``uv pip install`` fills from a spec.

    It is keyed by the spec, the files it reads and the Python pins, and
    built again only when one of them changes. pytest is installed beside
    the spec: the checklist runs the tests.

    Args:
        ctx: A check's context.
        uv: The uv executable (the venv and the install).
        account: The user the install runs as, None for us.
        root: That user's cache folder.
        build: What to install, and how the environment is named.

    Returns:
        The environment.

    Raises:
        CheckError: uv could not make the venv or install the spec.
    """
    project = ctx.where
    contents = [" ".join([build.python, *build.spec]).encode(), *build.contents]
    contents += python_pins(project)
    folder, ready = built_folder(root, build.kind, digest(*contents))
    if not ready:
        fresh_venv(ctx, uv, folder, account, root, build.python)
        python = str(folder / "bin" / "python")
        argv = [uv, "pip", "install", "--quiet", "--python", python, *build.spec]
        install_into(ctx, [*argv, "pytest"], folder, account, root)
    return Environment(build.kind, folder, build.origin)


@dataclass(frozen=True)
class UvPipBuild:
    """What ``uv_pip_built`` installs.

    Attributes:
        kind: The strategy (names the cache folder too).
        spec: ``uv pip install`` arguments, run in the project's folder.
        contents: The contents of the files the spec reads (the key).
        origin: The environment as the check's detail names it, with why.
        python: The Python to build it with; empty for the project's.
    """

    kind: EnvironmentKind
    spec: list[str]
    contents: list[bytes]
    origin: str
    python: str = ""
