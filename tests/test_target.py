"""ReviewTarget from real git repos: statuses, added lines, skipped files, errors."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from pattern_review.action.workspace import deepen_to_merge_base
from pattern_review.git import detached_worktree
from pattern_review.target import TargetError, build_target
from tests.gitrepo import GitRepo

BASE_MODULE = "a = 1\nb = 2\nc = 3\nd = 4\ne = 5\nf = 6\ng = 7\nh = 8\n"


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("pkg/mod.py", BASE_MODULE, dedent=False)
    git_repo.write("pkg/gone.py", "x = 1\n", dedent=False)
    git_repo.write("pkg/old_name.py", "".join(f"v{i} = {i}\n" for i in range(20)))
    git_repo.write("README.md", "hello\n")
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "feature")
    return git_repo


def test_modified_file_lists_added_lines_and_hunks(repo: GitRepo) -> None:
    repo.write("pkg/mod.py", BASE_MODULE.replace("c = 3", "c = 33") + "i = 9\n")
    repo.commit("edit")

    target = build_target(repo.path, "main", "HEAD")

    changed = target.file("pkg/mod.py")
    assert changed is not None
    assert changed.status == "modified"
    assert changed.reviewed
    assert changed.added_lines == {3, 9}
    assert changed.in_hunk(1) and changed.in_hunk(9)
    assert target.base == repo.git("rev-parse", "main")
    assert target.head == repo.git("rev-parse", "HEAD")


def test_base_is_merge_base_so_later_base_commits_are_not_the_prs(
    repo: GitRepo,
) -> None:
    repo.write("pkg/mod.py", BASE_MODULE + "i = 9\n")
    repo.commit("feature edit")
    repo.checkout("main")
    repo.write("pkg/other.py", "z = 1\n")
    repo.commit("main moves on")
    repo.checkout("feature")

    target = build_target(repo.path, "main", "HEAD")

    assert [f.path for f in target.files] == ["pkg/mod.py"]


def test_deleted_renamed_and_non_python_files(repo: GitRepo) -> None:
    repo.git("rm", "-q", "pkg/gone.py")
    repo.git("mv", "pkg/old_name.py", "pkg/new_name.py")
    content = (repo.path / "pkg/new_name.py").read_text() + "v20 = 20\n"
    repo.write("pkg/new_name.py", content, dedent=False)
    repo.write("README.md", "hello again\n")
    repo.commit("shuffle")

    target = build_target(repo.path, "main", "HEAD")

    gone = target.file("pkg/gone.py")
    assert gone is not None and gone.status == "deleted"
    assert gone.skip_reason == "deleted"
    renamed = target.file("pkg/new_name.py")
    assert renamed is not None
    assert (renamed.status, renamed.old_path) == ("renamed", "pkg/old_name.py")
    assert renamed.reviewed and renamed.added_lines == {21}
    readme = target.file("README.md")
    assert readme is not None and readme.skip_reason == "not a Python file"
    assert [f.path for f in target.reviewed_files] == ["pkg/new_name.py"]


def test_binary_and_non_utf8_python_files_are_skipped_with_a_reason(
    repo: GitRepo,
) -> None:
    repo.write("pkg/blob.py", b"\x00\x01\x02binary\x00")
    repo.write("pkg/latin.py", "name = 'caf\xe9'\n".encode("latin-1"))
    repo.write("pkg/mod.py", BASE_MODULE + "i = 9\n", dedent=False)
    repo.commit("odd files")

    target = build_target(repo.path, "main", "HEAD")

    blob = target.file("pkg/blob.py")
    latin = target.file("pkg/latin.py")
    assert blob is not None and blob.skip_reason == "binary file"
    assert latin is not None
    assert latin.skip_reason == "not valid UTF-8 (byte 0xe9 at offset 11)"
    assert [f.path for f in target.reviewed_files] == ["pkg/mod.py"]


def test_a_python_symlink_is_reviewed_as_the_file_it_links_to(repo: GitRepo) -> None:
    os.symlink("mod.py", repo.path / "pkg" / "link.py")
    os.symlink("/etc/hostname", repo.path / "pkg" / "out.py")
    os.symlink("notes.txt", repo.path / "pkg" / "data.txt")
    repo.commit("links")

    target = build_target(repo.path, "main", "HEAD")

    link = target.file("pkg/link.py")
    assert link is not None and link.reviewed
    text = (repo.path / "pkg" / "mod.py").read_text()
    assert link.added_lines == frozenset(range(1, len(text.splitlines()) + 1))
    out = target.file("pkg/out.py")
    assert out is not None and out.skip_reason == "links out of the repository"
    data = target.file("pkg/data.txt")
    assert data is not None and data.skip_reason == "symlink"


def test_unknown_base_is_a_clear_error(repo: GitRepo) -> None:
    with pytest.raises(TargetError, match="base 'deadbeef' is not a commit"):
        build_target(repo.path, "deadbeef", "HEAD")


def test_not_a_repo_is_a_clear_error(tmp_path: os.PathLike[str]) -> None:
    with pytest.raises(TargetError, match="is not a git work tree"):
        build_target(tmp_path, "main")  # type: ignore[arg-type]


def test_default_base_is_the_default_branch(repo: GitRepo) -> None:
    repo.write("pkg/mod.py", BASE_MODULE + "i = 9\n", dedent=False)
    repo.commit("edit")

    target = build_target(repo.path, None, "HEAD")

    assert target.base == repo.git("rev-parse", "main")


def test_work_tree_mode_includes_uncommitted_and_untracked_files(
    repo: GitRepo,
) -> None:
    repo.write("pkg/mod.py", BASE_MODULE + "i = 9\n", dedent=False)
    repo.write("pkg/new.py", "x = 1\ny = 2\n", dedent=False)

    target = build_target(repo.path, "main")

    modified = target.file("pkg/mod.py")
    new = target.file("pkg/new.py")
    assert modified is not None and modified.added_lines == {9}
    assert new is not None and new.status == "added"
    assert new.added_lines == {1, 2}


def test_detached_worktree_holds_head_and_leaves_the_work_tree_alone(
    repo: GitRepo,
) -> None:
    repo.write("pkg/mod.py", BASE_MODULE + "i = 9\n", dedent=False)
    head = repo.commit("edit")
    repo.checkout("main")
    before = repo.git("status", "--porcelain")

    with detached_worktree(repo.path, head) as tree:
        assert (tree / "pkg/mod.py").read_text().endswith("i = 9\n")
        target = build_target(tree, "main", head)
        assert [f.path for f in target.reviewed_files] == ["pkg/mod.py"]

    assert not tree.exists()
    assert repo.git("status", "--porcelain") == before
    assert "i = 9" not in (repo.path / "pkg/mod.py").read_text()


def test_unrelated_histories_are_a_clear_error(repo: GitRepo) -> None:
    repo.git("checkout", "-q", "--orphan", "stranger")
    repo.git("rm", "-rqf", ".")
    repo.write("alone.py", "x = 1\n")
    repo.commit("unrelated")

    with pytest.raises(TargetError, match="no common ancestor") as caught:
        build_target(repo.path, "main", "HEAD")

    assert "\n" not in str(caught.value)


@pytest.fixture
def shallow(tmp_path: Path, repo: GitRepo) -> tuple[Path, str, str]:
    """A depth-1 clone of main and of the PR head, as actions/checkout makes."""
    for number in range(3):
        repo.write(f"pkg/feature_{number}.py", f"f = {number}\n")
        repo.commit(f"feature {number}")
    head = repo.git("rev-parse", "HEAD")
    repo.checkout("main")
    repo.write("pkg/base_only.py", "b = 1\n")
    base = repo.commit("main moves on")
    clone = tmp_path / "clone"
    url = repo.path.as_uri()
    subprocess.run(
        ["git", "clone", "-q", "--depth=1", "--no-local", url, str(clone)], check=True
    )
    GitRepo(clone).git("fetch", "-q", "--depth=1", "origin", head)
    return clone, base, head


def test_shallow_clone_without_merge_base_is_a_clear_error(
    shallow: tuple[Path, str, str],
) -> None:
    clone, base, head = shallow

    with pytest.raises(TargetError, match="fetch-depth: 0") as caught:
        build_target(clone, base, head)

    assert "shallow" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_action_workspace_fetches_history_until_a_merge_base_exists(
    shallow: tuple[Path, str, str],
) -> None:
    clone, base, head = shallow

    deepen_to_merge_base(clone, base, head)

    target = build_target(clone, base, head)
    assert [f.path for f in target.files] == [
        f"pkg/feature_{number}.py" for number in range(3)
    ]


def _rev_parse_calls(trace: Path) -> int:
    """Count the ``git rev-parse`` runs a GIT_TRACE file recorded."""
    if not trace.exists():
        return 0
    return sum("git rev-parse" in line for line in trace.read_text().splitlines())


def test_the_target_reuses_what_the_cli_already_resolved(
    repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pattern_review import git

    repo.write("pkg/mod.py", BASE_MODULE + "i = 9\n", dedent=False)
    repo.commit("edit")
    # As the review verb does: its arguments resolved once...
    root = git.toplevel(repo.path)
    base = git.resolve_commit(root, "main")
    head = git.resolve_commit(root, "HEAD")
    assert base is not None and head is not None
    trace = tmp_path / "trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))

    target = build_target(root, base, head)

    # ... and not again: only the merge base and the diffs ask git.
    assert _rev_parse_calls(trace) == 0
    assert (target.base, target.head) == (base, head)
    assert target.file("pkg/mod.py") is not None


def test_a_known_root_whose_repository_is_gone_is_asked_again(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pattern_review import git

    root = git.toplevel(repo.path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(root.parent))
    subprocess.run(["rm", "-rf", str(root / ".git")], check=True)

    with pytest.raises(git.GitError):
        git.toplevel(root)
