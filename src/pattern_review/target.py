"""Build the ReviewTarget: which files changed and which of their lines are new.

The target is the first stage of a review: everything after it reads only
the ``ReviewTarget``, never git.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchSet

from pattern_review import git
from pattern_review.globs import glob_match
from pattern_review.lines import split_lines
from pattern_review.models import ChangedFile, FileStatus, ReviewTarget

PYTHON_SUFFIXES = (".py", ".pyi")
MAX_FILE_BYTES = 2 * 1024 * 1024
SYMLINK_MODE = "120000"
SUBMODULE_MODE = "160000"
_STATUS: dict[str, FileStatus] = {
    "A": "added",
    "C": "added",
    "M": "modified",
    "T": "modified",
    "R": "renamed",
    "D": "deleted",
}


# Where a generated file says so: its first lines, as a comment or docstring.
HEADER_LINES = 5
HEADER_BYTES = 1024
GENERATED_MARKER = re.compile(
    r"@generated\b"
    r"|\bgenerated\b.*\bdo not edit\b|\bdo not edit\b.*\bgenerated\b"
    r"|^(?:this (?:file|module|code) (?:is|was|has been) |this is an? )?"
    r"(?:auto-?generated|automatically generated|generated (?:by|from|with))\b",
    re.IGNORECASE,
)
GENERATED_ATTRIBUTE_REASON = "generated (linguist-generated in .gitattributes)"


# Added head lines, head-side hunk ranges, and how many base lines went.
_Lines = tuple[frozenset[int], tuple[tuple[int, int], ...], int]


class TargetError(Exception):
    """The target cannot be built; the message says why in one line."""


def build_target(
    repo: Path,
    base: str | None,
    head: str | None = None,
    *,
    repository: str | None = None,
    pr: int | None = None,
    event: str = "local",
    safe_mode: bool = False,
) -> ReviewTarget:
    """Describe what a review of ``repo`` between ``base`` and ``head`` covers.

    The files' content is read from ``repo``'s work tree, which the caller
    keeps at ``head`` (a detached work tree when ``head`` is another commit).

    Args:
        repo: Any folder inside the work tree.
        base: Base revision; its merge base with head is used, as a pull
            request does. None: the merge base with the default branch.
        head: Head revision. None: the work tree as it is (HEAD plus staged,
            unstaged and untracked changes), as a pre-commit hook sees it.
        repository: ``owner/name`` on GitHub, when known.
        pr: Pull request number, when known.
        event: What started the review.
        safe_mode: No PR code may run (``pull_request_target``).

    Returns:
        The target, every changed file listed (skipped ones with a reason).

    Raises:
        TargetError: Not a git repo, unknown base or head, no default branch,
            or base and head have no common ancestor here.
    """
    try:
        root = git.toplevel(repo)
    except git.GitError as exc:
        raise TargetError(f"{repo} is not a git work tree ({exc})") from exc
    head_sha = git.resolve_commit(root, head or "HEAD")
    if head_sha is None:
        raise TargetError(f"head {head or 'HEAD'!r} is not a commit in {root}")
    if base is None:
        base = git.default_branch(root)
        if base is None:
            raise TargetError(
                "cannot tell the default branch (no origin/HEAD, main or master);"
                " pass --base"
            )
    base_commit = git.resolve_commit(root, base)
    if base_commit is None:
        raise TargetError(
            f"base {base!r} is not a commit in this repository's history"
            " (in a shallow clone, fetch it first: actions/checkout fetch-depth: 0)"
        )
    base_sha = git.merge_base(root, base_commit, head_sha)
    if base_sha is None:
        raise TargetError(_no_merge_base(root, base, head or "HEAD"))
    diff_head = None if head is None else head_sha
    try:
        files = _changed_files(root, base_sha, diff_head)
    except git.GitError as exc:
        raise TargetError(str(exc)) from exc
    return ReviewTarget(
        repo=root,
        base=base_sha,
        head=head_sha,
        files=tuple(sorted(files, key=lambda f: f.path)),
        repository=repository,
        pr=pr,
        event=event,
        safe_mode=safe_mode,
    )


def _no_merge_base(root: Path, base: str, head: str) -> str:
    """Say why base and head have no merge base, and how to get one.

    Diffing against the base tip instead would show every file the base
    branch added since as deleted by the change.
    """
    if git.is_shallow(root):
        return (
            f"base {base!r} and head {head!r} have no common ancestor in this"
            " shallow clone; fetch more history (actions/checkout fetch-depth: 0;"
            " locally git fetch --deepen=N or --unshallow)"
        )
    return (
        f"base {base!r} and head {head!r} have no common ancestor: unrelated"
        " histories, so there is no change to review between them"
    )


def _changed_files(root: Path, base: str, head: str | None) -> list[ChangedFile]:
    changes = git.raw_changes(root, base, head)
    python = [c.path for c in changes if _is_python(c.path) and c.status != "D"]
    # A rename is only paired when both of its paths are in the pathspec.
    python += [c.old_path for c in changes if c.old_path and c.path in python]
    lines = _patch_lines(root, base, head, python) if python else {}
    files = [_describe(root, change, lines.get(change.path)) for change in changes]
    if head is None:
        known = {f.path for f in files}
        for path in git.untracked_files(root):
            if path not in known:
                files.append(_untracked(root, path))
    return _skip_generated(root, files)


def _skip_generated(root: Path, files: list[ChangedFile]) -> list[ChangedFile]:
    """Leave out generated files: marked in ``.gitattributes`` or by a header."""
    reviewed = [f.path for f in files if f.reviewed]
    marked = git.generated_attribute(root, reviewed)
    result: list[ChangedFile] = []
    for changed in files:
        reason = None
        if changed.path in marked:
            reason = GENERATED_ATTRIBUTE_REASON
        elif changed.reviewed:
            header = generated_header(root / changed.path)
            reason = f"generated (header: {header})" if header else None
        if reason:
            changed = changed.model_copy(
                update={"skip_reason": reason, "skip_kind": "generated"}
            )
        result.append(changed)
    return result


def generated_header(path: Path) -> str | None:
    """Return the comment line that marks a file as generated, if it has one.

    Only the first lines are read, and only comments and the module
    docstring count: a string in the code that says "generated" does not.

    Args:
        path: The file.

    Returns:
        The marking line (stripped, at most 80 characters), or None.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(HEADER_BYTES)
    except OSError:
        return None
    text = head.decode("utf-8", "replace")
    in_docstring = False
    for line in split_lines(text)[:HEADER_LINES]:
        stripped = line.strip()
        words = stripped
        if in_docstring:
            in_docstring = not stripped.endswith(('"""', "'''"))
        elif stripped.startswith("#"):
            words = stripped.lstrip("#!").strip()
        elif stripped[:3] in ('"""', "'''"):
            words = stripped[3:]
            in_docstring = len(stripped) < 6 or not stripped.endswith(stripped[:3])
        elif stripped:
            return None  # code: the header is over
        words = words.strip("\"' ")
        if words and GENERATED_MARKER.search(words):
            return stripped[:80]
    return None


def exclude_files(target: ReviewTarget, globs: Sequence[str]) -> ReviewTarget:
    """Leave out the changed files the config's ``exclude`` globs match.

    Args:
        target: The review's target.
        globs: Path globs (``**`` spans folders), as in ``per-file-ignores``.

    Returns:
        The target, each matching reviewed file skipped with the glob named.
    """
    if not globs:
        return target
    files: list[ChangedFile] = []
    for changed in target.files:
        glob = next((g for g in globs if glob_match(changed.path, g)), None)
        if glob is not None and changed.reviewed:
            changed = changed.model_copy(
                update={
                    "skip_reason": f"excluded by config: {glob}",
                    "skip_kind": "excluded",
                }
            )
        files.append(changed)
    return target.model_copy(update={"files": tuple(files)})


def _is_python(path: str) -> bool:
    return path.endswith(PYTHON_SUFFIXES)


def _skip_reason(root: Path, path: str) -> str | None:
    """Say why a Python file at head cannot be reviewed, or None if it can."""
    target = root / path
    try:
        size = target.stat().st_size
        if size > MAX_FILE_BYTES:
            return f"too large to review ({size / 1024 / 1024:.1f} MiB > 2 MiB)"
        data = target.read_bytes()
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if b"\0" in data[:8192]:
        return "binary file"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
    return None


def _describe(
    root: Path,
    change: git.RawChange,
    lines: _Lines | None,
) -> ChangedFile:
    status = _STATUS.get(change.status, "modified")
    reason: str | None = None
    if status == "deleted":
        reason = "deleted"
    elif change.new_mode == SUBMODULE_MODE:
        reason = "submodule"
    elif change.new_mode == SYMLINK_MODE:
        reason = "symlink"
    elif not _is_python(change.path):
        reason = "not a Python file"
    else:
        reason = _skip_reason(root, change.path)
    added, hunks, removed = lines or (frozenset(), (), 0)
    return ChangedFile(
        path=change.path,
        status=status,
        old_path=change.old_path,
        added_lines=added,
        hunks=hunks,
        removed_lines=removed,
        skip_reason=reason,
    )


def _untracked(root: Path, path: str) -> ChangedFile:
    reason = None if _is_python(path) else "not a Python file"
    count = 0
    if reason is None:
        reason = _skip_reason(root, path)
    if reason is None:
        count = len(split_lines((root / path).read_text(encoding="utf-8")))
    return ChangedFile(
        path=path,
        status="added",
        added_lines=frozenset(range(1, count + 1)),
        hunks=((1, count),) if count else (),
        skip_reason=reason,
    )


def _patch_lines(
    root: Path, base: str, head: str | None, paths: list[str]
) -> dict[str, _Lines]:
    """Map each path to its added head lines and its head-side hunk ranges."""
    patch = git.diff_text(root, base, head, paths)
    try:
        parsed = PatchSet(io.StringIO(patch))
    except UnidiffParseError as exc:
        raise git.GitError(f"cannot parse git's diff: {exc}") from exc
    result: dict[str, _Lines] = {}
    for patched in parsed:
        if patched.is_binary_file:
            continue
        # git C-quotes names holding '"', a backslash or a control character.
        path = git.unquote_path(patched.path)
        added: set[int] = set()
        hunks: list[tuple[int, int]] = []
        for hunk in patched:
            if hunk.target_length:
                end = hunk.target_start + hunk.target_length - 1
                hunks.append((hunk.target_start, end))
            added.update(
                line.target_line_no
                for line in hunk
                if line.is_added and line.target_line_no is not None
            )
        result[path] = (frozenset(added), tuple(hunks), patched.removed)
    return result
