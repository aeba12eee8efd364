"""The base-version run: which base files are read and checked."""

from __future__ import annotations

from pathlib import Path

from pattern_review.baseline.base_run import base_paths, files_to_check
from pattern_review.models import ChangedFile, Finding, ReviewTarget

TARGET = ReviewTarget(
    repo=Path("/repo"),
    base="a" * 40,
    head="b" * 40,
    files=(
        ChangedFile(path="app/edited.py", status="modified"),
        ChangedFile(path="app/new_name.py", status="renamed", old_path="app/old.py"),
        ChangedFile(path="app/gone.py", status="deleted", skip_reason="deleted"),
        ChangedFile(path="app/added.py", status="added"),
        ChangedFile(path="README.md", status="modified", skip_reason="not Python"),
    ),
)


def _finding(path: str, line: int) -> Finding:
    return Finding(
        rule="E501",
        pattern="style-rules#4",
        source="ruff",
        severity="error",
        path=path,
        line=line,
        message="Line too long",
    )


def test_base_paths_are_the_old_paths_of_changed_python_files() -> None:
    assert base_paths(TARGET) == {
        "app/edited.py": "app/edited.py",
        "app/old.py": "app/new_name.py",
        "app/gone.py": "app/gone.py",  # moved code may come from it
    }


def test_another_file_is_checked_only_when_it_held_the_flagged_line() -> None:
    moved = "result = compute_the_total(items)\n"
    head = {"app/edited.py": f"x = 1\n{moved}"}
    base = {
        "app/edited.py": "x = 1\n",
        "app/gone.py": f"import os\n{moved}",
        "app/other.py": "y = 2\n",
    }
    chosen = files_to_check([_finding("app/edited.py", 2)], head, base, {})
    assert chosen == {"app/edited.py", "app/gone.py"}
    # A short line (``)``, ``pass``) is everywhere: no sign of moved code.
    short = {"app/edited.py": "x = 1\npass\n"}
    base["app/gone.py"] = "pass\n"
    assert files_to_check([_finding("app/edited.py", 2)], short, base, {}) == {
        "app/edited.py"
    }
