"""Which program runs a checklist tool, in which environment, and as whom.

Each tool runs from its project's folder (``discovery``). mypy and pytest
run in the project's environment (``environments``): its own copy of the
tool when it has one, else the copy installed with pattern-review, pointed at
the environment. ruff runs the version the project pins (``ruff_version``)
and needs no environment. In safe mode nothing of the PR may execute: only
the bundled tools run.

The bundled tools start with ``python -P``, so the work tree is not on
``sys.path``: a PR's own ``ruff/`` or ``mypy/`` package cannot stand in for
the tool. Every tool starts through the process primitive (``process``),
which keeps the run's secrets from it.

Nothing here may write into the work tree: environments that are built go to
the cache folder, a project without ``uv.lock`` is never locked, and Python
never writes bytecode.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shlex
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from pattern_review.context import CheckContext
from pattern_review.errors import CheckError
from pattern_review.projects.accounts import (
    Account,
    refusal,
    why_unreadable,
    why_unrunnable,
)
from pattern_review.projects.environments import project_environment
from pattern_review.projects.process import ToolRun, run_command
from pattern_review.projects.ruff_version import run_ruff

Tool = Literal["ruff", "mypy", "pytest"]

# ``--verbose`` shows this logger: what each tool ran, where, with which
# config and environment, once per tool and project.
log = logging.getLogger(__name__)
_announced: set[tuple[str, Path]] = set()
_announced_lock = threading.Lock()
_SHOWN_COMMAND = 400
# The files each tool reads its settings from, in the order it looks.
_CONFIG_FILES: dict[str, tuple[tuple[str, str | None], ...]] = {
    "ruff": (("ruff.toml", None), (".ruff.toml", None), ("pyproject.toml", "ruff")),
    "mypy": (
        ("mypy.ini", None),
        (".mypy.ini", None),
        ("pyproject.toml", "mypy"),
        ("setup.cfg", "[mypy"),
    ),
    "pytest": (
        ("pytest.ini", None),
        (".pytest.ini", None),
        ("pyproject.toml", "pytest"),
        ("tox.ini", "[pytest"),
        ("setup.cfg", "[tool:pytest"),
    ),
}


def config_file(tool: str, folder: Path) -> str:
    """Name the config file a tool finds in a project's folder.

    Args:
        tool: ``ruff``, ``mypy`` or ``pytest``.
        folder: The project's folder (the tool's working directory).

    Returns:
        The file's name, or ``no config file`` (then the tool's defaults, or
        a config further up, apply).
    """
    for name, marker in _CONFIG_FILES.get(tool, ()):
        path = folder / name
        if not path.is_file():
            continue
        if marker is None:
            return name
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if (f"[tool.{marker}" if name == "pyproject.toml" else marker) in text:
            return name
    return "no config file"


def announce(tool: Tool, argv: Sequence[str], folder: Path, environment: str) -> None:
    """Log, once per tool (ruff: per subcommand) and project, what runs.

    Args:
        tool: The tool.
        argv: The command line.
        folder: Its working directory.
        environment: Which environment or copy of the tool runs.
    """
    label = f"ruff {argv[1]}" if tool == "ruff" and len(argv) > 1 else tool
    with _announced_lock:
        if (label, folder) in _announced:
            return
        _announced.add((label, folder))
    command = shlex.join(argv)
    if len(command) > _SHOWN_COMMAND:
        command = f"{command[:_SHOWN_COMMAND]}… ({len(argv)} arguments)"
    log.info(
        "%s: %s\n  in %s\n  config: %s; environment: %s",
        label,
        command,
        folder,
        config_file(tool, folder),
        environment,
    )


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
        raise CheckError(refusal(f"{tool} not run", why))


def run_tool(
    ctx: CheckContext,
    tool: Tool,
    args: Sequence[str],
    env: Mapping[str, str] | None = None,
    direct_args: Sequence[str] = (),
    direct_env: Mapping[str, str] | None = None,
    account: Account | None = None,
    timeout_s: float | None = None,
) -> ToolRun:
    """Run a checklist tool on the context's project, from its folder.

    ruff is the version the project pins (or the bundled one) and needs no
    environment; mypy and pytest run from the project's environment
    (``environments``) when it has them, else the bundled tools run.

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
        timeout_s: This run's own budget; None: the ``tool-timeout-s``
            setting. The review's deadline (``ctx.deadline``) cuts either.

    Returns:
        The finished run; ``note`` says which tool and environment ran.

    Raises:
        CheckError: The tool is missing or cannot start, or the project's
            environment could not be set up (mypy and pytest only).
        ToolTimeoutError: It ran past its own budget.
        ReviewBudgetError: The review's budget ran out first.
    """
    env = dict(env or {})
    if tool == "ruff":
        ruff = run_ruff(ctx, args, env, timeout_s=timeout_s)
        announce(tool, ["ruff", *args], ctx.where.folder, ruff.note)
        return ruff
    folder = ctx.where.folder
    timeout = ctx.config.tool_timeout_s if timeout_s is None else timeout_s
    nice = ctx.niceness_now
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
            ctx.deadline,
        )
        note = f"in {environment.origin}"
        announce(tool, [str(program), *args], folder, note)
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
        argv,
        folder,
        timeout,
        bundled_env,
        nice,
        ctx.tool_started,
        account,
        ctx.deadline,
    )
    announce(tool, argv, folder, note)
    if direct.exit_code != 0 and f"No module named {tool}" in direct.stderr:
        raise CheckError(f"{tool} is not installed with pattern-review")
    return ToolRun(
        direct.exit_code, direct.stdout, direct.stderr, direct.seconds, "direct", note
    )
