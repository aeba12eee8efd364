"""Which Python project each changed file belongs to.

A repository may hold one project at its root, one in a subfolder
(``backend/``), or several (a monorepo). A file belongs to the closest folder
above it, up to the repository root, that holds a project's packaging or
dependency metadata: ``pyproject.toml``, ``setup.cfg``, a ``setup.py`` that
calls setuptools' ``setup(``, or ``requirements*.txt``. A folder with only a
tool's ini (``pytest.ini``, ``mypy.ini``, ``tox.ini``) is not a project: its
files belong to the enclosing one, and pytest still finds that ini, as it
does from the project's folder. A member of a uv workspace is a project of its own
(its folder, its tool config: running mypy by hand happens there) that shares
the workspace's lock and environment (``uv_lock``). A file under no marker
belongs to the repository root. The ``projects`` setting (folders or globs)
replaces discovery.

The checklist then runs once per project, from its folder, with its config.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pattern_review.projects.tool_config import tool_table

ROOT = "."
MARKERS = ("pyproject.toml", "setup.cfg")
REQUIREMENTS_GLOB = "requirements*.txt"
# A setup script imports setuptools (or distutils) and calls setup(); a plain
# module that happens to be named setup.py (a package's own setup step) does not.
_SETUP_IMPORT = re.compile(rb"^\s*(from|import)\s+(setuptools|distutils)\b", re.M)
_SETUP_CALL = re.compile(rb"(?<![\w.])(?:setuptools\.|distutils\.core\.)?setup\s*\(")
_SETUP_SCRIPT_BYTES = 200_000


@dataclass(frozen=True)
class Project:
    """One Python project of the reviewed repository.

    Attributes:
        path: Its folder relative to the repository root, ``.`` for the root.
        folder: Its folder, absolute.
    """

    path: str
    folder: Path

    @property
    def label(self) -> str:
        """The project as messages name it: ``backend/``, or ``the root``."""
        return "the repository root" if self.path == ROOT else f"{self.path}/"

    def relative(self, repo_path: str) -> str:
        """Return a repository-relative path relative to this project's folder.

        Args:
            repo_path: A path relative to the repository root, inside the project.

        Returns:
            The same file relative to the project's folder.
        """
        if self.path == ROOT:
            return repo_path
        return PurePosixPath(repo_path).relative_to(self.path).as_posix()

    def to_repo(self, project_path: str) -> str:
        """Return a path relative to the project's folder relative to the repo.

        Args:
            project_path: A path relative to the project's folder.

        Returns:
            The same file relative to the repository root.
        """
        clean = PurePosixPath(project_path.replace("\\", "/")).as_posix()
        clean = clean.removeprefix("./")
        if self.path == ROOT:
            return clean
        return f"{self.path}/{clean}"


def root_project(repo: Path) -> Project:
    """Return the project at the repository root.

    Args:
        repo: The repository's work tree.

    Returns:
        The root project.
    """
    return Project(ROOT, repo)


def is_setup_script(path: Path) -> bool:
    """Return whether a ``setup.py`` is a setuptools setup script.

    Args:
        path: The file.

    Returns:
        True when it imports setuptools or distutils and calls ``setup(``.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(_SETUP_SCRIPT_BYTES)
    except OSError:
        return False
    return bool(_SETUP_IMPORT.search(head) and _SETUP_CALL.search(head))


def has_marker(folder: Path) -> bool:
    """Return whether a folder holds a Python project's metadata.

    Args:
        folder: An absolute folder.

    Returns:
        True when one of ``MARKERS``, a setup script or a
        ``requirements*.txt`` is there.
    """
    if any((folder / name).is_file() for name in MARKERS):
        return True
    if (folder / "setup.py").is_file() and is_setup_script(folder / "setup.py"):
        return True
    return any(p.is_file() for p in folder.glob(REQUIREMENTS_GLOB))


def _workspace_members(folder: Path) -> tuple[list[str], list[str]] | None:
    """Return a uv workspace's member and exclude globs, None if no workspace."""
    uv = tool_table(folder, "uv")
    workspace = uv.get("workspace") if uv is not None else None
    if not isinstance(workspace, dict):
        return None
    members = [m for m in workspace.get("members", []) if isinstance(m, str)]
    exclude = [m for m in workspace.get("exclude", []) if isinstance(m, str)]
    return members, exclude


def _in_workspace(root: PurePosixPath, member: PurePosixPath, repo: Path) -> bool:
    """Return whether ``member`` is a member of a workspace rooted at ``root``."""
    globs = _workspace_members(repo / root)
    if globs is None:
        return False
    members, exclude = globs
    inner = member.relative_to(root).as_posix()
    if any(fnmatch.fnmatchcase(inner, glob.rstrip("/")) for glob in exclude):
        return False
    return any(fnmatch.fnmatchcase(inner, glob.rstrip("/")) for glob in members)


def discover(repo: Path, path: str) -> str:
    """Return the project folder a file belongs to, by its markers.

    Args:
        repo: The repository's work tree.
        path: A file path relative to the repository root.

    Returns:
        The project's folder relative to the root, ``.`` for the root.
    """
    for parent in PurePosixPath(path).parents:
        if parent == PurePosixPath("."):
            break
        if has_marker(repo / parent):
            return parent.as_posix()
    return ROOT


def is_uv_project(repo: Path) -> bool:
    """Return whether a folder holds a uv project.

    Args:
        repo: A project's folder.

    Returns:
        True when it has ``uv.lock`` or a ``[tool.uv]`` table in
        ``pyproject.toml``.
    """
    return (repo / "uv.lock").is_file() or tool_table(repo, "uv") is not None


def uv_lock(repo: Path, project: str) -> Path | None:
    """Return the uv lock a project is synced from.

    A project's own ``uv.lock``; else, for a member of a uv workspace, the
    workspace root's (uv syncs the member from the workspace's lock into the
    workspace's one environment).

    Args:
        repo: The repository's work tree.
        project: The project's folder relative to the root.

    Returns:
        The lock file, or None.
    """
    own = repo / project / "uv.lock"
    if own.is_file():
        return own
    if project == ROOT:
        return None
    member = PurePosixPath(project)
    for outer in member.parents:
        lock = repo / outer / "uv.lock"
        if lock.is_file() and _in_workspace(outer, member, repo):
            return lock
    return None


def _configured(repo: Path, patterns: Sequence[str]) -> list[str]:
    """Expand the ``projects`` setting into existing folders, deepest first."""
    folders: set[str] = set()
    for pattern in patterns:
        clean = pattern.strip().strip("/") or ROOT
        if clean == ROOT:
            folders.add(ROOT)
            continue
        for match in repo.glob(clean):
            if match.is_dir() and not any(p.startswith(".") for p in match.parts[-1:]):
                folders.add(match.relative_to(repo).as_posix())
    return sorted(folders, key=lambda f: (-len(PurePosixPath(f).parts), f))


def assign(
    repo: Path, paths: Iterable[str], configured: Sequence[str] | None = None
) -> dict[str, str]:
    """Map each file to the folder of the project it belongs to.

    Args:
        repo: The repository's work tree.
        paths: File paths relative to the repository root.
        configured: The ``projects`` setting; None discovers projects by
            their markers.

    Returns:
        Path -> project folder (``.`` for the root).
    """
    if configured is None:
        # Files of one folder share its answer: one look per folder, not
        # one per file (a PR of 1,000 files touches a few dozen folders).
        by_folder: dict[str, str] = {}
        found: dict[str, str] = {}
        for path in paths:
            folder = PurePosixPath(path).parent.as_posix()
            if folder not in by_folder:
                by_folder[folder] = discover(repo, path)
            found[path] = by_folder[folder]
        return found
    folders = _configured(repo, configured)
    result: dict[str, str] = {}
    for path in paths:
        parents = {p.as_posix() for p in PurePosixPath(path).parents}
        result[path] = next((f for f in folders if f in parents), ROOT)
    return result
