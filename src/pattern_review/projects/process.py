"""The process primitive: how every command of a review is started.

A command runs from a folder with a scrubbed environment (no secret of the
run: tokens, the action's inputs, secret-named variables), in a process group
of its own (a timeout ends its children too), at a niceness, and, for a PR's
code when the review is root, as another account (``accounts``). Python
writes no bytecode into the work tree. Its timeout is its own budget or the
time the review has left (``Deadline``), whichever ends first; when it ends,
whatever it left running is ended too (its group, and the processes that
carry its mark: ``reaper``).

This module knows nothing of tools, projects or environments: which program
runs a tool in which environment is decided above it (``tools``,
``environments``, ``ruff_version``).
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from pattern_review.errors import CheckError
from pattern_review.projects import reaper
from pattern_review.projects.accounts import Account
from pattern_review.projects.error_lines import first_error_line
from pattern_review.projects.priority import thread_niceness
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
# After a command exits, how long its output pipes may stay open (held by a
# process that escaped every sweep) before the review stops reading them.
_DRAIN_WAIT_S = 5.0


@dataclass(frozen=True)
class Deadline:
    """When the review's wall budget runs out.

    Attributes:
        budget_s: The review's budget, in seconds.
        ends: ``time.monotonic()`` at which it runs out.
    """

    budget_s: float
    ends: float

    @classmethod
    def start(cls, budget_s: float) -> Deadline:
        """Start the budget now.

        Args:
            budget_s: Seconds the review may take.

        Returns:
            The deadline.
        """
        return cls(budget_s, time.monotonic() + budget_s)

    def left(self) -> float:
        """Return the seconds left, never below zero.

        Returns:
            Seconds until the budget runs out.
        """
        return max(self.ends - time.monotonic(), 0.0)

    def passed(self) -> bool:
        """Return whether the budget has run out.

        Returns:
            True once no time is left.
        """
        return time.monotonic() >= self.ends

    def reason(self) -> str:
        """Return what a check cut short by the budget reports.

        Returns:
            ``timed out: the review's N s budget ran out``.
        """
        return f"timed out: the review's {self.budget_s:g} s budget ran out"


class ToolTimeoutError(CheckError):
    """A command ran past its own budget (not the review's).

    Attributes:
        budget_s: The budget it overran, in seconds.
    """

    def __init__(self, message: str, budget_s: float) -> None:
        """Create the error.

        Args:
            message: The one-line reason.
            budget_s: The command's own budget.
        """
        super().__init__(message)
        self.budget_s = budget_s


class ReviewBudgetError(CheckError):
    """The review's wall budget ran out while a command ran (or before)."""


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

    def reason_line(self) -> str:
        """Return the line that says why the command failed, for a one-line error.

        Returns:
            The first error-looking line of its output (``error_lines``: a
            traceback's exception, ``E   ValueError``, ``error:``), else the
            last line of standard error (else output), at most 300
            characters, or ``no output``.
        """
        found = first_error_line(f"{self.stderr}\n{self.stdout}")
        if found:
            return found
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


def withheld_names(environ: Mapping[str, str] | None = None) -> list[str]:
    """Return the secret-named variables of the job that no tool gets.

    The tokens and the action's inputs are withheld too, but only these are
    ones a job might mean its tests to see (a test database's password):
    a check that fails without them says so, and how to pass them.

    Args:
        environ: The environment; None reads this process's.

    Returns:
        Their names, sorted.
    """
    env = os.environ if environ is None else environ
    return sorted(
        name
        for name in env
        if name not in SECRET_VARIABLES
        and not name.startswith(SECRET_PREFIXES)
        and is_secret(name)
    )


def run_command(
    argv: Sequence[str],
    cwd: Path,
    timeout_s: float,
    env: Mapping[str, str] | None = None,
    niceness: int = 0,
    launched: threading.Event | None = None,
    account: Account | None = None,
    deadline: Deadline | None = None,
    stdin_text: str | None = None,
) -> ToolRun:
    """Run a command to completion; on timeout, kill its whole process group.

    Python tools write no bytecode into the work tree: nowhere by default
    (bytecode already in site-packages is still read), or under
    ``PYTHONPYCACHEPREFIX`` when the environment sets one. Secrets
    (``is_secret``) are left out of the command's environment. When the
    command ends, its process group is killed, and so is every process that
    still carries its mark (``reaper``): nothing it started outlives it.

    Args:
        argv: The program and its arguments.
        cwd: Working directory.
        timeout_s: The command's own budget: seconds before it is killed.
        env: Variables added to (or overriding) the current environment.
        niceness: The command's niceness (and that of the processes it
            starts), so that it yields the CPU to others; a calling thread
            already at a higher one passes that on.
        launched: Set once the process has started.
        account: Run as this user, in its own HOME (a PR's code, when the
            review is root: ``accounts``).
        deadline: The review's; the command is killed when it passes, if
            its own budget has not ended it first.
        stdin_text: Text given on the command's stdin (else it is empty).

    Returns:
        Exit code, output and wall time.

    Raises:
        ToolTimeoutError: It ran past ``timeout_s``.
        ReviewBudgetError: The review's budget ran out first (or had already).
        CheckError: The program is missing or cannot start.
    """
    name = Path(argv[0]).name
    if deadline is not None and deadline.passed():
        raise ReviewBudgetError(deadline.reason())
    full_env = {
        name: value
        for name, value in {**os.environ, **(env or {})}.items()
        if not is_secret(name)
    }
    if not full_env.get("PYTHONPYCACHEPREFIX"):
        full_env["PYTHONDONTWRITEBYTECODE"] = "1"
    mark = reaper.new_mark()
    full_env[reaper.RUN_MARK] = mark
    as_user: dict[str, Any] = {}
    if account is not None:
        full_env.update(account.environment())
        as_user = {"user": account.uid, "group": account.gid, "extra_groups": []}
    command = list(argv)
    # ``nice -n`` adds to the niceness the command inherits: that of the
    # calling thread, which a yielding check has already lowered.
    increment = max(0, niceness - thread_niceness())
    nice = shutil.which("nice") if increment else None
    if nice:
        # Set before the tool starts, not after: ``uv run`` may already have
        # started the tool, at full priority, when setpriority() comes.
        if not shutil.which(argv[0], path=full_env.get("PATH")):
            raise CheckError(f"cannot start {name}: No such file or directory")
        command = [nice, "-n", str(increment), *argv]
    reaper.become_subreaper()
    started = time.monotonic()
    try:
        # A process group of its own, so a timeout also ends the tool's
        # children (``uv run`` starts the tool as a child process). Not a new
        # session: where the kernel groups CPU time by session (autogroup),
        # a tool in a session of its own would get an equal share whatever
        # its niceness, and the checks that should yield to mypy would not.
        # (So a tool shares our terminal, if any; its stdin is still empty.)
        with reaper.starting() as register:
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
            register(process.pid)
    except OSError as exc:
        raise CheckError(f"cannot start {name}: {exc.strerror or exc}") from exc
    if increment and not nice:
        # Children started from here on inherit it (``uv run`` -> the tool).
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, process.pid, niceness)
    if launched:
        launched.set()
    own_budget = deadline is None or timeout_s <= deadline.left()
    limit = timeout_s if deadline is None else min(timeout_s, deadline.left())
    given = None if stdin_text is None else stdin_text.encode("utf-8")
    out, err, timed_out = _wait(process, limit, mark, given)
    if timed_out:
        if not own_budget:
            raise ReviewBudgetError(deadline.reason() if deadline else "")
        shown = " ".join(argv[:4])
        raise ToolTimeoutError(f"{shown} timed out after {timeout_s:g}s", timeout_s)
    return ToolRun(
        exit_code=process.returncode,
        stdout=out.decode("utf-8", errors="replace"),
        stderr=err.decode("utf-8", errors="replace"),
        seconds=time.monotonic() - started,
    )


def _wait(
    process: subprocess.Popen[bytes], limit: float, mark: str, given: bytes | None
) -> tuple[bytes, bytes, bool]:
    """Wait for a command, then end what it left running, and collect its output.

    The output is read until the command exits, not until its pipes close: a
    process it left in the background may hold them open, and it is ended
    here along with the rest of its group and whatever carries its mark.

    Returns:
        Its output, its error output, and whether it ran past ``limit``.
    """
    chunks: tuple[list[bytes], list[bytes]] = ([], [])
    readers = [
        threading.Thread(target=_drain, args=(pipe, chunk), daemon=True)
        for pipe, chunk in zip((process.stdout, process.stderr), chunks, strict=True)
    ]
    if given is not None and process.stdin is not None:
        readers.append(
            threading.Thread(target=_feed, args=(process.stdin, given), daemon=True)
        )
    for reader in readers:
        reader.start()
    try:
        timed_out = not _exits_within(process, limit)
    finally:
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        reaper.finished(process.pid)
        reaper.end_marked(mark)
    for reader in readers:
        reader.join(_DRAIN_WAIT_S)
    return b"".join(chunks[0]), b"".join(chunks[1]), timed_out


def _exits_within(process: subprocess.Popen[bytes], limit: float) -> bool:
    """Wait for a command to exit, for ``limit`` seconds at most.

    A process file descriptor wakes the wait the moment the command exits;
    ``Popen.wait`` with a timeout polls instead, with naps of up to 50 ms,
    and a review waits for dozens of short commands.

    Returns:
        Whether it exited in time.
    """
    try:
        handle = os.pidfd_open(process.pid)
    except (AttributeError, OSError):  # not Linux 5.3+: poll as Popen does
        try:
            process.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            return False
        return True
    try:
        waiting = select.poll()
        waiting.register(handle, select.POLLIN)
        return bool(waiting.poll(max(0, int(limit * 1000))))
    finally:
        os.close(handle)


def _feed(pipe: IO[bytes], given: bytes) -> None:
    # A command that exits (or is killed) without reading it all: a broken pipe.
    with contextlib.suppress(OSError), pipe:
        pipe.write(given)


def _drain(pipe: IO[bytes] | None, chunks: list[bytes]) -> None:
    if pipe is None:
        return
    with pipe:
        while chunk := os.read(pipe.fileno(), 65536):
            chunks.append(chunk)


def failure_reason(run: ToolRun, argv: list[str]) -> str:
    """Return the meaningful line of a failed command, and the command.

    Args:
        run: The finished command.
        argv: What was run.

    Returns:
        A pyenv shim's complaint, named as such; else the line that says
        why (``ToolRun.reason_line``). Then the command, shortened.
    """
    raw = f"{run.stderr}\n{run.stdout}".splitlines()
    lines = [line.strip() for line in raw if line.strip()]
    shown = " ".join(Path(argv[0]).name if i == 0 else a for i, a in enumerate(argv))
    shown = shown if len(shown) <= 120 else shown[:117] + "..."
    for line in lines:
        if line.startswith("pyenv:"):
            return f"uv is a pyenv shim that failed here: {line[:200]} (`{shown}`)"
    return f"{run.reason_line()[:300]} (`{shown}`)"
