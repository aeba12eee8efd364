"""The ``requirements`` strategy: an environment uv builds from declared dependencies.

``requirements*.txt``, or PEP 621 dependencies and dependency groups without
a uv lock: uv installs them (and pytest) into a fresh venv in the cache
folder, keyed by those files' content.
"""

from __future__ import annotations

from pathlib import Path

from pattern_review.context import CheckContext
from pattern_review.projects.accounts import Account
from pattern_review.projects.discovery import REQUIREMENTS_GLOB, Project
from pattern_review.projects.environments.build import UvPipBuild, uv_pip_built
from pattern_review.projects.environments.ci import TEST_NAMES, ci_install, select
from pattern_review.projects.environments.declared import (
    declared_extras,
    dependency_groups,
    is_packaged,
)
from pattern_review.projects.environments.kinds import Environment
from pattern_review.projects.tool_config import read_pyproject


def requirement_files(project: Project) -> list[Path]:
    """Return the project's ``requirements*.txt`` files, sorted.

    Args:
        project: The project.

    Returns:
        The files in its folder.
    """
    return sorted(p for p in project.folder.glob(REQUIREMENTS_GLOB) if p.is_file())


def has_pep621_dependencies(project: Project) -> bool:
    """Return whether ``pyproject.toml`` declares dependencies uv can install.

    Args:
        project: The project.

    Returns:
        True for ``[project]`` dependencies or optional dependencies, or a
        ``[dependency-groups]`` table.
    """
    table = read_pyproject(project.folder).get("project")
    declared = isinstance(table, dict) and (
        bool(table.get("dependencies")) or bool(table.get("optional-dependencies"))
    )
    return declared or bool(dependency_groups(project.folder))


def from_requirements(
    ctx: CheckContext, uv: str, account: Account | None, root: Path
) -> Environment:
    """Build (or reuse) the environment of the project's declared dependencies.

    ``requirements*.txt`` when there are some; else a packaged PEP 621
    project is installed itself, editable (``importlib.metadata`` finds it),
    with its test/dev extras and groups or those its CI names; else the
    dependencies of ``pyproject.toml`` with all its extras and the test/dev
    groups (or the CI's).

    Args:
        ctx: A check's context.
        uv: The uv executable: it makes the venv and installs into it.
        account: Whom the install runs as (it may build the PR's project),
            None for us.
        root: The cache folder that user owns.

    Returns:
        The environment, keyed by the files it was built from.

    Raises:
        CheckError: uv could not make the venv or install the dependencies.
    """
    project = ctx.where
    files = requirement_files(project)
    label = project.label
    if files:
        spec = [arg for file in files for arg in ("-r", file.name)]
        names = ", ".join(f.name for f in files)
        origin = f"the environment uv built from {names} of {label}"
        build = UvPipBuild(
            "requirements", spec, [f.read_bytes() for f in files], origin
        )
        return uv_pip_built(ctx, uv, account, root, build)
    packaged = is_packaged(project.folder)
    chosen = select(
        ci_install(ctx.target.repo),
        declared_extras(project.folder),
        dependency_groups(project.folder, uv_dev=False),
        TEST_NAMES if packaged else None,
    )
    groups = [arg for g in chosen.groups for arg in ("--group", f"pyproject.toml:{g}")]
    if packaged:
        extras = f"[{','.join(chosen.extras)}]" if chosen.extras else ""
        spec = ["-e", f".{extras}", *groups]
        origin = f"{label} installed editable by uv{chosen}"
        return uv_pip_built(
            ctx, uv, account, root, UvPipBuild("project", spec, [], origin)
        )
    spec = ["-r", "pyproject.toml", *[f"--extra={e}" for e in chosen.extras], *groups]
    origin = f"the environment uv built from pyproject.toml of {label}{chosen}"
    build = UvPipBuild("requirements", spec, [], origin)
    return uv_pip_built(ctx, uv, account, root, build)
