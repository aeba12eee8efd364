"""The ``uv`` strategy: a uv project synced as ``uv run`` would, and uv itself.

A project with a ``uv.lock`` (its own or its workspace's) is synced with
``uv sync --frozen`` into the cache folder, with the extras and groups the
repository's CI names (``ci``), else all extras and the dev/test groups;
without one (``runner = "uv"``) the environment is used as it is, and no
lock is written into the work tree.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
from pathlib import Path

from pattern_review.context import CheckContext
from pattern_review.projects.accounts import Account
from pattern_review.projects.discovery import uv_lock
from pattern_review.projects.environments.build import build_reason, uv_cache_for
from pattern_review.projects.environments.ci import ci_install, select
from pattern_review.projects.environments.declared import (
    declared_extras,
    dependency_groups,
)
from pattern_review.projects.environments.kinds import (
    PRINT_PREFIX,
    Environment,
    environment_failure,
)
from pattern_review.projects.process import run_command


def _is_shim(path: str) -> bool:
    return Path(path).parent.name == "shims"


def find_uv() -> str | None:
    """Return the uv executable to use, or None without one.

    A ``UV`` variable wins; then the ``uv`` package's own binary (uv installed
    with pip); then PATH. A pyenv shim on PATH resolves to the real binary
    when pyenv can say which (its choice depends on the folder, and inside a
    project whose ``.python-version`` names a Python pyenv lacks it fails).

    Returns:
        A path or command name, or None.
    """
    given = os.environ.get("UV")
    if given and Path(given).is_file():
        return given
    with contextlib.suppress(ImportError, FileNotFoundError, OSError):
        import uv  # type: ignore[import-not-found,unused-ignore]

        found = str(uv.find_uv_bin())
        if Path(found).is_file():
            return found
    on_path = shutil.which("uv")
    if on_path and _is_shim(on_path):
        pyenv = shutil.which("pyenv")
        if pyenv:
            real = _behind_shim(pyenv)
            if real:
                return real
    return on_path


@functools.cache
def _behind_shim(pyenv: str) -> str | None:
    """Return the uv binary pyenv's shim starts, asked once per process.

    ``pyenv which`` takes a tenth of a second or more, and its answer (from
    the home folder, not the project's) does not change during a review.
    """
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        real = subprocess.run(
            [pyenv, "which", "uv"],
            cwd=Path.home(),
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        ).stdout.strip()
        if real and Path(real).is_file():
            return real
    return None


def has_lock(ctx: CheckContext) -> bool:
    """Return whether the context's project is synced from a uv lock.

    Args:
        ctx: A check's context.

    Returns:
        True when it or its workspace has a ``uv.lock``.
    """
    return uv_lock(ctx.target.repo, ctx.where.path) is not None


def uv_sync(
    ctx: CheckContext, uv: str, account: Account | None, root: Path
) -> Environment:
    """Sync the project's uv environment into the cache folder, as ``uv run``.

    Args:
        ctx: A check's context.
        uv: The uv executable.
        account: Whom uv runs as (it builds the PR's project with its own
            build backend), None for us.
        root: The cache folder that user owns; the environment is ``uv-env``.

    Returns:
        The synced environment.

    Raises:
        CheckError: uv failed; the reason is its meaningful line.
    """
    project = ctx.where
    folder = root / "uv-env"
    env = {"UV_PROJECT_ENVIRONMENT": str(folder), **uv_cache_for(account, root)}
    # With a lock, install exactly it; without one (``runner = "uv"``), use
    # the environment as it is rather than write a uv.lock into the work tree.
    sync = "--frozen" if has_lock(ctx) else "--no-sync"
    chosen = select(
        ci_install(ctx.target.repo),
        declared_extras(project.folder),
        dependency_groups(project.folder),
    )
    flags = [f"--extra={extra}" for extra in chosen.extras]
    flags += [f"--group={group}" for group in chosen.groups]
    if sync == "--no-sync":
        flags = []
    argv = [uv, "run", "--project", str(project.folder), sync, *flags]
    argv += ["python", "-c", PRINT_PREFIX]
    timeout = ctx.config.tool_timeout_s
    run = run_command(argv, project.folder, timeout, env, account=account)
    lines = run.stdout.strip().splitlines()
    if run.exit_code != 0 or not lines:
        verb = ["sync", "--frozen"] if sync == "--frozen" else ["run", "--no-sync"]
        shown = ["uv", *verb, "--project", project.path, *flags]
        raise environment_failure(
            project, build_reason(run, shown), run.stderr + run.stdout
        )
    origin = f"the uv.lock environment of {project.label}"
    if sync == "--frozen":
        origin += str(chosen)
    return Environment("uv", Path(lines[-1]), origin)
