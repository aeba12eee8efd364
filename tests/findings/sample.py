"""Findings and a target to filter them against, for the findings tests."""

from __future__ import annotations

from pathlib import Path

from pattern_review.models import ChangedFile, Finding, ReviewTarget, Source

TARGET = ReviewTarget(
    repo=Path("/repo"),
    base="a" * 40,
    head="b" * 40,
    files=(
        ChangedFile(
            path="app/x.py",
            status="modified",
            added_lines=frozenset({10, 11}),
            hunks=((7, 14),),
        ),
        ChangedFile(path="app/gone.py", status="deleted", skip_reason="deleted"),
    ),
)


def make(
    line: int,
    *,
    path: str = "app/x.py",
    end_line: int = 0,
    source: Source = "ruff",
    severity: str = "error",
    rule: str = "E501",
) -> Finding:
    """Return a ruff-like finding on ``app/x.py``, overridable field by field."""
    return Finding.model_validate(
        {
            "rule": rule,
            "pattern": "style-rules#4",
            "source": source,
            "severity": severity,
            "path": path,
            "line": line,
            "end_line": end_line,
            "message": "Line too long",
        }
    )
