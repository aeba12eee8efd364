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
from pattern_review.projects.environments.build import (
    built_folder,
    digest,
    fresh_venv,
    install_into,
    python_pins,
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


def _dependency_groups(project: Project) -> list[str]:
    groups = read_pyproject(project.folder).get("dependency-groups")
    return sorted(groups) if isinstance(groups, dict) else []


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
    return declared or bool(_dependency_groups(project))


def from_requirements(
    ctx: CheckContext, uv: str, account: Account | None, root: Path
) -> Environment:
    """Build (or reuse) the environment of the project's declared dependencies.

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
    groups = _dependency_groups(project)
    contents = [f.read_bytes() for f in files] + python_pins(project)
    folder, ready = built_folder(root, "requirements", digest(*contents))
    names = [f.name for f in files]
    if not files:
        names = ["pyproject.toml"]
    origin = f"the environment uv built from {', '.join(names)} of {project.label}"
    if ready:
        return Environment("requirements", folder, origin)
    fresh_venv(ctx, uv, folder, account, root)
    argv = [uv, "pip", "install", "--quiet", "--python", str(folder / "bin/python")]
    if files:
        for file in files:
            argv += ["-r", file.name]
    else:
        argv += ["-r", "pyproject.toml", "--all-extras"]
        for group in groups:
            argv += ["--group", f"pyproject.toml:{group}"]
    # The checklist runs the tests: they need pytest beside the dependencies.
    argv.append("pytest")
    install_into(ctx, argv, folder, account, root)
    return Environment("requirements", folder, origin)
