"""Where mypy and pytest find a project's packages: its Python environment.

Each project gets one environment per review, found or built by the first
check that needs it and shared with the others (``SharedSetup``). In order,
unless the ``environment`` setting picks one:

1. ``venv``: the project's own ``.venv`` or ``venv``, else ``$VIRTUAL_ENV``
   (an environment the job's earlier steps activated), whose interpreter runs;
2. ``uv``: a uv project (its ``uv.lock``, or its workspace's), synced with
   ``uv sync --frozen`` into the cache folder, as ``uv run`` would;
3. ``requirements``: ``requirements*.txt``, or PEP 621 dependencies and
   dependency groups without a uv lock: an environment uv builds from them in
   the cache folder, keyed by those files' content;
4. ``install``: the ``install`` command of the config, run into a fresh
   environment in the cache folder;
5. ``bundled``: none; the tools installed with pattern-review run alone (mypy
   then ignores missing imports), and the check's detail says so.

ruff needs none of this: it never waits for an environment (see ruff_tool.py).
An environment that cannot be set up fails only the checks that need it,
with the meaningful line of the failed command as the reason.

Finding and building an environment runs the PR's code (a committed
``.venv/bin/python``, its build backend, its ``install`` command): when the
review is root, all of it runs as the unprivileged user of ``unprivileged``,
into a folder that user owns.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from pattern_review.context import CheckContext, CheckError
from pattern_review.projects.accounts import (
    RUN_AS_VARIABLE,
    Account,
    UnprivilegedError,
    account_for,
    why_unrunnable,
)
from pattern_review.projects.discovery import REQUIREMENTS_GLOB, Project, uv_lock
from pattern_review.projects.process import ToolRun, run_command
from pattern_review.projects.tool_config import read_pyproject

EnvironmentKind = Literal["venv", "uv", "requirements", "install", "bundled"]
_PRINT_PREFIX = "import sys; print(sys.prefix)"
_DONE = ".pattern-review-complete"


@dataclass(frozen=True)
class Environment:
    """A project's Python environment, as the checks use it.

    Attributes:
        kind: How it was found or built.
        prefix: Its folder (``bin/python`` inside); None for ``bundled``.
        origin: What it is, for the check's detail (``backend/.venv``).
    """

    kind: EnvironmentKind
    prefix: Path | None
    origin: str

    @property
    def python(self) -> Path | None:
        """The environment's interpreter, None for the bundled tools."""
        return None if self.prefix is None else self.prefix / "bin" / "python"

    def program(self, tool: str) -> Path | None:
        """Return the environment's own copy of a tool, if it has one.

        Args:
            tool: ``mypy`` or ``pytest``.

        Returns:
            Its executable, or None.
        """
        if self.prefix is None:
            return None
        program = self.prefix / "bin" / tool
        return program if program.is_file() else None


class EnvironmentSetupError(CheckError):
    """A project's environment could not be set up."""


def environment_failure(project: Project, reason: str, output: str) -> CheckError:
    """Build the error that fails a project's mypy and pytest.

    Args:
        project: The project.
        reason: The meaningful line (the first ``error:``) and the command.
        output: The whole output of the failed command.

    Returns:
        The error, message ``environment of backend/ could not be set up: ...``.
    """
    return EnvironmentSetupError(
        f"environment of {project.label} could not be set up: {reason}", output
    )


# --- who runs the PR's code, and where ------------------------------------


def code_account(ctx: CheckContext, what: str) -> Account | None:
    """Return the user the project's code runs as (None: as we are).

    Args:
        ctx: A check's context.
        what: What does not happen when that user cannot (``tests not run``).

    Returns:
        None in safe mode (no PR code runs), when not root, or when the
        switch is off.

    Raises:
        CheckError: That user does not exist or cannot read the work tree.
    """
    if ctx.target.safe_mode:
        return None
    try:
        return account_for(ctx.target.repo)
    except UnprivilegedError as exc:
        raise CheckError(f"{what} (the review is root): {exc}") from exc


def cache_root(ctx: CheckContext, account: Account | None) -> Path:
    """Return where the project's environments and mypy's cache live.

    Args:
        ctx: A check's context.
        account: The user the project's code runs as, if not us.

    Returns:
        The project's cache folder, or a folder of it that user owns.
    """
    if account is None:
        return ctx.cache_dir
    return account.cache_folder(ctx.cache_dir)


def _runnable(project: Project, account: Account | None, program: str) -> None:
    """Fail the environment when its user cannot run a program we start."""
    if account is None:
        return
    found = shutil.which(program) or program
    why = why_unrunnable(account, Path(found))
    if why:
        raise environment_failure(
            project,
            f"the PR's code is not run (the review is root): {why}; make it"
            f" reachable, or set {RUN_AS_VARIABLE}=root where the code is trusted",
            "",
        )


# --- uv itself -------------------------------------------------------------


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
    return on_path


_ERROR_LINE = re.compile(r"^(?:error|fatal)\b", re.IGNORECASE)
# A Python exception a tool let out (``ChefBuildError``, ``OSError: ...``),
# unindented: not a frame of a traceback.
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception)\b(?::|$)")


def failure_reason(run: ToolRun, argv: list[str]) -> str:
    """Return the meaningful line of a failed command, and the command.

    Args:
        run: The finished command.
        argv: What was run.

    Returns:
        A pyenv shim's complaint, named as such; else the first ``error:``
        line (uv, pip); else the first exception a tool let out, with the
        line after it when it names none; else the last line. Then the
        command, shortened.
    """
    raw = f"{run.stderr}\n{run.stdout}".splitlines()
    lines = [line.strip() for line in raw if line.strip()]
    shown = " ".join(Path(argv[0]).name if i == 0 else a for i, a in enumerate(argv))
    shown = shown if len(shown) <= 120 else shown[:117] + "..."
    for line in lines:
        if line.startswith("pyenv:"):
            return f"uv is a pyenv shim that failed here: {line[:200]} (`{shown}`)"
    found = next((line for line in lines if _ERROR_LINE.match(line)), None)
    if found is None:
        unindented = [line.rstrip() for line in raw if line.strip() and line[0] != " "]
        for index, line in enumerate(unindented):
            if _EXCEPTION_LINE.match(line):
                found = line
                if ":" not in line and index + 1 < len(unindented):
                    found = f"{line}: {unindented[index + 1]}"
                break
    return f"{(found or run.last_line())[:300]} (`{shown}`)"


# --- finding an environment ------------------------------------------------


def _runs(python: Path, folder: Path, account: Account | None) -> Path | None:
    """Return the prefix of an interpreter that starts, else None."""
    if not python.is_file():
        return None
    if account is not None and why_unrunnable(account, python):
        return None
    try:
        argv = [str(python), "-c", _PRINT_PREFIX]
        run = run_command(argv, folder, 60, account=account)
    except CheckError:
        return None
    lines = run.stdout.strip().splitlines()
    return Path(lines[-1]) if run.exit_code == 0 and lines else None


def _venv_candidates(project: Project) -> list[tuple[Path, str]]:
    """The venvs a project may already have, in order, each with its name."""
    inside = "" if project.path == "." else f"{project.path}/"
    named = [(project.folder / name, f"{inside}{name}") for name in (".venv", "venv")]
    active = os.environ.get("VIRTUAL_ENV")
    # Not pattern-review's own environment (``uv run pattern-review`` sets it).
    if active and Path(active).resolve() != Path(sys.prefix).resolve():
        named.append((Path(active), f"$VIRTUAL_ENV ({active})"))
    return named


def _existing_venv(project: Project, account: Account | None) -> Environment | None:
    for prefix, name in _venv_candidates(project):
        if _runs(prefix / "bin" / "python", project.folder, account) is not None:
            return Environment("venv", prefix, f"the venv {name}")
    return None


def _venvs_out_of_reach(project: Project, account: Account | None) -> list[str]:
    """Name the venvs passed over only because the user cannot run them."""
    if account is None:
        return []
    return [
        name
        for prefix, name in _venv_candidates(project)
        if (prefix / "bin" / "python").is_file()
        and why_unrunnable(account, prefix / "bin" / "python")
    ]


def _has_lock(ctx: CheckContext) -> bool:
    return uv_lock(ctx.target.repo, ctx.where.path) is not None


def _requirement_files(project: Project) -> list[Path]:
    return sorted(p for p in project.folder.glob(REQUIREMENTS_GLOB) if p.is_file())


def _dependency_groups(project: Project) -> list[str]:
    groups = read_pyproject(project.folder).get("dependency-groups")
    return sorted(groups) if isinstance(groups, dict) else []


def _has_pep621_dependencies(project: Project) -> bool:
    table = read_pyproject(project.folder).get("project")
    declared = isinstance(table, dict) and (
        bool(table.get("dependencies")) or bool(table.get("optional-dependencies"))
    )
    return declared or bool(_dependency_groups(project))


def _digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:16]


def _python_pins(project: Project) -> list[bytes]:
    """The files that choose the Python version uv builds with."""
    pins = []
    for name in (".python-version", "pyproject.toml"):
        with contextlib.suppress(OSError):
            pins.append((project.folder / name).read_bytes())
    return pins


def _as(account: Account | None, root: Path) -> dict[str, str]:
    """Variables for uv run as ``account``: a cache that user may write.

    Not the job's ``UV_CACHE_DIR`` (root's), nor root's pinned-ruff cache.
    """
    return {} if account is None else {"UV_CACHE_DIR": str(root / "uv")}


def _uv_sync(
    ctx: CheckContext, uv: str, account: Account | None, root: Path
) -> Environment:
    project = ctx.where
    folder = root / "uv-env"
    env = {"UV_PROJECT_ENVIRONMENT": str(folder), **_as(account, root)}
    # With a lock, install exactly it; without one (``runner = "uv"``), use
    # the environment as it is rather than write a uv.lock into the work tree.
    sync = "--frozen" if _has_lock(ctx) else "--no-sync"
    argv = [uv, "run", "--project", str(project.folder), sync]
    argv += ["python", "-c", _PRINT_PREFIX]
    timeout = ctx.config.tool_timeout_s
    run = run_command(argv, project.folder, timeout, env, account=account)
    lines = run.stdout.strip().splitlines()
    if run.exit_code != 0 or not lines:
        verb = ["sync", "--frozen"] if sync == "--frozen" else ["run", "--no-sync"]
        shown = ["uv", *verb, "--project", project.path]
        raise environment_failure(
            project, failure_reason(run, shown), run.stderr + run.stdout
        )
    origin = f"the uv.lock environment of {project.label}"
    return Environment("uv", Path(lines[-1]), origin)


def _build(root: Path, kind: EnvironmentKind, key: str) -> tuple[Path, bool]:
    """Return the cache folder of a built environment and whether it is ready."""
    folder = root / "envs" / f"{kind}-{key}"
    return folder, (folder / _DONE).is_file()


def _fresh_venv(
    ctx: CheckContext,
    uv: str | None,
    folder: Path,
    account: Account | None,
    root: Path,
) -> None:
    project = ctx.where
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    if account is not None:
        account.owns(folder.parent)
    if uv:
        # In the project's folder, so uv honours its .python-version and
        # requires-python.
        argv = [uv, "venv", "--quiet", "--no-project", str(folder)]
        pin = project.folder / ".python-version"
        if pin.is_file():
            version = pin.read_text(encoding="utf-8").strip().splitlines()
            if version:
                argv += ["--python", version[0].strip()]
    else:
        argv = [sys.executable, "-m", "venv", str(folder)]
    _runnable(project, account, argv[0])
    env = _as(account, root)
    timeout = ctx.config.tool_timeout_s
    run = run_command(argv, project.folder, timeout, env, account=account)
    if run.exit_code != 0:
        raise environment_failure(
            project, failure_reason(run, argv), run.stderr + run.stdout
        )


def _install(
    ctx: CheckContext,
    argv: list[str],
    folder: Path,
    account: Account | None,
    root: Path,
    shell: bool = False,
) -> None:
    project = ctx.where
    env = {
        "VIRTUAL_ENV": str(folder),
        "PATH": os.pathsep.join([str(folder / "bin"), os.environ.get("PATH", "")]),
        # ``uv pip install`` in the command fills this environment, not the
        # interpreter a job's UV_PYTHON or UV_SYSTEM_PYTHON (the container's)
        # would pick: the system Python, root's, which the PR must not touch.
        "UV_PYTHON": str(folder / "bin" / "python"),
        "UV_SYSTEM_PYTHON": "0",
        **_as(account, root),
    }
    command = ["/bin/sh", "-c", argv[0]] if shell else argv
    timeout = ctx.config.tool_timeout_s
    run = run_command(command, project.folder, timeout, env, account=account)
    if run.exit_code != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise environment_failure(
            project, failure_reason(run, command), run.stderr + run.stdout
        )
    (folder / _DONE).write_text("", encoding="utf-8")


def _from_requirements(
    ctx: CheckContext, uv: str, account: Account | None, root: Path
) -> Environment:
    project = ctx.where
    files = _requirement_files(project)
    groups = _dependency_groups(project)
    contents = [f.read_bytes() for f in files] + _python_pins(project)
    folder, ready = _build(root, "requirements", _digest(*contents))
    names = [f.name for f in files]
    if not files:
        names = ["pyproject.toml"]
    origin = f"the environment uv built from {', '.join(names)} of {project.label}"
    if ready:
        return Environment("requirements", folder, origin)
    _fresh_venv(ctx, uv, folder, account, root)
    argv = [uv, "pip", "install", "--quiet", "--python", str(folder / "bin/python")]
    if files:
        for file in files:
            argv += ["-r", file.name]
    else:
        argv += ["-r", "pyproject.toml", "--all-extras"]
        for group in groups:
            argv += ["--group", f"pyproject.toml:{group}"]
    # The checklist runs the tests: they need pytest beside the dependencies.
    argv.append("pytest")
    _install(ctx, argv, folder, account, root)
    return Environment("requirements", folder, origin)


def _from_install_command(
    ctx: CheckContext, uv: str | None, account: Account | None, root: Path
) -> Environment:
    project = ctx.where
    command = ctx.config.install or ""
    contents = [command.encode()] + [
        f.read_bytes() for f in _requirement_files(project)
    ]
    contents += _python_pins(project)
    folder, ready = _build(root, "install", _digest(*contents))
    origin = f"the environment of {project.label} built by `{command}`"
    if not ready:
        _fresh_venv(ctx, uv, folder, account, root)
        _install(ctx, [command], folder, account, root, shell=True)
    return Environment("install", folder, origin)


def _bundled(project: Project, why: str) -> Environment:
    return Environment("bundled", None, f"bundled tools: {why}")


def _wanted(ctx: CheckContext) -> str:
    if ctx.config.runner == "direct":
        return "bundled"
    if ctx.config.runner == "uv":
        return "uv"
    return ctx.config.environment


def _set_up(ctx: CheckContext) -> Environment:
    """Find or build the project's environment; see the module docstring."""
    project = ctx.where
    if ctx.target.safe_mode:
        return _bundled(project, "safe mode, no PR code runs")
    wanted = _wanted(ctx)
    if wanted == "bundled":
        return _bundled(project, "the environment setting says so")
    uv = find_uv()
    account = code_account(ctx, "the PR's code is not run")
    root = cache_root(ctx, account)
    if wanted in ("auto", "venv"):
        found = _existing_venv(project, account)
        if found is not None:
            return found
        if wanted == "venv":
            raise environment_failure(
                project, "no .venv or venv whose python runs, and no $VIRTUAL_ENV", ""
            )
    if wanted in ("auto", "uv") and (_has_lock(ctx) or wanted == "uv"):
        if uv is None:
            raise environment_failure(project, "uv is not installed", "")
        _runnable(project, account, uv)
        return _uv_sync(ctx, uv, account, root)
    needs_install = wanted == "install" or (wanted == "auto" and ctx.config.install)
    if wanted in ("auto", "requirements") and not needs_install:
        if _requirement_files(project) or _has_pep621_dependencies(project):
            if uv is None:
                raise environment_failure(
                    project, "uv is needed to build it and is not installed", ""
                )
            _runnable(project, account, uv)
            return _from_requirements(ctx, uv, account, root)
        if wanted == "requirements":
            raise environment_failure(
                project, "no requirements*.txt or PEP 621 dependencies", ""
            )
    if needs_install:
        if not ctx.config.install:
            raise environment_failure(project, "no install command configured", "")
        if uv is not None:
            _runnable(project, account, uv)
        return _from_install_command(ctx, uv, account, root)
    why = f"no environment found for {project.label}"
    out_of_reach = _venvs_out_of_reach(project, account)
    if out_of_reach:
        assert account is not None
        why += (
            f" ({', '.join(out_of_reach)}: out of the reach of {account.name!r},"
            " the user the PR's code runs as)"
        )
    return _bundled(project, why)


def _key(ctx: CheckContext) -> tuple[str, ...]:
    folder = ctx.where.folder
    stamps = []
    for name in ("uv.lock", "pyproject.toml", ".python-version"):
        try:
            stat = (folder / name).stat()
            stamps.append(f"{name}:{stat.st_mtime_ns}:{stat.st_size}")
        except OSError:
            stamps.append(f"{name}:-")
    lock = uv_lock(ctx.target.repo, ctx.where.path)
    if lock is not None and lock.parent != folder:
        stat = lock.stat()
        stamps.append(f"{lock}:{stat.st_mtime_ns}:{stat.st_size}")
    config = ctx.config
    settings = (config.runner, config.environment, config.install or "")
    return (str(folder), str(ctx.cache_dir), *settings, *stamps)


def project_environment(ctx: CheckContext) -> Environment:
    """Return the environment of the context's project, set up once per review.

    The first check to ask sets it up while the others wait; a failure is
    kept too, so every check that needs it reports the same reason at once.

    Args:
        ctx: A check's context.

    Returns:
        The environment.

    Raises:
        CheckError: It could not be set up (``environment of backend/ could
            not be set up: <reason>``).
    """
    if ctx.tool_started is not None:
        # Setting an environment up is mostly waiting (downloads, installs):
        # the checks that need none start now rather than after it.
        ctx.tool_started.set()
    key = _key(ctx)
    shared = ctx.shared
    with shared.lock:
        # One lock per environment: projects set theirs up side by side.
        own_lock = shared.locks.setdefault(key, threading.Lock())
    with own_lock:
        if key not in shared.environments:
            try:
                shared.environments[key] = _set_up(ctx)
            except CheckError as exc:
                shared.environments[key] = exc
        found = shared.environments[key]
    if isinstance(found, CheckError):
        raise EnvironmentSetupError(str(found), found.output)
    return cast(Environment, found)
