"""A PR that leaves a file unparseable or unreadable is never reported clean."""

from __future__ import annotations

from typing import Any

from tests.cli import review_json
from tests.gitrepo import GitRepo


def review(repo: GitRepo, *extra: str) -> tuple[int, dict[str, Any]]:
    return review_json(repo, "--checks", "ruff,conventions", *extra)


def test_deleting_a_closing_bracket_fails_the_review(git_repo: GitRepo) -> None:
    git_repo.write("pkg/values.py", "VALUES = [\n    1,\n]\n")
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.write("pkg/values.py", "VALUES = [\n    1,\n")  # a pure deletion
    git_repo.commit("oops")

    status, report = review(git_repo, "--no-ai")

    assert status == 1
    assert report["conclusion"] == "failure"
    # ruff and the convention engine both stop at it: it is listed once, and
    # both checks fail.
    (finding,) = report["findings"]
    assert finding["rule"] in {"PR000", "invalid-syntax"}
    assert finding["path"] == "pkg/values.py"
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert statuses["ruff"] == statuses["conventions"] == "failed"
    assert report["ai"]["notice"] == "AI review turned off (--no-ai)"


def test_a_non_utf8_python_file_fails_the_review(git_repo: GitRepo) -> None:
    git_repo.write("pkg/ok.py", "X = 1\n")
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.write("pkg/latin.py", "name = 'caf\xe9'\n".encode("latin-1"))
    git_repo.commit("latin-1 file")

    status, report = review(git_repo, "--no-ai")

    assert status == 1
    findings = report["findings"]
    assert [(f["rule"], f["path"]) for f in findings] == [("PR001", "pkg/latin.py")]
