"""The only module that runs git.

Every call goes through :func:`run_git`, which turns failures into a
``GitError`` carrying git's own one-line message. Paths given to git are
literal (no pathspec magic or globs): a file named ``:x.py`` is that file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

GIT_TIMEOUT_S = 120.0
_OBJECT_NAME = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")  # SHA-1 or SHA-256
# What git already answered in this process, for the calls a review repeats
# (the CLI resolves its arguments, then the target again): a work tree's root,
# and (repository, full SHA) verified to name a commit; objects never change.
_KNOWN_ROOTS: set[Path] = set()
_KNOWN_COMMITS: set[tuple[Path, str]] = set()


class GitError(Exception):
    """A git command failed; the message is git's first error line."""


def run_git(
    repo: Path, *args: str, check: bool = True, env: Mapping[str, str] | None = None
) -> str:
    """Run git in ``repo`` and return its stdout (decoded, invalid bytes replaced).

    Args:
        repo: The work tree.
        *args: git arguments.
        check: Raise on a non-zero exit.
        env: Variables to set on top of this process's environment.

    Returns:
        The standard output.

    Raises:
        GitError: git is missing, timed out, or failed (when ``check``).
    """
    try:
        done = subprocess.run(
            ["git", "--literal-pathspecs", "-c", "core.quotepath=off", *args],
            cwd=repo,
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
            env={**os.environ, **env} if env else None,
        )
    except FileNotFoundError as exc:
        if not repo.is_dir():
            raise GitError(f"{repo} is not a folder") from exc
        raise GitError("git is not installed or not on PATH") from exc
    except NotADirectoryError as exc:
        raise GitError(f"{repo} is not a folder") from exc
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {args[0]} timed out after {GIT_TIMEOUT_S:.0f} s") from exc
    if check and done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        first = next((line for line in message if line.strip()), "unknown error")
        raise GitError(f"git {args[0]}: {first.removeprefix('fatal: ')}")
    return done.stdout.decode("utf-8", "replace")


def toplevel(path: Path) -> Path:
    """Return the root of the work tree that contains ``path``.

    Args:
        path: Any folder inside a work tree.

    Returns:
        The work tree's root.

    Raises:
        GitError: ``path`` is not inside a git work tree.
    """
    if path in _KNOWN_ROOTS and (path / ".git").exists():
        return path
    try:
        root = Path(run_git(path, "rev-parse", "--show-toplevel").strip())
    except GitError as exc:
        if "not a git repository" in str(exc):
            raise GitError(f"{path} is not in a git work tree") from exc
        raise
    _KNOWN_ROOTS.add(root)
    return root


def resolve_commit(repo: Path, rev: str) -> str | None:
    """Return the full SHA of a commit, or None when it is not in the history.

    Args:
        repo: The work tree.
        rev: A SHA, branch, tag or other revision.

    Returns:
        The full object name (SHA-1, or SHA-256 in such repos), or None.
    """
    if (repo, rev) in _KNOWN_COMMITS:
        return rev
    out = run_git(repo, "rev-parse", "-q", "--verify", f"{rev}^{{commit}}", check=False)
    # One object name, nothing else: a range (``a..b``) prints two lines.
    sha = out.strip()
    if not _OBJECT_NAME.fullmatch(sha):
        return None
    _KNOWN_COMMITS.add((repo, sha))
    return sha


def merge_base(repo: Path, first: str, second: str) -> str | None:
    """Return the best common ancestor of two commits, or None when unrelated.

    Args:
        repo: The work tree.
        first: A commit.
        second: Another commit.

    Returns:
        The merge base SHA, or None.
    """
    out = run_git(repo, "merge-base", first, second, check=False)
    return out.strip() or None


def is_shallow(repo: Path) -> bool:
    """Say whether the repository is a shallow clone (part of its history missing).

    Args:
        repo: The work tree.

    Returns:
        True for a shallow clone.
    """
    return run_git(repo, "rev-parse", "--is-shallow-repository").strip() == "true"


def default_branch(repo: Path) -> str | None:
    """Return the name of the default branch a PR would target.

    Args:
        repo: The work tree.

    Returns:
        ``origin/HEAD``'s target, else the first of ``origin/main``,
        ``origin/master``, ``main``, ``master`` that exists; None if none does.
    """
    out = run_git(repo, "symbolic-ref", "-q", "refs/remotes/origin/HEAD", check=False)
    if out.strip():
        return out.strip().removeprefix("refs/remotes/")
    for candidate in ("origin/main", "origin/master", "main", "master"):
        if resolve_commit(repo, candidate):
            return candidate
    return None


@dataclass(frozen=True)
class RawChange:
    """One line of ``git diff --raw``.

    Attributes:
        status: git's status letter (A, M, D, R, C, T).
        old_mode: File mode at base (``000000`` when added).
        new_mode: File mode at head (``000000`` when deleted).
        path: Path at head (at base when deleted).
        old_path: Path at base for renames and copies.
    """

    status: str
    old_mode: str
    new_mode: str
    path: str
    old_path: str | None = None


def _diff_range(base: str, head: str | None) -> list[str]:
    return [base] if head is None else [base, head]


def raw_changes(repo: Path, base: str, head: str | None) -> list[RawChange]:
    """List the files changed between ``base`` and ``head`` with status and modes.

    Args:
        repo: The work tree.
        base: Base commit.
        head: Head commit, or None for the work tree (staged and unstaged).

    Returns:
        One entry per changed file, renames detected.
    """
    out = run_git(
        repo, "diff", "--raw", "-z", "-M", "--no-abbrev", *_diff_range(base, head)
    )
    fields = out.split("\0")
    changes: list[RawChange] = []
    index = 0
    while index < len(fields) - 1:
        meta = fields[index].lstrip(":").split()
        if len(meta) < 5:
            index += 1
            continue
        status = meta[4][0]
        if status in "RC":
            old, new = fields[index + 1], fields[index + 2]
            changes.append(RawChange(status, meta[0], meta[1], new, old))
            index += 3
        else:
            changes.append(RawChange(status, meta[0], meta[1], fields[index + 1]))
            index += 2
    return changes


def untracked_files(repo: Path) -> list[str]:
    """List untracked files that are not ignored.

    Args:
        repo: The work tree.

    Returns:
        Paths relative to the repo root.
    """
    out = run_git(repo, "ls-files", "-z", "--others", "--exclude-standard")
    return [path for path in out.split("\0") if path]


def diff_text(
    repo: Path,
    base: str,
    head: str | None,
    paths: Sequence[str] = (),
    context: int = 3,
) -> str:
    """Return the unified diff between ``base`` and ``head``.

    Args:
        repo: The work tree.
        base: Base commit.
        head: Head commit, or None for the work tree.
        paths: Limit to these paths (all when empty).
        context: Lines of context around each hunk.

    Returns:
        The patch text (invalid UTF-8 replaced).
    """
    return run_git(
        repo,
        "diff",
        "--no-color",
        "--no-ext-diff",
        # Fixed prefixes whatever the user's diff.noprefix/mnemonicPrefix say.
        "--src-prefix=a/",
        "--dst-prefix=b/",
        "-M",
        f"--unified={context}",
        *_diff_range(base, head),
        "--",
        *paths,
    )


# git's C-style escapes (quote.c), by the letter after the backslash.
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13}
_OCTAL = "01234567"


def unquote_path(path: str) -> str:
    r"""Undo git's C-style quoting of a path in a patch header.

    git wraps a name holding ``"``, ``\``, a control character or (with
    ``core.quotepath`` on) a non-ASCII byte in double quotes and escapes
    those: ``\"``, ``\\``, ``\t``, ``\n``, octal bytes such as ``\303``.

    Args:
        path: A path as a patch header shows it.

    Returns:
        The real path (octal bytes decoded as UTF-8); an unquoted path as is.
    """
    if len(path) < 2 or not (path.startswith('"') and path.endswith('"')):
        return path
    body = path[1:-1]
    out = bytearray()
    index = 0
    while index < len(body):
        char = body[index]
        following = body[index + 1 : index + 4]
        if char != "\\" or not following:
            out += char.encode("utf-8")
            index += 1
        elif len(following) == 3 and all(c in _OCTAL for c in following):
            out.append(int(following, 8) & 0xFF)
            index += 4
        else:
            code = following[0]
            out += bytes([_ESCAPES[code]]) if code in _ESCAPES else code.encode()
            index += 2
    return out.decode("utf-8", "replace")


def show_file(repo: Path, rev: str, path: str) -> bytes | None:
    """Return a file's content at a commit, or None when it does not exist there.

    Args:
        repo: The work tree.
        rev: The commit.
        path: Path relative to the repo root.

    Returns:
        The raw bytes, or None.
    """
    try:
        done = subprocess.run(
            ["git", "show", f"{rev}:{path}"],
            cwd=repo,
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


@contextlib.contextmanager
def detached_worktree(repo: Path, rev: str) -> Iterator[Path]:
    """Check out ``rev`` in a temporary work tree, removed afterwards.

    The caller's work tree is left as it is.

    Args:
        repo: The work tree.
        rev: The commit to check out.

    Yields:
        The temporary work tree's path.
    """
    folder = Path(tempfile.mkdtemp(prefix="pattern-review-head-"))
    # A checkout like the workspace itself: the unprivileged user that runs
    # the PR's tests (``unprivileged``) must be able to read it.
    folder.chmod(0o755)
    tree = folder / "tree"
    run_git(repo, "worktree", "add", "--quiet", "--detach", str(tree), rev)
    try:
        yield tree
    finally:
        run_git(repo, "worktree", "remove", "--force", str(tree), check=False)
        shutil.rmtree(folder, ignore_errors=True)


def tracked_files_clean(repo: Path) -> bool:
    """Say whether every tracked file matches the checked-out commit.

    Untracked files do not count: a review of a commit never reads them.

    Args:
        repo: The work tree.

    Returns:
        True when nothing tracked is modified, staged or deleted.
    """
    return not run_git(repo, "status", "--porcelain", "--untracked-files=no")


def work_tree_state(repo: Path) -> str:
    """Return a digest of the work tree's content as git sees it.

    It covers the checked-out commit's tree, every uncommitted change, and the
    untracked files that are not ignored (by name, size and modification
    time: cheap, and any edit changes it).

    Args:
        repo: The work tree.

    Returns:
        A hex digest that changes whenever a tracked or untracked file does.
    """
    digest = hashlib.sha256()
    digest.update(run_git(repo, "rev-parse", "HEAD^{tree}").encode())
    digest.update(run_git(repo, "diff", "HEAD", "--binary", "--no-ext-diff").encode())
    for path in sorted(untracked_files(repo)):
        try:
            stat = (repo / path).stat()
        except OSError:
            continue
        digest.update(f"\0{path}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def common_dir(repo: Path) -> Path:
    """Return the repository's shared git folder, the same for all its work trees.

    Args:
        repo: Any work tree of the repository (a temporary one included).

    Returns:
        The absolute ``.git`` folder that linked work trees share.
    """
    out = run_git(repo, "rev-parse", "--path-format=absolute", "--git-common-dir")
    return Path(out.strip())


def read_blobs(repo: Path, rev: str, paths: Sequence[str]) -> dict[str, bytes]:
    """Return the content of many files at a commit, read by one git process.

    Args:
        repo: The work tree.
        rev: The commit.
        paths: Paths relative to the repo root.

    Returns:
        The raw bytes of each path that is a file at ``rev``; missing paths
        (and names git's batch input cannot carry: a line break) are left out.
    """
    wanted = [path for path in paths if "\n" not in path and "\r" not in path]
    if not wanted:
        return {}
    request = "".join(f"{rev}:{path}\n" for path in wanted).encode()
    try:
        done = subprocess.run(
            ["git", "cat-file", "--batch"],
            cwd=repo,
            input=request,
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return {}
    out = done.stdout
    blobs: dict[str, bytes] = {}
    offset = 0
    for path in wanted:
        end = out.find(b"\n", offset)
        if end < 0:
            break
        line = out[offset:end]
        offset = end + 1
        if line.endswith((b" missing", b" ambiguous")):
            continue
        header = line.split()
        size = int(header[2]) if len(header) == 3 and header[2].isdigit() else -1
        if size < 0:
            break  # not git's batch format: keep what was read
        if header[1] != b"blob":  # a submodule or a folder
            offset += size + 1
            continue
        blobs[path] = out[offset : offset + size]
        offset += size + 1  # the content is followed by a line break
    return blobs


def tree_files(repo: Path, rev: str) -> list[str]:
    """List every file path of a commit's tree.

    Args:
        repo: The work tree.
        rev: The commit.

    Returns:
        Paths relative to the repo root.
    """
    out = run_git(repo, "ls-tree", "-r", "-z", "--name-only", rev)
    return [path for path in out.split("\0") if path]


def generated_attribute(
    repo: Path, paths: Sequence[str], rev: str | None = None
) -> set[str]:
    """Return the paths that ``.gitattributes`` marks ``linguist-generated``.

    The attributes are read in one ``git check-attr`` call for all paths.

    Args:
        repo: The work tree.
        paths: Paths relative to the repo root.
        rev: Read the ``.gitattributes`` files committed at this revision
            (through a throwaway index) instead of the work tree's.

    Returns:
        The paths whose ``linguist-generated`` attribute is set or true.
    """
    if not paths:
        return set()
    command = ["git", "check-attr", "-z", "--stdin", "linguist-generated"]
    with tempfile.TemporaryDirectory(prefix="pattern-review-attr-") as scratch:
        env = None
        if rev is not None:
            # check-attr --cached reads .gitattributes from the index only;
            # an index of ``rev`` makes it read that commit's.
            index = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
            run_git(repo, "read-tree", rev, env=index)
            env = {**os.environ, **index}
            command.insert(2, "--cached")
        try:
            done = subprocess.run(
                command,
                cwd=repo,
                input="".join(f"{path}\0" for path in paths).encode(),
                capture_output=True,
                timeout=GIT_TIMEOUT_S,
                check=False,
                env=env,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise GitError(f"git check-attr failed: {exc}") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise GitError(f"git check-attr: {message or 'failed'}")
    fields = done.stdout.decode("utf-8", "replace").split("\0")
    # Triples of path, attribute, value.
    return {
        fields[index]
        for index in range(0, len(fields) - 2, 3)
        if fields[index + 2] in ("set", "true")
    }
