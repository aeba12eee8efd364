"""Reuse a check's outcome when everything it depends on is unchanged.

A re-run on the same content (a re-run workflow, a second local run, a
pre-commit hook after an unrelated edit elsewhere) then costs a hash instead
of a mypy or pytest run. The key covers the work tree's content (tracked,
uncommitted and untracked files), the lock files and installed packages of
the environment the tools run in, the tool versions, pattern-review's own code
(not only its version: a checkout of it changes between releases), who the
PR's code runs as, the configuration and the files reviewed. Only outcomes of
checks that ran to the end (``passed`` or ``failed``) are stored: an error
may be passing trouble and is retried. So is a file the convention engine
could not analyse (out of its budget, its worker killed): the next run tries
it again instead of repeating a verdict that a loaded machine caused.

The cache folder may sit where others can write (a shared ``/tmp``-like
folder, a cache restored by another user). Root never follows a link it did
not make there: the folder is used only when it is a real folder nobody but
us (or, for root, a trusted user other than the one PR code runs as) can
write; entries are opened relative to it without following links, written
under a fresh name and renamed into place, and pruning unlinks links instead
of following them.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import functools
import hashlib
import logging
import os
import pwd
import secrets
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

from pydantic import ValidationError

from pattern_review import __version__, git
from pattern_review.context import CheckContext
from pattern_review.findings.rules import ANALYSIS_FAILED_RULE
from pattern_review.models import CheckOutcome
from pattern_review.projects.accounts import DEFAULT_USER, RUN_AS_VARIABLE
from pattern_review.projects.process import PASS_ENV_VARIABLE
from pattern_review.redaction import Redactor

log = logging.getLogger(__name__)

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
# Findings that may say more about the machine than about the code.
_RETRIED_RULES = frozenset({ANALYSIS_FAILED_RULE})


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
    digest.update(_work_tree_state(context).encode())
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


def _work_tree_state(context: CheckContext) -> str:
    """The work tree's state, read once per review: as the checks found it."""

    def read() -> str | Exception:
        try:
            return git.work_tree_state(context.target.repo)
        except (git.GitError, OSError) as exc:
            return exc

    shared = context.shared
    state = shared.once(shared.work_tree_states, (str(context.target.repo),), read)
    if isinstance(state, Exception):
        raise state
    return state


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


def keeps(outcome: CheckOutcome) -> bool:
    """Tell whether an outcome may be reused by a later identical run.

    Args:
        outcome: A check's outcome.

    Returns:
        True for a check that ran to the end on every file; False for an
        error or a skip, and for a file that could not be analysed (a
        budget overrun, a killed worker): a later run must try again.
    """
    if outcome.result.status not in ("passed", "failed"):
        return False
    return not any(f.rule in _RETRIED_RULES for f in outcome.findings)


class UnsafeFolderError(Exception):
    """A cache folder others could plant links or entries in; not used."""


def _pr_code_uid() -> int | None:
    """Return the user id PR code runs as when the review is root, if any."""
    name = os.environ.get(RUN_AS_VARIABLE, DEFAULT_USER).strip()
    if name in ("", "root"):
        return None
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        return None


def _trusted_owner(uid: int) -> bool:
    """Tell whether files ``uid`` owns may be used by this process."""
    own = os.geteuid()
    if uid in (own, 0):
        return True
    # Root uses a cache restored by the runner's user (actions/cache), never
    # one the PR's code (which runs as another user) could have made.
    return own == 0 and uid != _pr_code_uid()


def why_unsafe(info: os.stat_result, *, sticky_ok: bool = False) -> str | None:
    """Say why a folder must not hold the review's cache, or None if it may.

    Args:
        info: The folder's ``lstat``.
        sticky_ok: Accept a folder others may write when its sticky bit keeps
            them from renaming or removing what is ours (an ancestor).

    Returns:
        The reason, in a few words, or None.
    """
    if stat.S_ISLNK(info.st_mode):
        return "it is a symbolic link"
    if not stat.S_ISDIR(info.st_mode):
        return "it is not a folder"
    if not _trusted_owner(info.st_uid):
        return f"it belongs to another user (uid {info.st_uid})"
    shared = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    if shared and not (sticky_ok and info.st_mode & stat.S_ISVTX):
        return "others can write to it"
    return None


def open_private_folder(path: Path) -> int:
    """Create a folder's missing parts and open it, refusing an unsafe one.

    Missing folders are made writable by us alone (0755: the user PR code
    runs as may still reach its own folder inside). The folder itself is opened
    without following a link, and its ancestors must not let others replace
    it (writable by others only with the sticky bit).

    Args:
        path: The folder (absolute or relative to the current folder).

    Returns:
        A file descriptor of the folder, to open entries relative to; the
        caller closes it.

    Raises:
        UnsafeFolderError: The folder or an ancestor is not safe; the message
            names it and says why.
    """
    path = Path(os.path.abspath(path))
    missing = []
    for step in [path, *path.parents]:
        if os.path.lexists(step):
            break
        missing.append(step)
    for step in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(step, 0o755)
    for ancestor in path.parents:
        try:
            why = why_unsafe(os.stat(ancestor), sticky_ok=True)
        except OSError as exc:
            why = exc.strerror
        if why:
            raise UnsafeFolderError(f"{ancestor}: {why}")
    try:
        folder = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as exc:
        link = exc.errno in (errno.ELOOP, errno.ENOTDIR) and os.path.islink(path)
        raise UnsafeFolderError(
            f"{path}: {'it is a symbolic link' if link else exc.strerror}"
        ) from exc
    why = why_unsafe(os.fstat(folder))
    if why:
        os.close(folder)
        raise UnsafeFolderError(f"{path}: {why}")
    return folder


def private_cache_root(root: Path) -> Path:
    """Return a cache folder at (or in) ``root`` that nobody else can aim.

    ``root`` itself when it is safe; else, in a shared folder with the sticky
    bit (``/tmp``-like), a folder of our own inside it; else a temporary
    folder for this run alone. A note (a logged warning) says which and why.

    Args:
        root: The configured or default cache folder.

    Returns:
        An existing folder, safe to keep caches in.
    """
    try:
        os.close(open_private_folder(root))
        return root
    except UnsafeFolderError as exc:
        reason = str(exc)
    own = root / f"pattern-review-{os.geteuid()}"
    try:
        os.close(open_private_folder(own))
    except UnsafeFolderError as exc:
        fallback = Path(tempfile.mkdtemp(prefix="pattern-review-cache-"))
        atexit.register(shutil.rmtree, fallback, ignore_errors=True)
        log.warning(
            "pattern-review: the cache folder %s is not used (%s; %s): this"
            " review keeps its caches in %s, for this run only",
            root,
            reason,
            exc,
            fallback,
        )
        return fallback
    log.warning(
        "pattern-review: the cache folder %s is shared (%s): caches are kept in %s",
        root,
        reason,
        own,
    )
    return own


def _usable_entry(info: os.stat_result) -> bool:
    """A cache entry is a plain file of ours with one name (no hard link)."""
    return (
        stat.S_ISREG(info.st_mode)
        and info.st_nlink == 1
        and _trusted_owner(info.st_uid)
    )


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

    def _name(self, check: str) -> str:
        key = hashlib.sha256(f"{check}\0{self.state}".encode()).hexdigest()[:32]
        return f"{check}-{key}.json"

    @contextlib.contextmanager
    def _opened(self) -> Iterator[int]:
        """Yield the folder's descriptor: entries are opened relative to it."""
        folder = open_private_folder(self.folder)
        try:
            yield folder
        finally:
            os.close(folder)

    def get(self, check: str) -> CheckOutcome | None:
        """Return the stored outcome of a check, or None.

        Args:
            check: The check's name.

        Returns:
            The outcome of an earlier identical run, or None (also when the
            entry is unreadable: a damaged cache is simply not used).
        """
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
        try:
            with self._opened() as folder:
                entry = os.open(self._name(check), flags, dir_fd=folder)
                with os.fdopen(entry, "rb") as stream:
                    if not _usable_entry(os.fstat(stream.fileno())):
                        return None
                    data = stream.read()
            return CheckOutcome.model_validate_json(data)
        except UnsafeFolderError as exc:
            log.warning("pattern-review: results are not reused: %s", exc)
            return None
        except (OSError, ValueError, ValidationError):
            return None

    def put(self, check: str, outcome: CheckOutcome) -> None:
        """Store an outcome of a check that ran to the end.

        Args:
            check: The check's name.
            outcome: Its outcome; ``error`` and ``skipped`` ones are not
                kept, nor one with a file that could not be analysed.
        """
        if not keeps(outcome):
            return
        clean = Redactor().model(outcome)  # what a PR's test printed
        data = clean.model_dump_json().encode()
        # A fresh name, created (never opened if it exists), then renamed
        # over the entry: a link planted at either name is never written
        # through.
        temporary = f".{secrets.token_hex(8)}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        try:
            with self._opened() as folder:
                try:
                    entry = os.open(temporary, flags, 0o600, dir_fd=folder)
                    with os.fdopen(entry, "wb") as stream:
                        stream.write(data)
                    os.replace(
                        temporary,
                        self._name(check),
                        src_dir_fd=folder,
                        dst_dir_fd=folder,
                    )
                except OSError:
                    with contextlib.suppress(OSError):
                        os.unlink(temporary, dir_fd=folder)
                    return
                _prune(folder)
        except UnsafeFolderError as exc:
            log.warning("pattern-review: results are not kept: %s", exc)
        except OSError:
            return


def _prune(folder: int) -> None:
    """Keep the newest entries; remove links, never following one."""
    entries: list[tuple[float, str]] = []
    with os.scandir(folder) as listing:
        for item in listing:
            if not item.name.endswith(".json"):
                continue
            try:
                info = item.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                entries.append((info.st_mtime, item.name))
            elif stat.S_ISLNK(info.st_mode):  # never ours: the link goes
                with contextlib.suppress(OSError):
                    os.unlink(item.name, dir_fd=folder)
    entries.sort(reverse=True)
    for _, name in entries[KEEP_ENTRIES:]:
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=folder)
