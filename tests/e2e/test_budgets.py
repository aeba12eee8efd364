"""Budgets that hold: a review ends within its own, and leaves nothing running."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

import pytest

from tests.cli import review_json
from tests.gitrepo import GitRepo


def _processes_running(needle: str) -> list[int]:
    """Pids of live processes whose command line holds ``needle``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if needle.encode() in command and state != "Z":
            found.append(int(entry.name))
    return found


def _slow_pr(repo: GitRepo, base_config: str, pr_config: str) -> str:
    """A PR whose test detaches a grandchild, then sleeps for ever.

    Returns:
        The grandchild's sleep argument, to find it in ``/proc``.
    """
    repo.write("pyproject.toml", '[project]\nname = "slow"\nversion = "0"\n')
    repo.write("slow/__init__.py", "")
    if base_config:
        repo.write(".pattern-review.toml", base_config)
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    seconds = str(1_000_000 + secrets.randbelow(1_000_000))
    repo.write(".pattern-review.toml", pr_config)
    repo.write(
        "tests/test_slow.py",
        f'''\
        """A test that never ends."""

        from __future__ import annotations

        import subprocess
        import time


        def test_waits() -> None:
            """Detach a sleeper, then wait for ever."""
            subprocess.Popen(["setsid", "sleep", "{seconds}"])
            time.sleep(100_000)
        ''',
    )
    repo.commit("slow test")
    return seconds


def _assert_ended_in_budget(
    code: int, report: dict[str, Any], elapsed: float, seconds: str
) -> None:
    assert elapsed < 60  # the budget, the start-up, and rendering
    checks = {check["name"]: check for check in report["checks"]}
    assert checks["pytest"]["status"] == "error"
    assert checks["pytest"]["detail"] == "timed out: the review's 20 s budget ran out"
    assert checks["ruff"]["status"] == "passed"  # the rest of the review stands
    assert report["conclusion"] != "success"
    assert code == 2  # a requested check could not run
    # Killed before the review returned; on a loaded machine a killed
    # process may still take a moment to go.
    left = [f"sleep {seconds}", "tests/test_slow.py"]
    deadline = time.monotonic() + 5
    while any(map(_processes_running, left)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_running(f"sleep {seconds}") == []
    assert _processes_running("tests/test_slow.py") == []


def test_a_test_that_sleeps_for_ever_ends_with_the_reviews_budget(
    git_repo: GitRepo,
) -> None:
    # The PR raises the tool timeout as far as it may.
    seconds = _slow_pr(git_repo, "", "tool-timeout-s = 1800\n")

    started = time.monotonic()
    code, report = review_json(
        git_repo, "--checks", "pytest,ruff", "--review-budget-s", "20"
    )

    _assert_ended_in_budget(code, report, time.monotonic() - started, seconds)


def test_a_pr_cannot_raise_the_budgets_its_base_sets(
    git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In CI the standard is the base commit's: its 20 s budget holds, whatever
    # the PR's own config asks for.
    seconds = _slow_pr(
        git_repo,
        "review-budget-s = 20\n",
        "review-budget-s = 21600\ntool-timeout-s = 86400\n",
    )
    monkeypatch.setenv("CI", "true")

    started = time.monotonic()
    code, report = review_json(git_repo, "--checks", "pytest,ruff")

    _assert_ended_in_budget(code, report, time.monotonic() - started, seconds)
    changed = {c["what"] for c in report["standard_changes"]}
    assert changed, report["standard_changes"]


def test_a_5_mib_comment_padded_file_is_an_error_and_the_others_are_formatted(
    git_repo: GitRepo,
) -> None:
    git_repo.write("pyproject.toml", '[project]\nname = "pkg"\nversion = "0"\n')
    git_repo.write(".pattern-review.toml", "ruff-timeout-s = 2\n")
    git_repo.write("pkg/__init__.py", "")
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "feature")
    # ruff format is quadratic in comment lines: this never ends on its own.
    padding = "".join(f"    # comment padding line {n}\n" for n in range(160_000))
    padded = f"def f():\n    x = 1\n{padding}    return x\n"
    assert len(padded) > 5_000_000
    git_repo.write("pkg/padded.py", padded, dedent=False)
    git_repo.write("pkg/one.py", "x = {'a':1}\n", dedent=False)
    git_repo.write("pkg/two.py", "y = [1,2]\n", dedent=False)
    git_repo.commit("padded")

    started = time.monotonic()
    code, report = review_json(git_repo, "--checks", "ruff-format,ruff,conventions")
    elapsed = time.monotonic() - started

    assert elapsed < 60
    assert code == 1 and report["conclusion"] == "failure"
    formatting = {
        (f["path"], f["rule"])
        for f in report["findings"]
        if f["source"] == "ruff-format"
    }
    assert formatting == {
        ("pkg/padded.py", "PR005"),
        ("pkg/one.py", "ruff-format"),
        ("pkg/two.py", "ruff-format"),
    }
    overrun = next(
        f
        for f in report["findings"]
        if f["source"] == "ruff-format" and f["path"] == "pkg/padded.py"
    )
    assert "ruff format took longer than its 2 s budget" in overrun["message"]
    checks = {check["name"]: check for check in report["checks"]}
    assert "1 file(s) over the time budget" in checks["ruff-format"]["detail"]
    assert _processes_running("padded.py") == []
