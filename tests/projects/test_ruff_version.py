"""Which ruff runs: the version a project pins (found in its files), else ours."""

from __future__ import annotations

from pathlib import Path

import pytest

from pattern_review.config import Config
from pattern_review.context import CheckContext
from pattern_review.projects.discovery import Project
from pattern_review.projects.environments import find_uv
from pattern_review.projects.ruff_version import (
    RuffPin,
    bundled_command,
    bundled_version,
    pinned_ruff,
    ruff_command,
    takes_inline_config,
)
from pattern_review.projects.tools import run_tool
from tests.check_context import folder_context, tree_state
from tests.gitrepo import GitRepo

needs_uv = pytest.mark.skipif(find_uv() is None, reason="uv is not installed")


def test_the_ruff_a_project_pins(tmp_path: Path) -> None:
    backend = Project("backend", tmp_path / "backend")
    backend.folder.mkdir()
    assert pinned_ruff(backend, tmp_path) is None
    (tmp_path / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n"
        "    rev: v0.5.7\n    hooks:\n      - id: ruff\n"
    )
    found = pinned_ruff(backend, tmp_path)
    assert found is not None
    assert (found.version, found.source) == ("0.5.7", ".pre-commit-config.yaml")
    (backend.folder / "requirements-dev.txt").write_text("pytest\nruff==0.6.1\n")
    found = pinned_ruff(backend, tmp_path)
    assert found is not None
    assert (found.version, found.source) == ("0.6.1", "backend/requirements-dev.txt")
    (backend.folder / "uv.lock").write_text(
        'version = 1\n\n[[package]]\nname = "ruff"\nversion = "0.6.9"\n'
    )
    found = pinned_ruff(backend, tmp_path)
    assert found is not None
    assert (found.version, found.source) == ("0.6.9", "backend/uv.lock")
    # A pin that is no plain version never reaches a command line.
    (backend.folder / "uv.lock").write_text(
        'version = 1\n\n[[package]]\nname = "ruff"\nversion = "0.6.9 --x"\n'
    )
    found = pinned_ruff(backend, tmp_path)
    assert found is not None
    assert found.version == "0.6.1"


def test_a_lock_rewritten_in_place_is_read_again(tmp_path: Path) -> None:
    # The pin of a lock is kept by its content, never by its path alone.
    project = Project(".", tmp_path)
    lock = tmp_path / "uv.lock"
    for version in ("0.6.9", "0.7.1", "0.6.9"):
        lock.write_text(
            f'version = 1\n\n[[package]]\nname = "ruff"\nversion = "{version}"\n'
        )
        found = pinned_ruff(project, tmp_path)
        assert found is not None
        assert found.version == version


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
    before = tree_state(git_repo)
    ctx = folder_context(git_repo.path, tmp_path)

    run = run_tool(ctx, "ruff", ["--version"])

    if "could not be run" in run.note:
        pytest.skip(f"the registry is not reachable: {run.note}")
    assert (run.exit_code, run.runner) == (0, "uv")
    assert run.stdout.strip() == "ruff 0.6.9"
    assert run.note == "ruff 0.6.9, pinned in uv.lock"
    assert not (tmp_path / "cache" / "uv-env").exists()
    assert tree_state(git_repo) == before


def _pinning_ruff_0_1_9(git_repo: GitRepo, tmp_path: Path) -> CheckContext:
    """A project that pins ruff 0.1.9: no inline --config, no UP045."""
    git_repo.write("requirements.txt", "ruff==0.1.9\n")
    git_repo.commit()
    return folder_context(git_repo.path, tmp_path)


@needs_uv
def test_a_pinned_ruff_too_old_for_the_reviews_arguments_gives_way(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    ctx = _pinning_ruff_0_1_9(git_repo, tmp_path)
    # An option an older pinned ruff refuses, found out by running it.
    args = ["format", "--config", "x=1", "--config", "y=2", "."]

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
def test_a_pinned_ruff_before_inline_config_formats_but_does_not_lint(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    ctx = _pinning_ruff_0_1_9(git_repo, tmp_path)

    formats = run_tool(ctx, "ruff", ["format", "--check", "."])
    lints = run_tool(ctx, "ruff", ["check", "--config", "lint.x=1", "."])

    if "could not be run" in formats.note:
        pytest.skip(f"the registry is not reachable: {formats.note}")
    assert (formats.runner, formats.note) == (
        "uv",
        "ruff 0.1.9, pinned in requirements.txt",
    )
    # Decided from the version before any run, so every lint run of the
    # review runs the same ruff, whatever runs first.
    assert lints.runner == "direct"
    assert lints.note == (
        f"bundled ruff {bundled_version()}: ruff 0.1.9 (pinned in"
        " requirements.txt) cannot take the review's --config options, which"
        " came with ruff 0.2"
    )
    assert ruff_command(ctx) == (bundled_command(), lints.note)


@pytest.mark.parametrize(
    ("version", "takes"),
    [("0.1.9", False), ("0.0.292", False), ("0.2.0", True), ("0.17.6", True),
     ("1.0", True), ("2025.1", True)],
)  # fmt: skip
def test_inline_config_came_with_ruff_0_2(version: str, takes: bool) -> None:
    assert takes_inline_config(version) is takes


@needs_uv
def test_a_pinned_ruff_survives_uvs_throwaway_cache(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The container sets UV_NO_CACHE: the fetched ruff lives in the review's cache.
    monkeypatch.setenv("UV_NO_CACHE", "1")
    git_repo.write("requirements.txt", "ruff==0.6.9\n")
    git_repo.commit()

    run = run_tool(folder_context(git_repo.path, tmp_path), "ruff", ["--version"])

    if "could not be run" in run.note:
        pytest.skip(f"the registry is not reachable: {run.note}")
    assert (run.stdout.strip(), run.runner) == ("ruff 0.6.9", "uv")
    assert run.note == "ruff 0.6.9, pinned in requirements.txt"
    assert (tmp_path / "cache" / "uv").is_dir()


def _root(tmp_path: Path) -> Project:
    return Project(".", tmp_path)


def test_a_poetry_lock_pins_ruff(tmp_path: Path) -> None:
    (tmp_path / "poetry.lock").write_text(
        '[[package]]\nname = "pytest"\nversion = "8.0.0"\n\n'
        '[[package]]\nname = "ruff"\nversion = "0.4.10"\n'
    )
    assert pinned_ruff(_root(tmp_path), tmp_path) == RuffPin("0.4.10", "poetry.lock")


def test_a_broken_lock_pins_nothing_and_the_next_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "uv.lock").write_text('[[package]\nname = "ruff"\n')
    (tmp_path / "requirements.txt").write_text("ruff == 0.5.0  # lint\n")
    assert pinned_ruff(_root(tmp_path), tmp_path) == RuffPin(
        "0.5.0", "requirements.txt"
    )


def test_ranges_other_packages_and_pyproject_dependencies_are_no_pin(
    tmp_path: Path,
) -> None:
    (tmp_path / "requirements.txt").write_text("ruff>=0.5\nruff-lsp==0.0.1\n")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["ruff==0.6.0"]\n'
    )
    (tmp_path / "uv.lock").write_text(
        'version = 1\n\n[[package]]\nname = "ruff"\nversion = 6\n'
    )
    (tmp_path / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: https://github.com/psf/black\n    rev: 24.1.0\n"
    )
    assert pinned_ruff(_root(tmp_path), tmp_path) is None


def test_the_nearest_pre_commit_config_alone_counts_and_none_above_the_repo(
    tmp_path: Path,
) -> None:
    hook = (
        "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n"
        "    rev: v0.5.7\n"
    )
    repo = tmp_path / "repo"
    backend = Project("backend", repo / "backend")
    backend.folder.mkdir(parents=True)
    (tmp_path / ".pre-commit-config.yaml").write_text(hook)
    assert pinned_ruff(backend, repo) is None  # above the repository
    (repo / ".pre-commit-config.yaml").write_text(hook)
    assert pinned_ruff(backend, repo) == RuffPin("0.5.7", ".pre-commit-config.yaml")
    (backend.folder / ".pre-commit-config.yaml").write_text("repos: []\n")
    assert pinned_ruff(backend, repo) is None  # the nearest one pins none


def test_safe_mode_and_the_direct_runner_run_the_bundled_ruff_whatever_the_pin(
    tmp_path: Path,
) -> None:
    (tmp_path / "requirements.txt").write_text("ruff==0.6.9\n")
    bundled = (bundled_command(), f"bundled ruff {bundled_version()}")
    assert ruff_command(folder_context(tmp_path, tmp_path, safe_mode=True)) == bundled
    direct = folder_context(tmp_path, tmp_path, Config(runner="direct"))
    assert ruff_command(direct) == bundled


def test_without_a_pin_or_with_our_version_pinned_no_ruff_is_fetched(
    tmp_path: Path,
) -> None:
    ctx = folder_context(tmp_path, tmp_path)
    assert ruff_command(ctx) == (
        bundled_command(),
        f"bundled ruff {bundled_version()}, the project pins none",
    )
    (tmp_path / "requirements.txt").write_text(f"ruff=={bundled_version()}\n")
    assert ruff_command(folder_context(tmp_path, tmp_path)) == (
        bundled_command(),
        f"ruff {bundled_version()}, pinned in requirements.txt",
    )
    # One review decides once: its work tree does not change under it.
    assert ruff_command(ctx)[1].endswith("the project pins none")


def test_a_pin_without_uv_runs_the_bundled_ruff_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("UV", raising=False)
    (tmp_path / "requirements.txt").write_text("ruff==0.3.1\n")
    assert ruff_command(folder_context(tmp_path, tmp_path)) == (
        bundled_command(),
        f"bundled ruff {bundled_version()}: no uv to run ruff 0.3.1",
    )


def test_a_pinned_ruff_that_cannot_be_fetched_is_tried_once_per_review(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = tmp_path / "uv-calls"
    fake_uv = tmp_path / "uv"
    fake_uv.write_text(
        f"#!/bin/sh\necho called >> {calls}\n"
        "echo 'error: Failed to fetch: network unreachable' >&2\nexit 2\n"
    )
    fake_uv.chmod(0o755)
    monkeypatch.setenv("UV", str(fake_uv))
    (tmp_path / "requirements.txt").write_text("ruff==0.3.1\n")
    ctx = folder_context(tmp_path, tmp_path)

    first = ruff_command(ctx)
    again = ruff_command(ctx)
    formats = ruff_command(ctx, lint=False)

    assert first == again == formats
    assert first == (
        bundled_command(),
        f"bundled ruff {bundled_version()}: ruff 0.3.1 (pinned in requirements.txt)"
        " could not be run: error: Failed to fetch: network unreachable"
        " (`uv tool run --from ruff==0.3.1 python -c import sys; print(sys.prefix)`)",
    )
    assert calls.read_text().count("called") == 1
