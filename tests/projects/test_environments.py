"""Each project's environment: found, or built by uv in the cache, or said missing."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from pattern_review.config import Config
from pattern_review.context import CheckContext
from pattern_review.errors import CheckError
from pattern_review.models import ReviewTarget
from pattern_review.projects.discovery import Project
from pattern_review.projects.environments import (
    find_uv,
    project_environment,
)
from tests.check_context import folder_context, tree_state
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


def _context(
    folder: Path, tmp_path: Path, config: Config | None = None
) -> CheckContext:
    target = ReviewTarget(repo=folder, base="0" * 40, head="1" * 40)
    context = CheckContext(
        target=target, config=config or Config(), cache_dir=tmp_path / "cache"
    )
    return replace(context, project=Project(".", folder))


def _imports(python: Path | None, module: str) -> bool:
    assert python is not None
    done = subprocess.run([python, "-c", f"import {module}"], check=False)
    return done.returncode == 0


@needs_uv
def test_requirements_build_a_cached_environment_outside_the_tree(
    tmp_path: Path,
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text("tomli-w>=1.0\n")

    found = project_environment(_context(project, tmp_path))

    assert found.kind == "requirements"
    assert found.prefix is not None and found.prefix.is_relative_to(tmp_path / "cache")
    assert _imports(found.python, "tomli_w")
    assert _imports(found.python, "pytest")  # the checklist runs the tests
    assert found.origin == (
        "the environment uv built from requirements.txt of the repository root"
    )
    assert sorted(p.name for p in project.iterdir()) == ["requirements.txt"]
    # A new review reuses it; a changed requirements file builds another.
    assert project_environment(_context(project, tmp_path)).prefix == found.prefix
    (project / "requirements.txt").write_text("tomli-w>=1.0\niniconfig\n")
    assert project_environment(_context(project, tmp_path)).prefix != found.prefix


@needs_uv
def test_pep_621_dependencies_and_groups_without_a_lock(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "0"\ndependencies = ["tomli-w"]\n\n'
        '[dependency-groups]\ntest = ["iniconfig"]\n'
    )

    found = project_environment(_context(tmp_path, tmp_path))

    assert found.kind == "requirements"
    assert _imports(found.python, "tomli_w")
    assert _imports(found.python, "iniconfig")


def test_an_existing_venv_comes_first_and_must_run(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("tomli-w\n")
    broken = tmp_path / ".venv" / "bin"
    broken.mkdir(parents=True)
    (broken / "python").write_text("#!/bin/sh\nexit 1\n")
    (broken / "python").chmod(0o755)
    subprocess.run([sys.executable, "-m", "venv", tmp_path / "venv"], check=True)

    found = project_environment(_context(tmp_path, tmp_path))

    assert (found.kind, found.prefix) == ("venv", tmp_path / "venv")
    assert found.origin == "the venv venv"


def test_the_install_command_fills_a_fresh_environment(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    config = Config(install='test -n "$VIRTUAL_ENV" && touch "$VIRTUAL_ENV/installed"')

    found = project_environment(_context(project, tmp_path, config))

    assert found.kind == "install"
    assert found.prefix is not None and (found.prefix / "installed").is_file()
    assert list(project.iterdir()) == []


@needs_uv
def test_uv_in_the_install_command_fills_the_new_environment_not_the_system(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The container sets UV_SYSTEM_PYTHON=1; a job may set UV_PYTHON.
    monkeypatch.setenv("UV_SYSTEM_PYTHON", "1")
    monkeypatch.setenv("UV_PYTHON", sys.executable)
    monkeypatch.setenv("UV", str(find_uv()))
    config = Config(install='"$UV" pip list --format json > "$VIRTUAL_ENV/listed.json"')

    project = tmp_path / "project"
    project.mkdir()

    found = project_environment(_context(project, tmp_path, config))

    assert found.prefix is not None
    # A fresh environment lists nothing; the system or this run's has pytest.
    assert (found.prefix / "listed.json").read_text().strip() == "[]"


def test_a_failing_install_command_is_the_reason(tmp_path: Path) -> None:
    config = Config(install="echo 'ERROR: no such package: nope' >&2; exit 3")
    with pytest.raises(CheckError) as raised:
        project_environment(_context(tmp_path, tmp_path, config))
    assert str(raised.value) == (
        "environment of the repository root could not be set up:"
        " ERROR: no such package: nope (`sh -c echo 'ERROR: no such package: nope'"
        " >&2; exit 3`)"
    )
    assert raised.value.output == "ERROR: no such package: nope"


def test_nothing_to_build_from_means_the_bundled_tools(tmp_path: Path) -> None:
    found = project_environment(_context(tmp_path, tmp_path))
    assert (found.kind, found.prefix) == ("bundled", None)
    assert found.origin == (
        "bundled tools: no environment found for the repository root"
    )


def test_a_chosen_environment_that_is_not_there_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CheckError, match="could not be set up: no .venv or venv"):
        project_environment(_context(tmp_path, tmp_path, Config(environment="venv")))


def test_uv_is_found_from_the_uv_variable_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "my-uv"
    fake.write_text("#!/bin/sh\n")
    monkeypatch.setenv("UV", str(fake))
    assert find_uv() == str(fake)


def test_a_plain_repo_and_safe_mode_use_the_bundled_tools(tmp_path: Path) -> None:
    assert project_environment(folder_context(tmp_path, tmp_path)).kind == "bundled"
    direct = folder_context(tmp_path, tmp_path, Config(runner="direct"))
    assert project_environment(direct).kind == "bundled"
    (tmp_path / "uv.lock").write_text("version = 1\n")
    safe = folder_context(tmp_path, tmp_path, Config(runner="uv"), safe_mode=True)
    found = project_environment(safe)
    assert (found.kind, found.prefix) == ("bundled", None)
    assert "safe mode" in found.origin


@needs_uv
def test_the_uv_environment_is_set_up_once_outside_the_work_tree(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("pyproject.toml", UV_PROJECT)
    git_repo.write("pkg/mod.py", "import os\n")
    git_repo.commit()
    before = tree_state(git_repo)
    ctx = folder_context(git_repo.path, tmp_path, Config(runner="uv"))

    first = project_environment(ctx)
    again = project_environment(ctx)

    assert first == again
    assert first.kind == "uv"
    assert first.prefix is not None
    assert first.prefix.is_relative_to(tmp_path / "cache")
    assert (first.prefix / "bin" / "python").exists()
    assert tree_state(git_repo) == before
