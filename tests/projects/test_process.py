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

from pattern_review.config import Config
from pattern_review.context import CheckContext, CheckError
from pattern_review.models import ReviewTarget
from pattern_review.projects.environments import project_environment
from pattern_review.projects.process import (
    is_secret,
    run_command,
    run_tool,
)
from pattern_review.projects.ruff_version import bundled_version
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


def test_a_plain_repo_and_safe_mode_use_the_bundled_tools(tmp_path: Path) -> None:
    assert project_environment(_context(tmp_path, tmp_path)).kind == "bundled"
    direct = _context(tmp_path, tmp_path, Config(runner="direct"))
    assert project_environment(direct).kind == "bundled"
    (tmp_path / "uv.lock").write_text("version = 1\n")
    safe = _context(tmp_path, tmp_path, Config(runner="uv"), safe_mode=True)
    found = project_environment(safe)
    assert (found.kind, found.prefix) == ("bundled", None)
    assert "safe mode" in found.origin


def test_uv_runner_without_uv_fails_only_the_tools_that_need_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("UV", raising=False)
    ctx = _context(tmp_path, tmp_path, Config(runner="uv"))
    with pytest.raises(CheckError, match="could not be set up: uv is not installed"):
        run_tool(ctx, "mypy", ["--version"])
    assert run_tool(ctx, "ruff", ["--version"]).exit_code == 0


def test_direct_runner_runs_the_bundled_tool(tmp_path: Path) -> None:
    launched = threading.Event()
    ctx = replace(
        _context(tmp_path, tmp_path, Config(runner="direct")), tool_started=launched
    )
    run = run_tool(ctx, "ruff", ["--version"])
    assert (run.exit_code, run.runner) == (0, "direct")
    assert run.note == f"bundled ruff {bundled_version()}"
    assert run.stdout.startswith("ruff ")
    assert launched.is_set()  # the review starts the other checks on it


@needs_uv
def test_uv_env_without_the_tool_falls_back_and_leaves_the_tree_alone(
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

    run = run_tool(_context(git_repo.path, tmp_path), "mypy", ["--version"])

    assert (run.exit_code, run.runner) == (0, "direct")
    assert run.note == "bundled mypy on the uv.lock environment of the repository root"
    assert _tree_state(git_repo) == before
    assert not (git_repo.path / ".venv").exists()
    assert list((tmp_path / "cache" / "uv-env").iterdir())  # uv's env went here


@needs_uv
def test_ruff_runs_the_version_the_project_pins_without_its_environment(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    # A lock uv could not sync: ruff never needs the environment.
    git_repo.write(
        "uv.lock",
        'version = 1\n\n[[package]]\nname = "ruff"\nversion = "0.6.9"\n',
    )
    git_repo.commit()
    before = _tree_state(git_repo)
    ctx = _context(git_repo.path, tmp_path)

    run = run_tool(ctx, "ruff", ["--version"])

    if "could not be run" in run.note:
        pytest.skip(f"the registry is not reachable: {run.note}")
    assert (run.exit_code, run.runner) == (0, "uv")
    assert run.stdout.strip() == "ruff 0.6.9"
    assert run.note == "ruff 0.6.9, pinned in uv.lock"
    assert not (tmp_path / "cache" / "uv-env").exists()
    assert _tree_state(git_repo) == before


@needs_uv
def test_the_uv_environment_is_set_up_once_outside_the_work_tree(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("pyproject.toml", UV_PROJECT)
    git_repo.write("pkg/mod.py", "import os\n")
    git_repo.commit()
    before = _tree_state(git_repo)
    ctx = _context(git_repo.path, tmp_path, Config(runner="uv"))

    first = project_environment(ctx)
    again = project_environment(ctx)

    assert first == again
    assert first.kind == "uv"
    assert first.prefix is not None
    assert first.prefix.is_relative_to(tmp_path / "cache")
    assert (first.prefix / "bin" / "python").exists()
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
    monkeypatch.setenv("UV", str(fake_uv))
    ctx = _context(tmp_path, tmp_path, Config(runner="uv"))

    reason = (
        "environment of the repository root could not be set up:"
        " error: Failed to fetch: network unreachable (`uv run --no-sync --project ."
    )
    for tool in ("mypy", "pytest"):
        with pytest.raises(CheckError) as raised:
            run_tool(ctx, tool, ["--version"])
        assert str(raised.value).startswith(reason)
        assert "network unreachable" in raised.value.output
    assert calls.read_text().count("called") == 1
    # ruff needs no environment: it still runs (the bundled one: no pin here).
    assert run_tool(ctx, "ruff", ["--version"]).exit_code == 0

    with pytest.raises(CheckError, match="could not be set up"):
        run_tool(_context(tmp_path, tmp_path, Config(runner="uv")), "mypy", [])
    assert calls.read_text().count("called") == 2  # a new review tries again


@needs_uv
def test_a_pinned_ruff_too_old_for_the_reviews_arguments_gives_way(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("requirements.txt", "ruff==0.1.9\n")
    git_repo.commit()
    ctx = _context(git_repo.path, tmp_path)
    args = ["check", "--config", "lint.x=1", "--config", "lint.y=2", "."]

    run = run_tool(ctx, "ruff", args)

    if "could not be run" in run.note:
        pytest.skip(f"the registry is not reachable: {run.note}")
    assert run.runner == "direct"
    assert run.note == (
        f"bundled ruff {bundled_version()}: ruff 0.1.9 cannot run the review's"
        " arguments (error: the argument '--config <CONFIG>' cannot be used"
        " multiple times)"
    )


@needs_uv
def test_a_pinned_ruff_survives_uvs_throwaway_cache(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The container sets UV_NO_CACHE: the fetched ruff lives in the review's cache.
    monkeypatch.setenv("UV_NO_CACHE", "1")
    git_repo.write("requirements.txt", "ruff==0.6.9\n")
    git_repo.commit()

    run = run_tool(_context(git_repo.path, tmp_path), "ruff", ["--version"])

    if "could not be run" in run.note:
        pytest.skip(f"the registry is not reachable: {run.note}")
    assert (run.stdout.strip(), run.runner) == ("ruff 0.6.9", "uv")
    assert run.note == "ruff 0.6.9, pinned in requirements.txt"
    assert (tmp_path / "cache" / "uv").is_dir()


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
