"""A CheckContext for check tests, built by hand over a real git repo."""

from __future__ import annotations

from pathlib import Path

from pattern_review.config import Config
from pattern_review.context import CheckContext
from pattern_review.models import ChangedFile, FileStatus, ReviewTarget
from tests.gitrepo import GitRepo


def check_context(
    repo: GitRepo,
    tmp_path: Path,
    *paths: str,
    config: Config | None = None,
    safe_mode: bool = False,
    status: FileStatus = "modified",
) -> CheckContext:
    """Review ``paths`` of ``repo`` as changed files (line 1 added)."""
    files = tuple(
        ChangedFile(path=p, status=status, added_lines=frozenset({1}), hunks=((1, 1),))
        for p in paths
    )
    target = ReviewTarget(
        repo=repo.path, base="0" * 40, head="1" * 40, files=files, safe_mode=safe_mode
    )
    return CheckContext(
        target=target, config=config or Config(), cache_dir=tmp_path / "cache"
    )


def tree_state(repo: GitRepo) -> str:
    """Everything git sees in the work tree, ignored files included."""
    return repo.git("status", "--porcelain", "--ignored", "--untracked-files=all")


def folder_context(
    folder: Path, tmp_path: Path, config: Config | None = None, safe_mode: bool = False
) -> CheckContext:
    """A context for the project at ``folder``, with no changed file."""
    target = ReviewTarget(
        repo=folder, base="0" * 40, head="1" * 40, safe_mode=safe_mode
    )
    return CheckContext(
        target=target, config=config or Config(), cache_dir=tmp_path / "cache"
    )
