"""`pattern-review demo`: the README quick start reviews the bundled PR."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path


def test_demo_reviews_the_example_pr_and_cites_every_family(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pattern_review",
            "demo",
            "--format",
            "json",
            "--no-ai",
            "--keep",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env=_users_environment(),
    )

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["conclusion"] == "failure"
    assert {c["name"]: c["status"] for c in report["checks"]} == {
        "ruff-format": "failed",
        "ruff": "failed",
        "mypy": "failed",
        "pytest": "failed",
        "conventions": "failed",
    }
    patterns = {f["pattern"] for f in report["findings"]}
    assert {
        "router-pattern",
        "schema-pattern",
        "model-pattern",
        "service-pattern",
        "celery-task-pattern",
        "error-handling",
        "completion-checklist",
        "style-rules#12",
    } <= patterns
    # The example repo is kept, on its feature branch, with a clean work tree.
    repo = tmp_path / "demo-shop"
    status = subprocess.run(
        ["git", "status", "--porcelain"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    assert status.stdout == ""


def _users_environment() -> dict[str, str]:
    """This environment without the suite's PATTERN_REVIEW_RUN_AS=root."""
    return {k: v for k, v in os.environ.items() if k != "PATTERN_REVIEW_RUN_AS"}


def _demo(*extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pattern_review", "demo", "--no-ai", *extra],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env=_users_environment(),
    )


def test_demo_says_its_temporary_repo_was_removed_and_how_to_keep_it() -> None:
    done = _demo("--format", "json")

    assert done.returncode == 0, done.stderr
    built = re.search(r"Example PR: (\S+) \(", done.stderr)
    assert built is not None, done.stderr
    assert "temporary, removed after the review" in done.stderr
    assert f"Removed the example repository ({built[1]})" in done.stderr
    assert "pattern-review demo --keep DIR" in done.stderr
    assert not Path(built[1]).exists()


def test_demo_with_keep_says_where_the_repo_is(tmp_path: Path) -> None:
    done = _demo("--format", "json", "--keep", str(tmp_path))

    assert done.returncode == 0, done.stderr
    assert f"The example repository is kept in {tmp_path / 'demo-shop'}." in (
        done.stderr
    )
    assert (tmp_path / "demo-shop" / ".git").is_dir()
