"""A change inside one project of a monorepo, as the CLI verbs narrow it.

``review --repo backend`` reviews the changed files under a folder, and a
change that lies in one project follows that project's own agent file.
"""

from __future__ import annotations

from pathlib import Path

from pattern_review.config import Config
from pattern_review.models import ReviewTarget
from pattern_review.projects.discovery import ROOT, assign
from pattern_review.rulebook.agent_file import AgentFile, find_agent_file


def subfolder(root: Path, folder: Path) -> str | None:
    """Return ``folder`` relative to the repository root, None for the root.

    Args:
        root: The repository's root.
        folder: A folder the user named (``--repo backend``), resolved.

    Returns:
        The relative folder, or None when it is the root (or outside it).
    """
    try:
        inside = folder.relative_to(root.resolve()).as_posix()
    except ValueError:
        return None
    return None if inside in ("", ".") else inside


def only_under(target: ReviewTarget, folder: str) -> tuple[ReviewTarget, int]:
    """Narrow a target to the changed files under a folder.

    Args:
        target: The whole change.
        folder: A folder relative to the repository root.

    Returns:
        The target with only those files, and how many were left out.
    """
    prefix = folder.rstrip("/") + "/"
    kept = tuple(f for f in target.files if f.path.startswith(prefix))
    narrowed = target.model_copy(update={"files": kept})
    return narrowed, len(target.files) - len(kept)


def single_project(target: ReviewTarget, configured: list[str] | None) -> str | None:
    """Return the one project outside the root that all reviewed files are in.

    Args:
        target: The change.
        configured: The ``projects`` setting.

    Returns:
        Its folder, or None when the files span several projects or the root.
    """
    paths = [f.path for f in target.reviewed_files]
    folders = set(assign(target.repo, paths, configured).values())
    if len(folders) != 1:
        return None
    only = folders.pop()
    return None if only == ROOT else only


def agent_file_for_change(
    repo: Path, target: ReviewTarget, config: Config, found: AgentFile
) -> AgentFile:
    """Return the agent file of the one project a change lies in, if it has one.

    A monorepo's projects may keep their own ``.claude/agents``: a change that
    lies in one project follows the file nearest it. The ``agent_file``
    setting, or a change spanning projects, keeps ``found``.

    Args:
        repo: The work tree.
        target: The change.
        config: Its ``agent_file`` and ``projects`` settings.
        found: The agent file found from the repository root.

    Returns:
        The agent file the review follows.

    Raises:
        AgentFileError: The nearest agent file cannot be read.
    """
    if config.agent_file:
        return found
    touched = single_project(target, config.projects)
    if touched is None:
        return found
    return find_agent_file(repo, None, repo / touched)
