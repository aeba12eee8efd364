"""What a project's ``pyproject.toml`` declares: extras, groups, its manager.

Read from the file as data (``read_pyproject``: invalid reads as empty); the
strategies choose among these names (``ci.select``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pattern_review.projects.tool_config import read_pyproject, tool_table


def _table(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def project_table(folder: Path) -> dict[str, Any]:
    """Return the ``[project]`` table of a folder's ``pyproject.toml``.

    Args:
        folder: A project's folder.

    Returns:
        The table, empty without one.
    """
    return _table(read_pyproject(folder).get("project"))


def declared_extras(folder: Path) -> list[str]:
    """Return the PEP 621 extras (``[project.optional-dependencies]``).

    Args:
        folder: A project's folder.

    Returns:
        Their names, as written, sorted.
    """
    return sorted(_table(project_table(folder).get("optional-dependencies")))


def dependency_groups(folder: Path, uv_dev: bool = True) -> list[str]:
    """Return the PEP 735 dependency groups, and uv's legacy ``dev`` group.

    Args:
        folder: A project's folder.
        uv_dev: Count ``[tool.uv] dev-dependencies`` as the ``dev`` group
            (uv does; ``uv pip install --group`` does not).

    Returns:
        Their names, sorted; ``dev`` for ``[tool.uv] dev-dependencies``.
    """
    groups = set(_table(read_pyproject(folder).get("dependency-groups")))
    if uv_dev and _strings(_table(tool_table(folder, "uv")).get("dev-dependencies")):
        groups.add("dev")
    return sorted(groups)


def is_packaged(folder: Path) -> bool:
    """Return whether the project builds a package of itself.

    As uv decides: a ``[project]`` with a ``[build-system]``, unless
    ``[tool.uv] package = false``.

    Args:
        folder: A project's folder.

    Returns:
        True when installing it (editable) makes it importable by name.
    """
    content = read_pyproject(folder)
    if not project_table(folder).get("name") or "build-system" not in content:
        return False
    return _table(tool_table(folder, "uv")).get("package") is not False


def build_backend(folder: Path) -> str:
    """Return the project's PEP 517 build backend, empty when it names none.

    Args:
        folder: A project's folder.

    Returns:
        ``hatchling.build``, ``poetry.core.masonry.api``, ...
    """
    system = _table(read_pyproject(folder).get("build-system"))
    backend = system.get("build-backend")
    return backend if isinstance(backend, str) else ""


def poetry_groups(folder: Path) -> list[str]:
    """Return a poetry project's dependency groups (``dev`` for the legacy table).

    Args:
        folder: A project's folder.

    Returns:
        Their names, sorted.
    """
    poetry = _table(tool_table(folder, "poetry"))
    groups = set(_table(poetry.get("group")))
    if poetry.get("dev-dependencies"):
        groups.add("dev")
    return sorted(groups)


def poetry_extras(folder: Path) -> list[str]:
    """Return a poetry project's extras (``[tool.poetry.extras]`` or PEP 621).

    Args:
        folder: A project's folder.

    Returns:
        Their names, sorted.
    """
    extras = set(_table(_table(tool_table(folder, "poetry")).get("extras")))
    return sorted(extras | set(declared_extras(folder)))


def is_poetry_project(folder: Path) -> bool:
    """Return whether poetry builds the project's environment from its lock.

    Args:
        folder: A project's folder.

    Returns:
        True with a ``poetry.lock`` beside a ``[tool.poetry]`` table.
    """
    return (folder / "poetry.lock").is_file() and tool_table(
        folder, "poetry"
    ) is not None


def hatch_envs(folder: Path) -> dict[str, dict[str, Any]]:
    """Return a project's hatch environments (``[tool.hatch.envs.*]``).

    Args:
        folder: A project's folder.

    Returns:
        Name -> table; empty when hatch is not configured.
    """
    envs = _table(_table(tool_table(folder, "hatch")).get("envs"))
    return {name: table for name, table in envs.items() if isinstance(table, dict)}


def hatch_requirements(
    envs: dict[str, dict[str, Any]], name: str
) -> tuple[list[str], list[str], bool]:
    """Return what a hatch env installs: dependencies, features, the project.

    Follows its ``template`` (``default`` unless set; none when
    ``detached``), as hatch does.

    Args:
        envs: ``hatch_envs``.
        name: The environment.

    Returns:
        Its dependencies (those with hatch's ``{context}`` formatting left
        out), its features (extras of the project), and whether it installs
        the project.
    """
    dependencies: list[str] = []
    features: list[str] = []
    own = envs.get(name, {})
    installs = own.get("skip-install") is not True and own.get("detached") is not True
    seen: set[str] = set()
    current: str | None = name
    while current is not None and current not in seen and current in envs:
        seen.add(current)
        table = envs[current]
        for key in ("dependencies", "extra-dependencies"):
            dependencies += [
                d
                for d in _strings(table.get(key))
                if "{" not in d and not d.startswith("-")
            ]
        features += _strings(table.get("features"))
        if table.get("detached") is True:
            break
        template = table.get("template", "default" if current != "default" else None)
        current = template if isinstance(template, str) else None
    return dependencies, features, installs
