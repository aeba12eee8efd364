"""Reuse a check's outcome when everything it depends on is unchanged.

A re-run on the same content (a re-run workflow, a second local run, a
pre-commit hook after an unrelated edit elsewhere) then costs a hash instead
of a mypy or pytest run. The key covers the work tree's content (tracked,
uncommitted and untracked files), the lock files and installed packages of
the environment the tools run in, the tool versions, pattern-review's own code
(not only its version: a checkout of it changes between releases), who the
PR's code runs as, the configuration and the files reviewed. Only outcomes of
checks that ran to the end (``passed`` or ``failed``) are stored: an error
may be passing trouble and is retried.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from pydantic import ValidationError

from pattern_review import __version__, git
from pattern_review.context import CheckContext
from pattern_review.models import CheckOutcome
from pattern_review.projects.accounts import RUN_AS_VARIABLE
from pattern_review.projects.process import PASS_ENV_VARIABLE
from pattern_review.redaction import Redactor

KEEP_ENTRIES = 500
_LOCK_FILES = (
    "uv.lock",
    "poetry.lock",
    "pdm.lock",
    "requirements.txt",
    "requirements-dev.txt",
    ".python-version",
    ".pre-commit-config.yaml",
)
_TOOLS = ("ruff", "mypy", "pytest", "libcst")


@functools.cache
def code_identity(package: Path = Path(__file__).parents[1]) -> str:
    """Return a digest of pattern-review's own files (rules, checks, data).

    Args:
        package: The package's folder.

    Returns:
        A hex digest of its names and contents.
    """
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".md", ".toml", ".json"):
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _tool_identity() -> str:
    """Describe pattern-review itself: Python, its code and its tools."""
    parts = [sys.version, __version__, code_identity()]
    for tool in _TOOLS:
        with contextlib.suppress(metadata.PackageNotFoundError):
            parts.append(f"{tool}=={metadata.version(tool)}")
    return "\n".join(parts)


def tool_identity() -> str:
    """Describe pattern-review itself: Python, its code and its tools.

    Returns:
        A text that changes with any of them (for keys of other caches).
    """
    return _tool_identity()


def _environment_identity(repo: Path) -> str:
    """Describe the environments the tools may run in, cheaply."""
    parts = [_tool_identity()]
    # Whom the PR's code runs as, and which secret-named variables it gets.
    for name in (RUN_AS_VARIABLE, PASS_ENV_VARIABLE):
        parts.append(f"{name}={os.environ.get(name, '')}")
    parts.append(f"euid={os.geteuid() if hasattr(os, 'geteuid') else ''}")
    for name in _LOCK_FILES:
        lock = repo / name
        if lock.is_file():
            parts.append(hashlib.sha256(lock.read_bytes()).hexdigest())
    # An install into the target's own environment changes site-packages.
    for venv in (".venv", "venv"):
        for site in sorted((repo / venv / "lib").glob("python*/site-packages")):
            parts.append(f"{site}:{site.stat().st_mtime_ns}")
    return "\n".join(parts)


def state_of(context: CheckContext) -> str:
    """Return the part of every key that is shared by all checks of a review.

    Args:
        context: The review's check context.

    Returns:
        A digest of the work tree, the environment and the configuration.
    """
    target = context.target
    digest = hashlib.sha256()
    digest.update(git.work_tree_state(target.repo).encode())
    project = context.where
    digest.update(_environment_identity(project.folder).encode())
    # The environment the project's tools ran in, when the job activated one.
    digest.update(f"{project.path}\0{os.environ.get('VIRTUAL_ENV', '')}".encode())
    digest.update(context.config.model_dump_json().encode())
    if context.rulebook is not None:
        digest.update(context.rulebook.key().encode())
    digest.update(f"{target.safe_mode}\0{target.base}".encode())
    for path in context.python_paths:
        digest.update(f"\0{path}".encode())
    return digest.hexdigest()


def tree_state(root: Path, context: CheckContext) -> str:
    """Return the key part of a check run on a tree outside any repository.

    The base-version comparison checks the base files in a temporary tree
    (``baseline``): everything in that tree, pattern-review's own code and
    tools, and the configuration decide its findings.

    Args:
        root: The tree (its files are read).
        context: The check context run on it.

    Returns:
        A digest.
    """
    digest = hashlib.sha256()
    digest.update(_tool_identity().encode())
    digest.update(context.config.model_dump_json().encode())
    if context.rulebook is not None:
        digest.update(context.rulebook.key().encode())
    digest.update(f"{context.target.safe_mode}".encode())
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(f"\0{path.relative_to(root).as_posix()}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    for name in context.python_paths:
        digest.update(f"\0{name}".encode())
    return digest.hexdigest()


class ResultCache:
    """Check outcomes on disk, keyed by check name and the review's state."""

    def __init__(self, folder: Path, state: str) -> None:
        """Open the cache.

        Args:
            folder: Where entries live (created when first written).
            state: The review's state digest (see :func:`state_of`).
        """
        self.folder = folder
        self.state = state

    def _path(self, check: str) -> Path:
        key = hashlib.sha256(f"{check}\0{self.state}".encode()).hexdigest()[:32]
        return self.folder / f"{check}-{key}.json"

    def get(self, check: str) -> CheckOutcome | None:
        """Return the stored outcome of a check, or None.

        Args:
            check: The check's name.

        Returns:
            The outcome of an earlier identical run, or None (also when the
            entry is unreadable: a damaged cache is simply not used).
        """
        try:
            return CheckOutcome.model_validate_json(self._path(check).read_bytes())
        except (OSError, ValueError, ValidationError):
            return None

    def put(self, check: str, outcome: CheckOutcome) -> None:
        """Store an outcome of a check that ran to the end.

        Args:
            check: The check's name.
            outcome: Its outcome; ``error`` and ``skipped`` ones are not kept.
        """
        if outcome.result.status not in ("passed", "failed"):
            return
        with contextlib.suppress(OSError):
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(handle, "wb") as stream:
                clean = Redactor().model(outcome)  # what a PR's test printed
                stream.write(clean.model_dump_json().encode())
            os.replace(temporary, self._path(check))
            self._prune()

    def _prune(self) -> None:
        entries = sorted(
            self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True
        )
        for stale in entries[KEEP_ENTRIES:]:
            with contextlib.suppress(OSError):
                stale.unlink()
