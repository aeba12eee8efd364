"""File names git quotes or reads as pathspec magic still get their added lines."""

from __future__ import annotations

import pytest

from pattern_review.git import unquote_path
from pattern_review.target import build_target
from tests.gitrepo import GitRepo

# ``:`` starts pathspec magic; ``"``, backslash and tab make git C-quote the
# name in patch headers; a space and non-ASCII letters do neither (with
# core.quotepath off) but are easy to break on the way.
NAMES = (
    ":evil.py",
    'q"uote.py',
    "tab\there.py",
    "back\\slash.py",
    "line\nbreak.py",
    "sp ace.py",
    "uni-é.py",
)
BASE = "a = 1\nb = 2\nc = 3\n"


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    for name in NAMES:
        git_repo.write(name, BASE, dedent=False)
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "feature")
    return git_repo


@pytest.mark.parametrize("name", NAMES)
def test_modified_file_with_an_odd_name_has_its_added_lines(
    repo: GitRepo, name: str
) -> None:
    repo.write(name, BASE.replace("b = 2", "b = 22") + "d = 4\n")
    repo.commit("edit")

    target = build_target(repo.path, "main", "HEAD")

    changed = target.file(name)
    assert changed is not None, [f.path for f in target.files]
    assert changed.status == "modified"
    assert changed.reviewed
    assert changed.added_lines == {2, 4}
    assert changed.hunks == ((1, 4),)


def test_every_odd_name_added_in_one_pr_has_its_added_lines(
    git_repo: GitRepo,
) -> None:
    git_repo.write("keep.py", "k = 0\n", dedent=False)
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "feature")
    for name in NAMES:
        git_repo.write(name, "x = 1\ny = 2\n", dedent=False)
    git_repo.commit("add")

    target = build_target(git_repo.path, "main", "HEAD")

    assert {f.path: f.added_lines for f in target.files} == {
        name: {1, 2} for name in NAMES
    }


def test_renamed_file_with_an_odd_name_has_its_added_lines(repo: GitRepo) -> None:
    repo.git("mv", 'q"uote.py', "tab\tthere.py")
    repo.write("tab\tthere.py", BASE + "d = 4\n", dedent=False)
    repo.commit("rename")

    target = build_target(repo.path, "main", "HEAD")

    renamed = target.file("tab\tthere.py")
    assert renamed is not None
    assert (renamed.status, renamed.old_path) == ("renamed", 'q"uote.py')
    assert renamed.added_lines == {4}


@pytest.mark.parametrize(
    ("quoted", "plain"),
    [
        ("plain.py", "plain.py"),
        ('"q\\"uote.py"', 'q"uote.py'),
        ('"tab\\there.py"', "tab\there.py"),
        ('"back\\\\slash.py"', "back\\slash.py"),
        ('"line\\nbreak.py"', "line\nbreak.py"),
        ('"uni-\\303\\251.py"', "uni-é.py"),
        ('"bell\\a\\b\\f\\r\\v.py"', "bell\a\b\f\r\v.py"),
    ],
)
def test_unquote_reverses_gits_c_quoting(quoted: str, plain: str) -> None:
    assert unquote_path(quoted) == plain


def test_a_users_diff_prefix_settings_do_not_change_the_paths(repo: GitRepo) -> None:
    repo.git("config", "diff.noprefix", "true")
    repo.write("tab\there.py", BASE + "d = 4\n", dedent=False)
    repo.write("b/mod.py", "x = 1\n", dedent=False)
    repo.commit("edit")

    target = build_target(repo.path, "main", "HEAD")

    assert {f.path: f.added_lines for f in target.files} == {
        "tab\there.py": {4},
        "b/mod.py": {1},
    }
