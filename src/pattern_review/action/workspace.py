"""Preparing the checkout for a review: trusted git, base and head commits.

The runner's workspace may be owned by another user, may lack the commits
the event names (shallow clones), and on ``pull_request`` holds the merge
commit rather than the PR head. This module gets the commits the review
needs and a work tree at the head; every git command goes through
``pattern_review.git``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pattern_review.action.errors import ActionError

if TYPE_CHECKING:
    from github import Github

    from pattern_review.action.env import ActionRun


def trust_all_directories(env: MutableMapping[str, str]) -> None:
    """Let git work in a checkout owned by another user, for this process only.

    The runner mounts the workspace owned by the runner's uid; git refuses
    such a repo ("dubious ownership"). Config given through the environment
    applies to this process and the git commands it starts, and leaves the
    repository's own config untouched.

    Args:
        env: The environment to extend (``os.environ`` in production).
    """
    try:
        count = int(env.get("GIT_CONFIG_COUNT", "0") or "0")
    except ValueError:
        count = 0
    env[f"GIT_CONFIG_KEY_{count}"] = "safe.directory"
    env[f"GIT_CONFIG_VALUE_{count}"] = "*"
    env["GIT_CONFIG_COUNT"] = str(count + 1)


# History fetched per try when a shallow checkout lacks the merge base: enough
# for most PRs at once, then the whole history.
DEPTH_STEPS = (100, 1000)


def _fetch(root: Path, *refs: str) -> bool:
    from pattern_review import git

    for ref in refs:
        try:
            git.run_git(root, "fetch", "--no-tags", "--quiet", "origin", ref)
        except git.GitError:
            continue
        return True
    return False


def ensure_commit(root: Path, sha: str, what: str, *fallback_refs: str) -> str:
    """Make sure a commit is in the local history, fetching it when missing.

    Args:
        root: The work tree.
        sha: The commit wanted.
        what: What it is, for the error message (``PR head``).
        fallback_refs: Refs to fetch when fetching the SHA itself fails
            (``refs/pull/7/head``).

    Returns:
        The full SHA.

    Raises:
        ActionError: The commit cannot be had.
    """
    from pattern_review import git

    found = git.resolve_commit(root, sha)
    if found is None:
        _fetch(root, sha, *fallback_refs)
        found = git.resolve_commit(root, sha)
    if found is None:
        raise ActionError(
            f"{what} {sha[:12]} is not in the checkout and could not be fetched "
            "from origin; use actions/checkout with fetch-depth: 0"
        )
    return found


def deepen_to_merge_base(root: Path, base: str, head: str) -> None:
    """Fetch history until ``base`` and ``head`` have a merge base, if they can.

    actions/checkout clones one commit deep by default: the merge base of
    the PR's base and head is then missing, and the review cannot tell the
    PR's changes from the base branch's. Each try fetches both commits
    deeper; the last fetches their whole history. Unrelated histories stay
    without one, and building the target says so.

    Args:
        root: The work tree.
        base: The base commit (full SHA).
        head: The head commit (full SHA).
    """
    from pattern_review import git

    if git.merge_base(root, base, head) or not git.is_shallow(root):
        return
    for depth in (*(f"--depth={n}" for n in DEPTH_STEPS), "--unshallow"):
        print(f"pattern-review: no merge base in the shallow checkout; fetch {depth}")
        try:
            git.run_git(
                root, "fetch", "--no-tags", "--quiet", depth, "origin", base, head
            )
        except git.GitError as exc:
            print(f"pattern-review: {exc}")
            return
        if git.merge_base(root, base, head):
            return


def resolve_base(root: Path, run: ActionRun) -> str:
    """Return the base commit of the review, with history enough to compare.

    The head commit must be in the checkout already (:func:`ensure_commit`).

    Args:
        root: The work tree.
        run: The run: a base SHA from the payload, else a branch name.

    Returns:
        The base commit's full SHA.

    Raises:
        ActionError: The base cannot be found or fetched.
    """
    base = _base_commit(root, run)
    deepen_to_merge_base(root, base, run.head_sha)
    return base


def _base_commit(root: Path, run: ActionRun) -> str:
    from pattern_review import git

    if run.base_sha:
        try:
            return ensure_commit(root, run.base_sha, "base commit")
        except ActionError:
            # A force push's "before" may be gone: compare with the default
            # branch instead. A PR's base has no such fallback.
            if run.event_name != "push" or not run.base_ref:
                raise
            print(f"pattern-review: {run.base_sha[:12]} is gone; base: {run.base_ref}")
    ref = run.base_ref
    if not ref:
        raise ActionError(
            "no base to compare with: set the `base` input (the payload names no "
            "default branch)"
        )
    for candidate in (f"origin/{ref}", ref):
        found = git.resolve_commit(root, candidate)
        if found:
            return found
    if _fetch(root, ref):
        found = git.resolve_commit(root, "FETCH_HEAD")
        if found:
            return found
    raise ActionError(
        f"base {ref!r} is neither a branch nor a commit of this checkout and could "
        "not be fetched; use actions/checkout with fetch-depth: 0"
    )


@contextlib.contextmanager
def head_tree(root: Path, head: str) -> Iterator[Path]:
    """Yield a work tree at the PR head, leaving the workspace as it is.

    On ``pull_request`` the workspace holds the merge commit; the review is
    of the head, so it gets its own temporary detached work tree.

    Args:
        root: The workspace's work tree.
        head: The head commit.

    Yields:
        ``root`` when it already is at ``head`` with nothing changed, else a
        temporary work tree outside the workspace.
    """
    from pattern_review import git

    at_head = git.resolve_commit(root, "HEAD") == head
    if at_head and git.tracked_files_clean(root):
        yield root
        return
    with git.detached_worktree(root, head) as tree:
        yield tree


@dataclass(frozen=True)
class BranchPr:
    """The pull request a ``workflow_dispatch`` run on a branch belongs to.

    Attributes:
        number: The PR number; None when the branch has no open PR.
        base_ref: The PR's base branch; None when unknown.
        note: What was found, for the log.
    """

    number: int | None
    base_ref: str | None
    note: str


def pr_of_dispatch(client: Github, run: ActionRun) -> BranchPr:
    """Find the PR a ``workflow_dispatch`` run reviews, and its base branch.

    The workflow's ``pr`` input names it; otherwise it is the open PR whose
    head is the run's branch.

    Args:
        client: The GitHub client.
        run: The run (``workflow_dispatch`` on a branch).

    Returns:
        The PR (number None when there is none) and a note for the log.
    """
    from pattern_review.github.client import classify

    if run.pr is None and not run.head_ref:
        return BranchPr(None, None, "the run is not on a branch, so no PR is looked up")
    try:
        repo = client.get_repo(run.repository)
        if run.pr is not None:
            pull = repo.get_pull(run.pr)
            if pull.head.ref != run.head_ref:
                # Its base says nothing about the branch under review.
                note = f"PR #{run.pr} has head {pull.head.ref}, not {run.head_ref}"
                return BranchPr(run.pr, None, note)
            return _with_base(run.pr, pull.base.ref, f"PR #{run.pr}")
        pulls = repo.get_pulls(state="open", head=f"{run.owner}:{run.head_ref}")
        first = next(iter(pulls), None)
    except Exception as exc:  # noqa: BLE001 - any API fault is reported, not raised
        which = f"PR #{run.pr}" if run.pr is not None else f"the PR of {run.head_ref}"
        return BranchPr(run.pr, None, f"could not look up {which}: {classify(exc)}")
    if first is None:
        return BranchPr(
            None, None, f"no open PR has head {run.head_ref}: job summary only"
        )
    note = f"branch {run.head_ref} is PR #{first.number}"
    return _with_base(first.number, first.base.ref, note)


def _with_base(number: int, base_ref: str, note: str) -> BranchPr:
    from pattern_review.action.env import ActionEnvError, checked_ref

    try:
        return BranchPr(number, checked_ref(base_ref), note)
    except ActionEnvError as exc:
        return BranchPr(number, None, f"{note}; its base is not usable: {exc}")
