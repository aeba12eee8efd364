"""How the Completion Checklist tools (ruff, mypy, pytest) are started.

Each tool runs from its project's folder (projects.py). mypy and pytest run
in the project's environment (environments.py): its own copy of the tool
when it has one, else the copy installed with pattern-review, pointed at the
environment. ruff runs the version the project pins (ruff_tool.py) and needs
no environment. In safe mode nothing of the PR may execute: only the bundled
tools run.

The bundled tools start with ``python -P``, so the work tree is not on
``sys.path``: a PR's own ``ruff/`` or ``mypy/`` package cannot stand in for
the tool. No tool gets the run's secrets (tokens, the action's inputs): none
needs them, and a target's tests or build steps could leak them.

Nothing here may write into the work tree: environments that are built go to
the cache folder, a project without ``uv.lock`` is never locked, and Python
never writes bytecode.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pattern_review.context import CheckContext, CheckError
from pattern_review.projects.accounts import (
    RUN_AS_VARIABLE,
    Account,
    why_unreadable,
    why_unrunnable,
)
from pattern_review.redaction import SECRET_NAMES

Tool = Literal["ruff", "mypy", "pytest"]
_PRINT_PREFIX = "import sys; print(sys.prefix)"
RunnerKind = Literal["env", "uv", "direct"]
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
# Names of variables the job passes to the tools although they look like
# secrets (a private index's password, a test database's): comma-separated.
# Read from the job's environment only, never from a config the PR can edit.
PASS_ENV_VARIABLE = "PATTERN_REVIEW_PASS_ENV"


@dataclass(frozen=True)
class ToolRun:
    """What a finished command left behind.

    Attributes:
        exit_code: The process's exit status.
        stdout: Its standard output, decoded.
        stderr: Its standard error, decoded.
        seconds: Wall time.
        runner: How the tool was started: from the project's environment
            (``env``), through ``uv tool run`` (``uv``), or the bundled copy
            (``direct``).
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

    The tools run the PR's code (its tests, build backend, mypy plugins),
    which must not see the job's secrets: the tokens, the action's inputs,
    and any variable named like a secret (``DEPLOY_PASSWORD``), unless the
    job names it in ``PATTERN_REVIEW_PASS_ENV``.

    Args:
        name: The variable's name.

    Returns:
        True for tokens, API keys, the action's inputs and secret-named
        variables the job did not pass on.
    """
    if name in SECRET_VARIABLES or name.startswith(SECRET_PREFIXES):
        return True
    if not SECRET_NAMES.search(name):
        return False
    passed = os.environ.get(PASS_ENV_VARIABLE, "")
    return name not in {item.strip() for item in passed.split(",")}


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
    command = list(argv)
    nice = shutil.which("nice") if niceness else None
    if nice:
        # Set before the tool starts, not after: ``uv run`` may already have
        # started the tool, at full priority, when setpriority() comes.
        if not shutil.which(argv[0], path=full_env.get("PATH")):
            raise CheckError(f"cannot start {name}: No such file or directory")
        command = [nice, "-n", str(niceness), *argv]
    started = time.monotonic()
    try:
        # A process group of its own, so a timeout also ends the tool's
        # children (``uv run`` starts the tool as a child process). Not a new
        # session: where the kernel groups CPU time by session (autogroup),
        # a tool in a session of its own would get an equal share whatever
        # its niceness, and the checks that should yield to mypy would not.
        # (So a tool shares our terminal, if any; its stdin is still empty.)
        process = subprocess.Popen(
            command,
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
    if niceness and not nice:
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


def _pinned_ruff_command(ctx: CheckContext) -> tuple[list[str], str]:
    """Return how ruff starts for the context's project, and which ruff it is."""
    from pattern_review.projects.environments import failure_reason, find_uv
    from pattern_review.projects.ruff_version import (
        bundled_command,
        bundled_version,
        pinned_ruff,
    )

    bundled = f"bundled ruff {bundled_version()}"
    if ctx.target.safe_mode or ctx.config.runner == "direct":
        return bundled_command(), bundled
    pin = pinned_ruff(ctx.where, ctx.target.repo)
    if pin is None:
        return bundled_command(), f"{bundled}, the project pins none"
    which = f"ruff {pin.version}, pinned in {pin.source}"
    if pin.version == bundled_version():
        return bundled_command(), which
    uv = find_uv()
    if uv is None:
        return bundled_command(), f"{bundled}: no uv to run ruff {pin.version}"
    key = ("ruff", pin.version)
    shared = ctx.shared
    with shared.lock:
        own_lock = shared.locks.setdefault(key, threading.Lock())
    with own_lock:
        if key not in shared.environments:
            # uv fetches that ruff into its cache once; asked for the tool's
            # environment, it lets the checks start its ruff directly, with
            # no uv in between. A failure falls back to the bundled ruff.
            probe = [uv, "tool", "run", "--from", f"ruff=={pin.version}"]
            probe += ["python", "-c", _PRINT_PREFIX]
            env = {}
            if os.environ.get("UV_NO_CACHE"):
                # A throwaway cache (the container's setting) would delete
                # the tool with it: keep it in the review's cache folder.
                env = {"UV_NO_CACHE": "0", "UV_CACHE_DIR": str(ctx.cache_dir / "uv")}
            try:
                timeout = ctx.config.tool_timeout_s
                run = run_command(probe, ctx.where.folder, timeout, env)
                lines = run.stdout.strip().splitlines()
                program = Path(lines[-1]) / "bin" / "ruff" if lines else None
                if run.exit_code == 0 and program is not None and program.is_file():
                    shared.environments[key] = program
                else:
                    shared.environments[key] = failure_reason(run, probe)
            except CheckError as exc:
                shared.environments[key] = str(exc)
        found = shared.environments[key]
    if not isinstance(found, Path):
        return bundled_command(), (
            f"{bundled}: ruff {pin.version} (pinned in {pin.source}) could not be"
            f" run: {found}"
        )
    return [str(found)], which


def _check_runnable(account: Account, tool: Tool, program: Path | None) -> None:
    """Fail the check, saying why, when its user cannot run its tool.

    Args:
        account: The user the tool runs as.
        tool: ``mypy`` or ``pytest``.
        program: The environment's own copy of the tool; None runs the
            bundled one, from this interpreter.

    Raises:
        CheckError: A folder on the way, or the program, is out of reach.
    """
    why = why_unrunnable(account, program or Path(sys.executable))
    if why is None and program is None:
        found = importlib.util.find_spec(tool)
        if found is not None and found.origin:
            why = why_unreadable(account, Path(found.origin).parent)
    if why:
        raise CheckError(
            f"{tool} not run (the review is root): {why}; make it reachable, or"
            f" set {RUN_AS_VARIABLE}=root where the code is trusted"
        )


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


def run_tool(
    ctx: CheckContext,
    tool: Tool,
    args: Sequence[str],
    env: Mapping[str, str] | None = None,
    direct_args: Sequence[str] = (),
    direct_env: Mapping[str, str] | None = None,
    account: Account | None = None,
) -> ToolRun:
    """Run a checklist tool on the context's project, from its folder.

    ruff is the version the project pins (or the bundled one) and needs no
    environment; mypy and pytest run from the project's environment
    (environments.py) when it has them, else the bundled tools run.

    Args:
        ctx: The check's context.
        tool: ``ruff``, ``mypy`` or ``pytest``.
        args: Arguments after the tool name.
        env: Extra environment variables.
        direct_args: Arguments added only when the bundled tool runs (it
            lacks the project's environment, e.g. mypy's
            ``--python-executable``).
        direct_env: Environment variables added only when the bundled tool
            runs (e.g. pytest's ``PYTHONPATH`` to the uninstalled project).
        account: Run the tool as this user (it runs the PR's code).

    Returns:
        The finished run; ``note`` says which tool and environment ran.

    Raises:
        CheckError: The tool is missing, cannot start, or timed out, or the
            project's environment could not be set up (mypy and pytest only).
    """
    from pattern_review.projects.environments import project_environment

    folder = ctx.where.folder
    timeout = ctx.config.tool_timeout_s
    nice = ctx.niceness
    env = dict(env or {})
    if tool == "ruff":
        command, which = _pinned_ruff_command(ctx)
        run = run_command(
            [*command, *args], folder, timeout, env, nice, ctx.tool_started
        )
        kind: RunnerKind = "direct" if command[1:2] == ["-P"] else "uv"
        if kind == "uv" and _refused_arguments(run):
            # An old pinned ruff that lacks an option the review needs (inline
            # ``--config`` overrides came with 0.2): the bundled one stands in.
            from pattern_review.projects.ruff_version import (
                bundled_command,
                bundled_version,
            )

            why = _first_line(run)
            which = (
                f"bundled ruff {bundled_version()}: {which.split(',')[0]} cannot"
                f" run the review's arguments ({why})"
            )
            run = run_command(
                [*bundled_command(), *args], folder, timeout, env, nice, None
            )
            kind = "direct"
        return ToolRun(run.exit_code, run.stdout, run.stderr, run.seconds, kind, which)
    environment = project_environment(ctx)
    program = environment.program(tool)
    if account is not None:
        _check_runnable(account, tool, program)
    if program is not None and environment.prefix is not None:
        # What ``uv run`` or an activated environment does: its bin/ first
        # on PATH, VIRTUAL_ENV set (the project's tests may rely on it).
        path = os.environ.get("PATH", "")
        tool_env = {
            "VIRTUAL_ENV": str(environment.prefix),
            "PATH": os.pathsep.join([str(environment.prefix / "bin"), path]),
            **env,
        }
        run = run_command(
            [str(program), *args],
            folder,
            timeout,
            tool_env,
            nice,
            ctx.tool_started,
            account,
        )
        note = f"in {environment.origin}"
        return ToolRun(run.exit_code, run.stdout, run.stderr, run.seconds, "env", note)
    if environment.prefix is None:
        note = environment.origin
    else:
        note = f"bundled {tool} on {environment.origin}"
    # -P keeps the work tree off sys.path, so "-m mypy" is the installed mypy
    # even if the PR has a mypy/ package. pytest keeps it: its direct mode
    # imports the target from the work tree, and it never runs in safe mode.
    isolate = [] if tool == "pytest" else ["-P"]
    argv = [sys.executable, *isolate, "-m", tool, *direct_args, *args]
    bundled_env = {**env, **(direct_env or {})}
    direct = run_command(
        argv, folder, timeout, bundled_env, nice, ctx.tool_started, account
    )
    if direct.exit_code != 0 and f"No module named {tool}" in direct.stderr:
        raise CheckError(f"{tool} is not installed with pattern-review")
    return ToolRun(
        direct.exit_code, direct.stdout, direct.stderr, direct.seconds, "direct", note
    )
