"""CLI edge cases: relative revisions, bad paths, config paths, odd whitespace."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import review_cli, review_json, run_cli
from tests.gitrepo import GitRepo


def three_commits(repo: GitRepo) -> GitRepo:
    future = "from __future__ import annotations\n\n"
    repo.write("pkg/mod.py", future + "X = 1\n")
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("pkg/mod.py", future + "import os\n\nX = 1\n")  # F401, first commit
    repo.commit("first")
    repo.write("pkg/other.py", future + "Y = 2\n")
    repo.commit("second")
    return repo


def test_a_relative_head_means_the_users_revision(git_repo: GitRepo) -> None:
    repo = three_commits(git_repo)

    _, report = review_json(repo, "--head", "HEAD~1", "--checks", "ruff")

    assert report["head"] == repo.git("rev-parse", "HEAD~1")
    assert [f["rule"] for f in report["findings"]] == ["F401"]


def test_a_repo_path_that_is_a_file_or_missing_is_a_one_line_error(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    repo = three_commits(git_repo)

    as_file = run_cli("review", "--repo", str(repo.path / "pkg/mod.py"))
    missing = run_cli("review", "--repo", str(tmp_path / "nowhere"))

    for done in (as_file, missing):
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1
        assert "is not a folder" in done.stderr
        assert "Traceback" not in done.stderr


def test_an_unwritable_output_is_a_one_line_error(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    repo = three_commits(git_repo)

    done = review_cli(
        repo,
        "--checks",
        "ruff",
        "--output",
        str(tmp_path / "no" / "such" / "dir" / "report.txt"),
    )

    assert done.returncode == 2
    assert "cannot write" in done.stderr
    assert "Traceback" not in done.stderr


def test_config_path_is_relative_to_where_the_command_runs(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    repo = three_commits(git_repo)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "strict.toml").write_text('fail-on = "never"\n')
    (elsewhere / "pyproject.toml").write_text('[project]\nname = "x"\n')

    done = review_cli(
        repo,
        "--checks",
        "ruff",
        "--config",
        "strict.toml",
        cwd=elsewhere,
    )
    other = review_cli(
        repo,
        "--checks",
        "ruff",
        "--config",
        "pyproject.toml",
        cwd=elsewhere,
    )

    assert done.returncode == 0, done.stderr  # F401 found, but fail-on = never
    assert "F401" in done.stdout
    assert other.returncode == 1, other.stderr  # no table: defaults, not an error


def test_a_form_feed_in_a_changed_file_keeps_lines_in_step(git_repo: GitRepo) -> None:
    git_repo.write("pkg/mod.py", "X = 1\n")
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.write("pkg/mod.py", "X = 1\n\x0c\nimport os\n", dedent=False)
    git_repo.commit("form feed")

    status, report = review_json(git_repo, "--checks", "ruff")

    assert status == 1
    assert [(f["rule"], f["line"]) for f in report["findings"]] == [("F401", 3)]


def test_head_defaults_to_the_commit_and_work_tree_adds_uncommitted_edits(
    git_repo: GitRepo,
) -> None:
    repo = three_commits(git_repo)
    future = "from __future__ import annotations\n\n"
    repo.write("pkg/other.py", future + "import sys\n\nY = 2\n")  # not committed

    def rules(*extra: str) -> list[tuple[str, str]]:
        _, report = review_json(repo, "--checks", "ruff", *extra)
        return [(f["path"], f["rule"]) for f in report["findings"]]

    assert rules() == [("pkg/mod.py", "F401")]
    assert rules("--work-tree") == [("pkg/mod.py", "F401"), ("pkg/other.py", "F401")]


@pytest.mark.parametrize(
    ("checks", "error"),
    [
        ("", "pattern-review: --checks names no check; leave it out to run them all"),
        (
            "conventions,bogus",
            "pattern-review: bad value for checks: unknown check(s) bogus; "
            "choose from ruff-format, ruff, mypy, pytest, conventions",
        ),
    ],
)
def test_a_bad_checks_flag_is_a_one_line_usage_error(
    git_repo: GitRepo, checks: str, error: str
) -> None:
    git_repo.write("pkg/mod.py", "X = 1\n")
    git_repo.commit("base")
    done = review_cli(git_repo, "--checks", checks)
    assert (done.returncode, done.stderr, done.stdout) == (2, error + "\n", "")


def test_a_folder_outside_git_and_a_range_as_base_are_one_line_errors(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    outside = run_cli("review", "--repo", str(plain), "--no-ai")
    assert outside.returncode == 2
    assert outside.stderr == f"pattern-review: {plain} is not in a git work tree\n"

    three_commits(git_repo)
    ranged = review_cli(git_repo, "--base", "main..feature")
    assert ranged.returncode == 2
    assert ranged.stderr.startswith(
        "pattern-review: base 'main..feature' is not a commit"
    )
    assert ranged.stderr.count("\n") == 1


def test_the_program_ends_with_mains_status_after_its_exit_handlers(
    git_repo: GitRepo,
) -> None:
    repo = three_commits(git_repo)
    probe = (
        "import atexit, sys\n"
        "from pattern_review.cli import console_script\n"
        "atexit.register(lambda: print('exit handler ran', file=sys.stderr))\n"
        "sys.argv = ['pattern-review', *sys.argv[1:]]\n"
        "console_script()\n"
    )
    review = ["review", "--repo", str(repo.path), "--base", "main", "--no-ai"]

    found = subprocess.run(
        [sys.executable, "-c", probe, *review, "--checks", "ruff"],
        capture_output=True,
        text=True,
    )
    bad = subprocess.run(
        [sys.executable, "-c", probe, *review, "--checks", "nope"],
        capture_output=True,
        text=True,
    )

    assert found.returncode == 1  # F401 is an error, the default fail-on
    assert "F401" in found.stdout
    assert bad.returncode == 2
    assert found.stderr.endswith("exit handler ran\n")
    assert bad.stderr.endswith("exit handler ran\n")
