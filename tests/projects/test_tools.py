"""Which program runs a tool: the project's environment, uv, or the bundled tools."""

from __future__ import annotations

import os
import subprocess
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from pattern_review.config import Config
from pattern_review.errors import CheckError
from pattern_review.projects.environments import find_uv
from pattern_review.projects.ruff_version import bundled_version
from pattern_review.projects.tools import config_file, run_tool
from tests.check_context import folder_context, tree_state
from tests.cli import run_cli
from tests.gitrepo import GitRepo

needs_uv = pytest.mark.skipif(find_uv() is None, reason="uv is not installed")
UV_PROJECT = """\
[project]
name = "target"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = []

[tool.uv]
package = false
"""


def test_uv_runner_without_uv_fails_only_the_tools_that_need_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("UV", raising=False)
    ctx = folder_context(tmp_path, tmp_path, Config(runner="uv"))
    with pytest.raises(CheckError, match="could not be set up: uv is not installed"):
        run_tool(ctx, "mypy", ["--version"])
    assert run_tool(ctx, "ruff", ["--version"]).exit_code == 0


def test_direct_runner_runs_the_bundled_tool(tmp_path: Path) -> None:
    launched = threading.Event()
    ctx = replace(
        folder_context(tmp_path, tmp_path, Config(runner="direct")),
        tool_started=launched,
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
    before = tree_state(git_repo)

    run = run_tool(folder_context(git_repo.path, tmp_path), "mypy", ["--version"])

    assert (run.exit_code, run.runner) == (0, "direct")
    assert run.note == "bundled mypy on the uv.lock environment of the repository root"
    assert tree_state(git_repo) == before
    assert not (git_repo.path / ".venv").exists()
    assert list((tmp_path / "cache" / "uv-env").iterdir())  # uv's env went here


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
    ctx = folder_context(tmp_path, tmp_path, Config(runner="uv"))

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
        run_tool(folder_context(tmp_path, tmp_path, Config(runner="uv")), "mypy", [])
    assert calls.read_text().count("called") == 2  # a new review tries again


@pytest.mark.parametrize(
    ("tool", "files", "expected"),
    [
        ("ruff", {"pyproject.toml": "[tool.ruff]\n"}, "pyproject.toml"),
        ("ruff", {"pyproject.toml": "[project]\n", "ruff.toml": ""}, "ruff.toml"),
        ("ruff", {"pyproject.toml": "[project]\n"}, "no config file"),
        ("mypy", {"setup.cfg": "[mypy]\n", "pyproject.toml": ""}, "setup.cfg"),
        ("mypy", {"mypy.ini": "", "pyproject.toml": "[tool.mypy]\n"}, "mypy.ini"),
        ("pytest", {"pyproject.toml": "[tool.pytest.ini_options]\n"}, "pyproject.toml"),
        ("pytest", {"setup.cfg": "[metadata]\n", "tox.ini": "[pytest]\n"}, "tox.ini"),
    ],
)
def test_the_config_file_each_tool_reads_is_named(
    tmp_path: Path, tool: str, files: dict[str, str], expected: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert config_file(tool, tmp_path) == expected


def test_verbose_prints_each_tools_command_folder_config_and_environment(
    git_repo: GitRepo,
) -> None:
    git_repo.write("pyproject.toml", "[tool.ruff]\nline-length = 100\n")
    git_repo.write("app/main.py", "VALUE = 1\n")
    git_repo.commit("base")
    git_repo.write("app/main.py", "VALUE = 2\n")
    git_repo.commit("pr")
    done = run_cli(
        "review", "--repo", str(git_repo.path), "--base", "HEAD~1", "--no-ai",
        "--checks", "ruff-format,ruff", "--verbose",
    )  # fmt: skip
    said = done.stderr
    for subcommand in ("check", "format"):
        assert f"pattern-review: ruff {subcommand}: ruff {subcommand} " in said, said
    assert "\n  in /" in said
    assert "config: pyproject.toml; environment: bundled ruff" in said
