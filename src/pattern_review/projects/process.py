"""The process primitive: how every command of a review is started.

A command runs from a folder with a scrubbed environment (no secret of the
run: tokens, the action's inputs, secret-named variables), in a process group
of its own (a timeout ends its children too), at a niceness, and, for a PR's
code when the review is root, as another account (``accounts``). Python
writes no bytecode into the work tree.

This module knows nothing of tools, projects or environments: which program
runs a tool in which environment is decided above it (``tools``,
``environments``, ``ruff_version``).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pattern_review.errors import CheckError
from pattern_review.projects.accounts import Account
from pattern_review.redaction import SECRET_NAMES

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
    stdin_text: str | None = None,
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
            review is root: ``accounts``).
        stdin_text: Text given on the command's stdin (else it is empty).

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
            stdin=subprocess.DEVNULL if stdin_text is None else subprocess.PIPE,
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
        given = None if stdin_text is None else stdin_text.encode("utf-8")
        out, err = process.communicate(given, timeout=timeout_s)
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
