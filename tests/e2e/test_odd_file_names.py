"""File names a PR picks to confuse the tools: tabs, newlines, option look-alikes."""

from __future__ import annotations

from tests.cli import review_json
from tests.gitrepo import GitRepo

UNFORMATTED = "x = [1,\n2]\n"
NAMES = ("pkg/tab\there.py", "pkg/new\nline.py", "pkg/plain.py")


def _base(repo: GitRepo) -> None:
    repo.write("pkg/__init__.py", "")
    repo.write("pyproject.toml", '[project]\nname = "pkg"\nversion = "0"\n')
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")


def test_every_file_name_keeps_its_format_finding(git_repo: GitRepo) -> None:
    _base(git_repo)
    for name in NAMES:
        git_repo.write(name, UNFORMATTED, dedent=False)
    git_repo.commit("odd names")

    code, report = review_json(git_repo, "--checks", "ruff-format")

    assert code == 1
    found = sorted(f["path"] for f in report["findings"] if f["rule"] == "ruff-format")
    assert found == sorted(NAMES)


def test_test_files_named_like_options_are_run_as_tests(git_repo: GitRepo) -> None:
    _base(git_repo)
    passing = "def test_ok() -> None:\n    assert True\n"
    git_repo.write("tests/--help_test.py", passing, dedent=False)
    git_repo.write("tests/--junitxml=x_test.py", passing, dedent=False)
    git_repo.commit("option-like names")

    code, report = review_json(git_repo, "--checks", "pytest")

    pytest_check = next(c for c in report["checks"] if c["name"] == "pytest")
    assert pytest_check["status"] == "passed", pytest_check
    assert "2 test(s) in 2 file(s)" in pytest_check["detail"]
    assert code == 0
    # pytest's report went where the review put it, not into the work tree.
    assert not (git_repo.path / "x_test.py").exists()
