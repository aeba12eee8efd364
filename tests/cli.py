"""Running the real CLI in a subprocess, as a user does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.gitrepo import GitRepo


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m pattern_review ARGS`` and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "pattern_review", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=300,
    )


def review_cli(
    repo: GitRepo, *extra: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Review ``main...HEAD`` of ``repo`` without AI; later flags in ``extra`` win."""
    return run_cli(
        "review",
        "--repo",
        str(repo.path),
        "--base",
        "main",
        "--head",
        "HEAD",
        "--no-ai",
        *extra,
        cwd=cwd,
    )


def review_json(repo: GitRepo, *extra: str) -> tuple[int, dict[str, Any]]:
    """Review ``main...HEAD`` of ``repo`` as JSON; later flags in ``extra`` win."""
    done = review_cli(repo, "--format", "json", *extra)
    assert done.stdout, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return done.returncode, report
