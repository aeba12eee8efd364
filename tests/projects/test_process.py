"""The process primitive: scrubbed environment, process group, niceness, timeouts."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest

from pattern_review.errors import CheckError
from pattern_review.projects import reaper
from pattern_review.projects.process import (
    Deadline,
    ReviewBudgetError,
    ToolRun,
    ToolTimeoutError,
    failure_reason,
    is_secret,
    run_command,
)

linux_only = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)"
)


def running(pid: int) -> bool:
    """Whether a process exists and is not a zombie waiting for its reaper."""
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def ends_soon(pid: int) -> bool:
    """Whether a process is gone within a few seconds (SIGKILL is asynchronous)."""
    deadline = time.monotonic() + 5
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    return not running(pid)


def test_run_command_returns_exit_code_and_output(tmp_path: Path) -> None:
    code = "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"
    run = run_command([sys.executable, "-c", code], tmp_path, 30)
    assert (run.exit_code, run.stdout, run.stderr) == (3, "out\n", "err\n")
    assert run.seconds >= 0


def test_run_command_keeps_bytecode_out(tmp_path: Path) -> None:
    code = "import sys, os; print(sys.dont_write_bytecode, os.environ['EXTRA'])"
    run = run_command([sys.executable, "-c", code], tmp_path, 30, {"EXTRA": "x"})
    assert run.stdout == "True x\n"


def test_missing_program_is_a_check_error(tmp_path: Path) -> None:
    with pytest.raises(CheckError, match="cannot start no-such-tool-here"):
        run_command(["no-such-tool-here"], tmp_path, 30)


def test_timeout_kills_the_tool_and_its_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    script = f"sleep 60 & echo $! > {pid_file}; wait"
    with pytest.raises(ToolTimeoutError, match="timed out after 1s"):
        run_command(["sh", "-c", script], tmp_path, 1)
    assert ends_soon(int(pid_file.read_text()))


@linux_only
def test_a_detached_grandchild_ends_with_its_command(tmp_path: Path) -> None:
    # ``setsid`` leaves the command's process group, and the background
    # process keeps the output pipe open: the command still returns at once.
    pid_file = tmp_path / "sleep.pid"
    script = f"setsid sleep 1000 & echo $! > {pid_file}; echo done"
    started = time.monotonic()
    run = run_command(["sh", "-c", script], tmp_path, 60)
    assert run.stdout == "done\n"
    assert time.monotonic() - started < 30
    assert ends_soon(int(pid_file.read_text()))


@linux_only
def test_a_detached_grandchild_ends_when_its_command_times_out(
    tmp_path: Path,
) -> None:
    pid_file = tmp_path / "sleep.pid"
    script = f"setsid sleep 1000 & echo $! > {pid_file}; sleep 1000"
    with pytest.raises(ToolTimeoutError):
        run_command(["sh", "-c", script], tmp_path, 1)
    assert ends_soon(int(pid_file.read_text()))


@linux_only
def test_an_orphan_that_dropped_its_mark_is_ended_with_the_review(
    tmp_path: Path,
) -> None:
    # ``env -i`` clears the mark the command's processes inherit: the
    # command's own sweep misses it, the review's (of adopted orphans) not.
    pid_file = tmp_path / "sleep.pid"
    script = (
        f"setsid env -i sh -c 'echo $$ > {pid_file}; exec sleep 1000'"
        f" >/dev/null 2>&1 & while [ ! -s {pid_file} ]; do sleep 0.05; done;"
        " sleep 0.2"
    )
    run_command(["sh", "-c", script], tmp_path, 60)
    orphan = int(pid_file.read_text())
    assert running(orphan)  # not this command's to end: it carries no mark
    assert reaper.become_subreaper()
    assert reaper.end_orphans() >= 1
    assert ends_soon(orphan)


@linux_only
def test_a_forked_child_becomes_a_subreaper_of_its_own() -> None:
    # prctl's flag is not inherited across fork: a child that took its
    # parent's answer would sweep only its own descendants for orphans that
    # go to the parent.
    import ctypes

    assert reaper.become_subreaper()
    child = os.fork()
    if child == 0:
        reaper.become_subreaper()
        flag = ctypes.c_int(0)
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(37, ctypes.byref(flag), 0, 0, 0)  # PR_GET_CHILD_SUBREAPER
        os._exit(0 if flag.value == 1 else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_the_reviews_deadline_cuts_a_longer_budget(tmp_path: Path) -> None:
    deadline = Deadline.start(1)
    started = time.monotonic()
    with pytest.raises(ReviewBudgetError, match="review's 1 s budget ran out"):
        run_command(["sleep", "1000"], tmp_path, 600, deadline=deadline)
    assert time.monotonic() - started < 30


def test_no_command_starts_once_the_review_is_out_of_time(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    with pytest.raises(ReviewBudgetError, match="budget ran out"):
        run_command(["touch", str(marker)], tmp_path, 60, deadline=Deadline.start(0))
    assert not marker.exists()


def test_a_command_within_both_budgets_runs(tmp_path: Path) -> None:
    run = run_command(["echo", "ok"], tmp_path, 60, deadline=Deadline.start(600))
    assert run.stdout == "ok\n"


def test_a_tool_runs_in_its_own_group_of_our_session_at_its_niceness(
    tmp_path: Path,
) -> None:
    # Same session: where the kernel shares CPU time out by session
    # (autogroup), a tool in a session of its own would ignore its niceness.
    code = "import os; print(os.getsid(0), os.getpgid(0), os.getpid(), os.nice(0))"
    launched = threading.Event()
    run = run_command(
        [sys.executable, "-c", code], tmp_path, 30, niceness=19, launched=launched
    )
    session, group, pid, niceness = map(int, run.stdout.split())
    assert session == os.getsid(0)
    assert group == pid != os.getpgid(0)
    assert niceness == 19
    assert launched.is_set()


def test_a_niced_thread_runs_a_tool_at_the_tools_niceness_not_the_sum(
    tmp_path: Path,
) -> None:
    # A yielding check lowers its own thread's priority first; the niceness
    # its tool asks for is where the tool runs, not added on top of it.
    code = "import os; print(os.nice(0))"
    seen: list[int] = []

    def from_a_niced_thread(thread_niceness: int, tool_niceness: int) -> None:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), thread_niceness)
        run = run_command(
            [sys.executable, "-c", code], tmp_path, 30, niceness=tool_niceness
        )
        seen.append(int(run.stdout))

    for thread_niceness, tool_niceness in ((10, 12), (15, 12)):
        thread = threading.Thread(
            target=from_a_niced_thread, args=(thread_niceness, tool_niceness)
        )
        thread.start()
        thread.join(30)

    assert seen == [12, 15]


def test_a_missing_program_at_a_niceness_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CheckError, match="cannot start no-such-tool: No such file"):
        run_command(["no-such-tool", "--version"], tmp_path, 30, niceness=19)


def test_secret_named_variables_reach_no_tool_unless_the_job_passes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEPLOY_PASSWORD", "correct-horse-battery")
    monkeypatch.setenv("UV_INDEX_CORP_PASSWORD", "index-secret-value")
    monkeypatch.setenv("PLAIN_SETTING", "kept")
    monkeypatch.delenv("PATTERN_REVIEW_PASS_ENV", raising=False)
    show = [sys.executable, "-c", "import os; print(sorted(os.environ))"]

    withheld = run_command(show, tmp_path, 30).stdout
    monkeypatch.setenv("PATTERN_REVIEW_PASS_ENV", "UV_INDEX_CORP_PASSWORD, X")
    passed = run_command(show, tmp_path, 30).stdout

    assert "PLAIN_SETTING" in withheld and "DEPLOY_PASSWORD" not in withheld
    assert "UV_INDEX_CORP_PASSWORD" not in withheld
    assert "UV_INDEX_CORP_PASSWORD" in passed and "DEPLOY_PASSWORD" not in passed
    # The tokens and the action's inputs are never passed on.
    monkeypatch.setenv("PATTERN_REVIEW_PASS_ENV", "GITHUB_TOKEN,INPUT_GITHUB-TOKEN")
    assert is_secret("GITHUB_TOKEN") and is_secret("INPUT_GITHUB-TOKEN")


def test_the_reason_is_the_first_error_line_and_the_command() -> None:
    run = ToolRun(
        exit_code=2,
        stdout="",
        stderr="Using CPython 3.12\nwarning: x\nerror: Failed to fetch `httpx`\n"
        "  Caused by: dns error\nhint: try --offline\n",
        seconds=0.1,
    )
    reason = failure_reason(run, ["/opt/bin/uv", "sync", "--frozen"])
    assert reason == "error: Failed to fetch `httpx` (`uv sync --frozen`)"


def test_a_pyenv_shims_failure_is_named_as_such() -> None:
    run = ToolRun(
        exit_code=127,
        stdout="",
        stderr="pyenv: version `3.99' is not installed (set by /r/.python-version)\n",
        seconds=0.1,
    )
    reason = failure_reason(run, ["/root/.pyenv/shims/uv", "sync"])
    assert reason.startswith("uv is a pyenv shim that failed here: pyenv: version")


def test_an_exception_a_tool_let_out_is_the_reason() -> None:
    run = ToolRun(
        exit_code=1,
        stdout="Installing dependencies from lock file\n\n"
        "  - Installing pyyaml (5.4.1): Failed\n\nChefBuildError\n\n"
        "Backend subprocess exited when trying to invoke get_requires_for_build\n"
        "  File x, line 3\n  AttributeError: 'build_ext' object\n",
        stderr="Warning: The file chosen for install of gitpython is yanked.\n",
        seconds=0.1,
    )
    reason = failure_reason(run, ["/bin/sh", "-c", "poetry install"])
    assert reason == (
        "ChefBuildError: Backend subprocess exited when trying to invoke"
        " get_requires_for_build (`sh -c poetry install`)"
    )


@linux_only
def test_the_sweep_leaves_a_running_commands_processes_alone(tmp_path: Path) -> None:
    launched = threading.Event()
    runs: list[ToolRun] = []

    def run() -> None:
        script = "(sleep 1; echo done) & wait"
        runs.append(run_command(["sh", "-c", script], tmp_path, 60, launched=launched))

    worker = threading.Thread(target=run)
    worker.start()
    assert launched.wait(10)
    time.sleep(0.3)  # the background subshell exists now
    reaper.end_orphans()
    worker.join(60)
    assert runs and runs[0].stdout == "done\n"
