"""Which ruff runs: the version a project pins (found in its files), else ours."""

from __future__ import annotations

from pathlib import Path

import pytest

from pattern_review.projects.discovery import Project
from pattern_review.projects.environments import find_uv
from pattern_review.projects.ruff_version import bundled_version, pinned_ruff
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


@needs_uv
def test_a_pinned_ruff_too_old_for_the_reviews_arguments_gives_way(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("requirements.txt", "ruff==0.1.9\n")
    git_repo.commit()
    ctx = folder_context(git_repo.path, tmp_path)
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

    run = run_tool(folder_context(git_repo.path, tmp_path), "ruff", ["--version"])

    if "could not be run" in run.note:
        pytest.skip(f"the registry is not reachable: {run.note}")
    assert (run.stdout.strip(), run.runner) == ("ruff 0.6.9", "uv")
    assert run.note == "ruff 0.6.9, pinned in requirements.txt"
    assert (tmp_path / "cache" / "uv").is_dir()
