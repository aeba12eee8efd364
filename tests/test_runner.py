"""How checklist tools start: commands, timeouts, uv or the bundled tools."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from pattern_review.checks.base import CheckContext, CheckError
from pattern_review.config import Config
from pattern_review.models import ReviewTarget
from pattern_review.runner import (
    choose_runner,
    is_uv_project,
    run_command,
    run_tool,
    uv_environment,
)
from tests.gitrepo import GitRepo

needs_uv = pytest.mark.skipif(shutil.which("uv") is None, reason="uv not on PATH")
UV_PROJECT = """\
[project]
name = "target"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = []

[tool.uv]
package = false
"""


def _context(
    repo: Path, tmp_path: Path, config: Config | None = None, safe_mode: bool = False
) -> CheckContext:
    target = ReviewTarget(repo=repo, base="0" * 40, head="1" * 40, safe_mode=safe_mode)
    return CheckContext(
        target=target, config=config or Config(), cache_dir=tmp_path / "cache"
    )


def _tree_state(repo: GitRepo) -> str:
    return repo.git("status", "--porcelain", "--ignored", "--untracked-files=all")


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
    with pytest.raises(CheckError, match="timed out after 1s"):
        run_command(["sh", "-c", script], tmp_path, 1)
    child = int(pid_file.read_text())
    status = Path(f"/proc/{child}/status")

    def running() -> bool:
        # Gone, or a zombie waiting for its reaper, is no longer running.
        try:
            return "State:\tZ" not in status.read_text()
        except FileNotFoundError:
            return False

    # SIGKILL lands asynchronously: give the kernel a moment to finish it.
    deadline = time.monotonic() + 5
    while running() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not running()


def test_uv_project_detection(tmp_path: Path) -> None:
    assert not is_uv_project(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert not is_uv_project(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.uv]\npackage = false\n")
    assert is_uv_project(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.uv\n")  # broken TOML
    assert not is_uv_project(tmp_path)
    (tmp_path / "uv.lock").write_text("version = 1\n")
    assert is_uv_project(tmp_path)


def test_direct_runner_and_auto_on_a_plain_repo(tmp_path: Path) -> None:
    ctx = _context(tmp_path, tmp_path, Config(runner="direct"))
    assert choose_runner(ctx) == ("direct", "")
    assert choose_runner(_context(tmp_path, tmp_path)) == ("direct", "")


@needs_uv
def test_auto_picks_uv_for_a_uv_project(tmp_path: Path) -> None:
    (tmp_path / "uv.lock").write_text("version = 1\n")
    assert choose_runner(_context(tmp_path, tmp_path)) == ("uv", "")


def test_safe_mode_never_uses_uv(tmp_path: Path) -> None:
    (tmp_path / "uv.lock").write_text("version = 1\n")
    ctx = _context(tmp_path, tmp_path, Config(runner="uv"), safe_mode=True)
    assert choose_runner(ctx) == ("direct", "safe mode: bundled tools, no uv run")
    auto = _context(tmp_path, tmp_path, safe_mode=True)
    assert choose_runner(auto) == ("direct", "")


def test_uv_runner_without_uv_is_a_check_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    ctx = _context(tmp_path, tmp_path, Config(runner="uv"))
    with pytest.raises(CheckError, match="uv is not on PATH"):
        run_tool(ctx, "ruff", ["--version"])


def test_direct_runner_runs_the_bundled_tool(tmp_path: Path) -> None:
    launched = threading.Event()
    ctx = replace(
        _context(tmp_path, tmp_path, Config(runner="direct")), tool_started=launched
    )
    run = run_tool(ctx, "ruff", ["--version"])
    assert (run.exit_code, run.runner, run.note) == (0, "direct", "")
    assert run.stdout.startswith("ruff ")
    assert launched.is_set()  # the review starts the other checks on it


@needs_uv
def test_uv_without_the_tool_falls_back_and_leaves_the_tree_alone(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("pyproject.toml", UV_PROJECT)
    subprocess.run(
        ["uv", "lock", "--offline", "--quiet"],
        cwd=git_repo.path,
        check=True,
        env={**os.environ, "UV_CACHE_DIR": str(tmp_path / "uv-cache")},
    )
    git_repo.commit()
    before = _tree_state(git_repo)

    run = run_tool(_context(git_repo.path, tmp_path), "ruff", ["--version"])

    assert (run.exit_code, run.runner) == (0, "direct")
    assert run.note == "no ruff in the target's uv environment: used the bundled ruff"
    assert _tree_state(git_repo) == before
    assert not (git_repo.path / ".venv").exists()
    assert list((tmp_path / "cache" / "uv-env").iterdir())  # uv's env went here


@needs_uv
def test_uv_runs_the_targets_own_tool_from_its_lock(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Offline: the target's ruff comes from uv's local cache, or the test skips.
    monkeypatch.setenv("UV_OFFLINE", "1")
    git_repo.write(
        "pyproject.toml", UV_PROJECT + '\n[dependency-groups]\ndev = ["ruff"]\n'
    )
    locked = subprocess.run(
        ["uv", "lock", "--offline", "--quiet"], cwd=git_repo.path, check=False
    )
    if locked.returncode != 0:
        pytest.skip("ruff is not in uv's offline cache")
    git_repo.commit()
    before = _tree_state(git_repo)
    ctx = _context(git_repo.path, tmp_path)

    run = run_tool(ctx, "ruff", ["--version"])

    if run.note:
        pytest.skip(f"uv could not install the target's ruff offline: {run.note}")
    assert (run.exit_code, run.runner) == (0, "uv")
    assert run.stdout.startswith("ruff ")
    assert _tree_state(git_repo) == before
    assert not (git_repo.path / ".venv").exists()


@needs_uv
def test_the_uv_environment_is_set_up_once_outside_the_work_tree(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("pyproject.toml", UV_PROJECT)
    git_repo.write("pkg/mod.py", "import os\n")
    git_repo.commit()
    before = _tree_state(git_repo)
    ctx = _context(git_repo.path, tmp_path, Config(runner="uv"))

    first = uv_environment(ctx)
    again = uv_environment(ctx)
    run = run_tool(ctx, "ruff", ["check", "--no-cache", "--select", "F401", "pkg"])

    assert first == again
    assert first.is_relative_to(tmp_path / "cache")
    assert (first / "bin" / "python").exists()
    # The environment has no ruff of its own: the bundled one stands in, and says so.
    assert run.runner == "direct"
    assert "no ruff in the target's uv environment" in run.note
    assert "F401" in run.stdout
    assert _tree_state(git_repo) == before


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


def test_a_failed_uv_set_up_is_reported_to_every_tool_but_tried_once_per_review(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "uv-calls"
    fake_uv = bin_dir / "uv"
    fake_uv.write_text(
        f"#!/bin/sh\necho called >> {calls}\n"
        "echo 'error: Failed to fetch: network unreachable' >&2\nexit 2\n"
    )
    fake_uv.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    ctx = _context(tmp_path, tmp_path, Config(runner="uv"))

    for tool in ("ruff", "mypy", "pytest"):
        with pytest.raises(CheckError, match="uv run failed: error: Failed to fetch"):
            run_tool(ctx, tool, ["--version"])
    assert calls.read_text().count("called") == 1

    with pytest.raises(CheckError, match="uv run failed"):
        run_tool(_context(tmp_path, tmp_path, Config(runner="uv")), "ruff", [])
    assert calls.read_text().count("called") == 2  # a new review tries again
