"""What the review prints in an Actions job can never be a workflow command."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pattern_review.workflow_log import NEUTRAL, CommandSafeStream, neutralise
from tests.gitrepo import GitRepo

INJECTED = "x\n::error title=Review::All checks passed\r::add-mask::secret ##[error]no"


def commands_in(log: str) -> list[str]:
    """Lines the runner would take as commands (its own parsing rules)."""
    lines = log.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [line for line in lines if line.lstrip().startswith("::") or "##[" in line]


def test_a_line_that_looks_like_a_command_is_neutralised() -> None:
    safe = neutralise(INJECTED)
    assert commands_in(safe) == []
    # Nothing is lost: only the invisible mark is added.
    assert safe.replace(NEUTRAL, "") == INJECTED.replace("\r", "\n")


def test_text_that_is_not_a_command_is_left_alone() -> None:
    text = "pattern-review: failure: 3 finding(s) on 1a2b3c\n  see app/x.py:3:1\n"
    assert neutralise(text) == text


@pytest.mark.parametrize(
    "writes",
    [
        ["::", "error::fake\n"],  # print() writes its arguments one by one
        ["   ", ":", ":warning::fake\n"],
        ["ok\n", "::notice::fake"],
        ["##", "[error]fake\n"],
    ],
)
def test_a_command_split_over_several_writes_is_neutralised(writes: list[str]) -> None:
    raw = io.StringIO()
    stream = CommandSafeStream(raw)
    for text in writes:
        assert stream.write(text) == len(text)
    assert commands_in(raw.getvalue()) == []


def test_a_colon_in_the_middle_of_a_line_is_not_touched() -> None:
    raw = io.StringIO()
    stream = CommandSafeStream(raw)
    stream.write("path")
    stream.write("::name\n")
    assert raw.getvalue() == "path::name\n"


def _run_cli(repo: Path, *args: str, actions: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    if actions:
        env["GITHUB_ACTIONS"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pattern_review", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_config_key_from_the_pr_cannot_write_commands_into_the_job_log(
    git_repo: GitRepo,
) -> None:
    git_repo.write("app/main.py", "VALUE = 1\n")
    git_repo.commit("base")
    key = INJECTED.replace("\n", "\\n").replace("\r", "\\r")
    git_repo.write(".pattern-review.toml", f'"{key}" = 1\n')
    git_repo.write("app/main.py", "VALUE = 2\n")
    git_repo.commit("head")
    args = ["review", "--base", "HEAD~1", "--work-tree", "--no-ai"]
    args += ["--checks", "conventions", "--format", "github"]
    outside = _run_cli(git_repo.path, *args, actions=False)
    # Outside Actions the message is printed as it is (the key is in it) …
    assert "::error title=Review::All checks passed" in outside.stderr
    inside = _run_cli(git_repo.path, *args, actions=True)
    # … in a job the same message is there, and no line of it is a command.
    assert inside.returncode == outside.returncode == 2
    assert "All checks passed" in inside.stderr
    assert commands_in(inside.stdout + inside.stderr) == []


def test_the_reviews_own_annotations_still_reach_the_runner(git_repo: GitRepo) -> None:
    git_repo.write("app/main.py", "VALUE = 1\n")
    git_repo.commit("base")
    git_repo.write("app/main.py", "import os\nVALUE = 2\n")
    git_repo.commit("head")
    args = ("review", "--base", "HEAD~1", "--no-ai", "--checks", "ruff")
    done = _run_cli(git_repo.path, *args, "--format", "github", actions=True)
    assert done.returncode == 1, done.stderr
    assert any(
        line.startswith("::error file=app/main.py,line=1") and "F401" in line
        for line in done.stdout.splitlines()
    ), done.stdout
