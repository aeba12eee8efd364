"""How the Completion Checklist tools (ruff, mypy, pytest) are started.

The agent file's checklist says ``uv run <tool>``: in a uv project the tools
run in the target's own environment, with its versions and dependencies. Else
(or when uv cannot find the tool there) the copies installed with
pattern-review run as ``python -m <tool>``. In safe mode nothing of the PR may
execute, and ``uv run`` would build the PR's project, so only the bundled
tools run.

The bundled tools start with ``python -P``, so the work tree is not on
``sys.path``: a PR's own ``ruff/`` or ``mypy/`` package cannot stand in for
the tool. No tool gets the run's secrets (tokens, the action's inputs): none
needs them, and a target's tests or build steps could leak them.

Nothing here may write into the work tree: uv's environment goes to the cache
folder unless the target already has a ``.venv``, a repo without ``uv.lock`` is
never locked, and Python never writes bytecode.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pattern_review.checks.base import CheckContext, CheckError
from pattern_review.unprivileged import Account

Tool = Literal["ruff", "mypy", "pytest"]
RunnerKind = Literal["uv", "direct"]
# Never passed to a tool: the action's inputs (``INPUT_*``) carry the tokens too.
SECRET_VARIABLES = frozenset(
    {
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "ANTHROPIC_API_KEY",
        "ACTIONS_RUNTIME_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
    }
)
SECRET_PREFIXES: tuple[str, ...] = ("INPUT_",)


@dataclass(frozen=True)
class ToolRun:
    """What a finished command left behind.

    Attributes:
        exit_code: The process's exit status.
        stdout: Its standard output, decoded.
        stderr: Its standard error, decoded.
        seconds: Wall time.
        runner: ``uv`` or ``direct``: how the tool was started.
        note: Why the tool ran another way than asked (for the check's
            detail), or empty.
    """

    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    runner: RunnerKind = "direct"
    note: str = ""

    def last_line(self) -> str:
        """Return the last non-blank output line, for a one-line error.

        Returns:
            The last line of standard error (else output), at most 200
            characters, or ``no output``.
        """
        for text in (self.stderr, self.stdout):
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            if lines:
                return lines[-1][:200]
        return "no output"


def is_secret(name: str) -> bool:
    """Return whether an environment variable must not reach a tool.

    Args:
        name: The variable's name.

    Returns:
        True for tokens, API keys and the action's inputs.
    """
    return name in SECRET_VARIABLES or name.startswith(SECRET_PREFIXES)


def run_command(
    argv: Sequence[str],
    cwd: Path,
    timeout_s: float,
    env: Mapping[str, str] | None = None,
    niceness: int = 0,
    launched: threading.Event | None = None,
    account: Account | None = None,
) -> ToolRun:
    """Run a command to completion, killing its whole process group on timeout.

    Python tools write no bytecode into the work tree: nowhere by default
    (bytecode already in site-packages is still read), or under
    ``PYTHONPYCACHEPREFIX`` when the environment sets one. Secrets
    (``is_secret``) are left out of the command's environment.

    Args:
        argv: The program and its arguments.
        cwd: Working directory.
        timeout_s: Seconds before the command is killed.
        env: Variables added to (or overriding) the current environment.
        niceness: Scheduling priority increment for the command (and the
            processes it starts), so that it yields the CPU to others.
        launched: Set once the process has started.
        account: Run as this user, in its own HOME (a PR's code, when the
            review is root: ``unprivileged``).

    Returns:
        Exit code, output and wall time.

    Raises:
        CheckError: The program is missing or cannot start, or it timed out.
    """
    full_env = {
        name: value
        for name, value in {**os.environ, **(env or {})}.items()
        if not is_secret(name)
    }
    if not full_env.get("PYTHONPYCACHEPREFIX"):
        full_env["PYTHONDONTWRITEBYTECODE"] = "1"
    as_user: dict[str, Any] = {}
    if account is not None:
        full_env.update(account.environment())
        as_user = {"user": account.uid, "group": account.gid, "extra_groups": []}
    name = Path(argv[0]).name
    started = time.monotonic()
    try:
        # A process group of its own, so a timeout also ends the tool's
        # children (``uv run`` starts the tool as a child process). Not a new
        # session: where the kernel groups CPU time by session (autogroup),
        # a tool in a session of its own would get an equal share whatever
        # its niceness, and the checks that should yield to mypy would not.
        # (So a tool shares our terminal, if any; its stdin is still empty.)
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            process_group=0,
            **as_user,
        )
    except OSError as exc:
        raise CheckError(f"cannot start {name}: {exc.strerror or exc}") from exc
    if niceness:
        # Children started from here on inherit it (``uv run`` -> the tool).
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, process.pid, niceness)
    if launched:
        launched.set()
    try:
        out, err = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        _kill_group(process)
        shown = " ".join(argv[:4])
        raise CheckError(f"{shown} timed out after {timeout_s:g}s") from exc
    return ToolRun(
        exit_code=process.returncode,
        stdout=out.decode("utf-8", errors="replace"),
        stderr=err.decode("utf-8", errors="replace"),
        seconds=time.monotonic() - started,
    )


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.communicate()


def is_uv_project(repo: Path) -> bool:
    """Return whether the target is managed by uv.

    Args:
        repo: The target's work tree.

    Returns:
        True when it has ``uv.lock`` or a ``[tool.uv]`` table in
        ``pyproject.toml``.
    """
    if (repo / "uv.lock").is_file():
        return True
    pyproject = repo / "pyproject.toml"
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    tool = data.get("tool")
    return isinstance(tool, dict) and "uv" in tool


def choose_runner(ctx: CheckContext) -> tuple[RunnerKind, str]:
    """Decide how the checklist tools start for this review.

    Args:
        ctx: The review's context.

    Returns:
        The runner, and a note when it differs from the configured one.

    Raises:
        CheckError: ``runner = "uv"`` was asked but uv is not on PATH.
    """
    wanted = ctx.config.runner
    if ctx.target.safe_mode:
        note = "safe mode: bundled tools, no uv run" if wanted == "uv" else ""
        return "direct", note
    if wanted == "direct":
        return "direct", ""
    has_uv = shutil.which("uv") is not None
    if wanted == "uv":
        if not has_uv:
            raise CheckError("runner 'uv' was configured but uv is not on PATH")
        return "uv", ""
    if has_uv and is_uv_project(ctx.target.repo):
        return "uv", ""
    return "direct", ""


# The target's environment, as ``uv run`` sets it up, once per review: the
# checks then start their tools from it directly. Four concurrent ``uv run``
# calls would each check (and maybe sync) the same environment, competing with
# mypy for the CPU; one call, waited for by the others, does it once. A failure
# is kept too: the next check would only wait for the same error again.
_PRINT_PREFIX = "import sys; print(sys.prefix)"


def _environment_key(ctx: CheckContext) -> tuple[str, ...]:
    repo = ctx.target.repo
    stamps = []
    for name in ("uv.lock", "pyproject.toml"):
        try:
            stat = (repo / name).stat()
            stamps.append(f"{name}:{stat.st_mtime_ns}:{stat.st_size}")
        except OSError:
            stamps.append(f"{name}:-")
    return (str(repo), str(ctx.cache_dir), *stamps)


def uv_environment(ctx: CheckContext) -> Path:
    """Return the target's uv environment, synced as ``uv run`` does it.

    Args:
        ctx: The review's context.

    Returns:
        The environment's prefix folder (its tools are in ``bin/``).

    Raises:
        CheckError: uv could not set the environment up.
    """
    key = _environment_key(ctx)
    known = ctx.shared.environments
    with ctx.shared.lock:
        if key not in known:
            known[key] = _set_up_environment(ctx)
        found = known[key]
    if isinstance(found, CheckError):
        raise CheckError(str(found))
    return found


def _set_up_environment(ctx: CheckContext) -> Path | CheckError:
    prefix, env = _uv_command(ctx, "python")
    argv = [*prefix, "-c", _PRINT_PREFIX]
    try:
        run = run_command(argv, ctx.target.repo, ctx.config.tool_timeout_s, env)
    except CheckError as exc:
        return exc
    lines = run.stdout.strip().splitlines()
    if run.exit_code != 0 or not lines:
        return CheckError(f"uv run failed: {run.last_line()}")
    return Path(lines[-1])


def _uv_command(ctx: CheckContext, tool: str) -> tuple[list[str], dict[str, str]]:
    repo = ctx.target.repo
    # With a lock, install exactly it; without one, use the existing env as is
    # rather than let uv write a new uv.lock into the work tree.
    sync = "--frozen" if (repo / "uv.lock").is_file() else "--no-sync"
    env: dict[str, str] = {}
    if not (repo / ".venv").exists():
        # The cache folder is the repository's: a head reviewed in a
        # temporary work tree reuses the environment made for an earlier one.
        env["UV_PROJECT_ENVIRONMENT"] = str(ctx.cache_dir / "uv-env")
    if sys.prefix != sys.base_prefix:
        # uv run falls back to PATH; keep pattern-review's own virtualenv off it
        # so "uv run ruff" means the target's ruff or a visible fallback.
        own_bin = os.path.abspath(os.path.dirname(sys.executable))
        path = os.environ.get("PATH", "").split(os.pathsep)
        env["PATH"] = os.pathsep.join(p for p in path if os.path.abspath(p) != own_bin)
    uv = shutil.which("uv") or "uv"
    return [uv, "run", "--project", str(repo), sync, tool], env


def run_tool(
    ctx: CheckContext,
    tool: Tool,
    args: Sequence[str],
    env: Mapping[str, str] | None = None,
    direct_args: Sequence[str] = (),
    direct_env: Mapping[str, str] | None = None,
    account: Account | None = None,
) -> ToolRun:
    """Run a checklist tool on the target, in its work tree.

    Args:
        ctx: The review's context.
        tool: ``ruff``, ``mypy`` or ``pytest``.
        args: Arguments after the tool name.
        env: Extra environment variables.
        direct_args: Arguments added only when the bundled tool runs (it
            lacks the target's environment, e.g. mypy's ``--python-executable``).
        direct_env: Environment variables added only when the bundled tool
            runs (e.g. pytest's ``PYTHONPATH`` to the uninstalled target).
        account: Run the tool as this user (it runs the PR's code).

    Returns:
        The finished run; ``note`` says when the bundled tool stood in.

    Raises:
        CheckError: The tool is missing, cannot start, or timed out.
    """
    repo = ctx.target.repo
    timeout = ctx.config.tool_timeout_s
    nice = ctx.niceness
    env = dict(env or {})
    kind, note = choose_runner(ctx)
    if kind == "uv":
        prefix = uv_environment(ctx)
        program = prefix / "bin" / tool
        if program.is_file():
            # What ``uv run`` does once the environment is ready: its bin/
            # first on PATH, VIRTUAL_ENV set (the target's tests may rely on it).
            _, uv_env = _uv_command(ctx, tool)
            path = uv_env.get("PATH", os.environ.get("PATH", ""))
            tool_env = {
                **uv_env,
                "VIRTUAL_ENV": str(prefix),
                "PATH": os.pathsep.join([str(prefix / "bin"), path]),
                **env,
            }
            run = run_command(
                [str(program), *args],
                repo,
                timeout,
                tool_env,
                nice,
                ctx.tool_started,
                account,
            )
            return ToolRun(run.exit_code, run.stdout, run.stderr, run.seconds, "uv")
        note = f"no {tool} in the target's uv environment: used the bundled {tool}"
    # -P keeps the work tree off sys.path, so "-m ruff" is the installed ruff
    # even if the PR has a ruff/ package. pytest keeps it: its direct mode
    # imports the target from the work tree, and it never runs in safe mode.
    isolate = [] if tool == "pytest" else ["-P"]
    argv = [sys.executable, *isolate, "-m", tool, *direct_args, *args]
    bundled_env = {**env, **(direct_env or {})}
    direct = run_command(
        argv, repo, timeout, bundled_env, nice, ctx.tool_started, account
    )
    if direct.exit_code != 0 and f"No module named {tool}" in direct.stderr:
        raise CheckError(f"{tool} is not installed with pattern-review")
    return ToolRun(
        direct.exit_code, direct.stdout, direct.stderr, direct.seconds, "direct", note
    )
