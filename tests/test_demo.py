"""`pattern-review demo`: the README quick start reviews the bundled PR."""

from __future__ import annotations

import json
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
