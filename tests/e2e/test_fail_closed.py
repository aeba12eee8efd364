"""Fail closed: every changed Python file is reviewed or is an error finding."""

from __future__ import annotations

import os
from pathlib import Path

from pattern_review.target import build_target
from tests.cli import review_json
from tests.gitrepo import GitRepo
from tests.hostile import PADDED_BARE_EXCEPT


def _base(repo: GitRepo) -> None:
    repo.write("pkg/__init__.py", "")
    repo.write("pyproject.toml", '[project]\nname = "pkg"\nversion = "0"\n')
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")


def test_a_file_over_2_mib_is_still_linted_and_fails_the_review(
    git_repo: GitRepo,
) -> None:
    _base(git_repo)
    git_repo.write("pkg/padded.py", PADDED_BARE_EXCEPT, dedent=False)
    git_repo.commit("padded")

    target = build_target(git_repo.path, "main", "HEAD")
    padded = target.file("pkg/padded.py")
    assert padded is not None and padded.reviewed

    code, report = review_json(git_repo, "--checks", "ruff-format,ruff,conventions")

    assert code == 1
    assert report["conclusion"] == "failure"
    found = {(f["rule"], f["severity"]) for f in report["findings"]}
    assert ("E722", "error") in found or ("E722", "warning") in found
    assert ("PR005", "error") in found


def test_untracked_symlinks_are_skipped_in_work_tree_mode(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    _base(git_repo)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text("TOKEN = 'not for the review'\n")
    os.symlink(outside / "secret.py", git_repo.path / "pkg" / "leak.py")
    os.symlink(outside, git_repo.path / "pkg" / "leakdir")

    target = build_target(git_repo.path, "main")

    leak = target.file("pkg/leak.py")
    assert leak is not None and leak.skip_reason == "symlink"
    assert all(not f.path.startswith("pkg/leakdir/") for f in target.reviewed_files)
    assert target.reviewed_files == []
