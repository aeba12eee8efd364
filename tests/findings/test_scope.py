"""Which findings count: the filter modes, whole-file findings, unreadable files."""

from __future__ import annotations

import pytest

from pattern_review.findings.scope import filter_findings, unreadable_files
from pattern_review.models import (
    ChangedFile,
    FilterMode,
)
from tests.findings.sample import TARGET, make


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("added", [10, 9]),
        ("diff_context", [10, 9, 13]),
        ("file", [10, 9, 13, 30]),
        ("nofilter", [10, 9, 13, 30, 5]),
    ],
)
def test_filter_modes_keep_what_the_pr_introduces(
    mode: FilterMode, expected: list[int]
) -> None:
    findings = [
        make(10),
        make(9, end_line=11),  # a formatter hunk overlapping an added line
        make(13),
        make(30),
        make(5, path="app/other.py"),
    ]

    kept = filter_findings(findings, TARGET, mode)

    assert [f.line for f in kept] == expected


def test_failing_related_test_is_kept_even_in_an_unchanged_file() -> None:
    failing = make(3, path="tests/test_x.py", source="pytest", rule="pytest:failed")

    assert filter_findings([failing], TARGET, "added") == [failing]


def test_findings_in_deleted_files_are_dropped() -> None:
    assert filter_findings([make(1, path="app/gone.py")], TARGET, "file") == []


def test_a_file_that_stopped_parsing_counts_whatever_line_the_parser_names() -> None:
    syntax = make(3, rule="invalid-syntax")  # line 3 was not added
    broken = make(1, rule="PR000", source="convention")
    in_deleted = make(1, path="app/gone.py", rule="mypy:syntax", source="mypy")

    kept = filter_findings([syntax, broken, in_deleted], TARGET, "added")

    assert kept == [syntax, broken]


def test_unreadable_python_files_become_findings() -> None:
    target = TARGET.model_copy(
        update={
            "files": (
                ChangedFile(
                    path="app/latin.py",
                    status="added",
                    skip_reason="not valid UTF-8 (byte 0xe9 at offset 11)",
                ),
                ChangedFile(
                    path="app/blob.py", status="added", skip_reason="binary file"
                ),
                ChangedFile(path="img.png", status="added", skip_reason="binary file"),
                ChangedFile(
                    path="app/gone.py", status="deleted", skip_reason="deleted"
                ),
                ChangedFile(
                    path="app/locked.py",
                    status="added",
                    skip_reason="cannot be read (Permission denied)",
                ),
                ChangedFile(path="app/ln.py", status="added", skip_reason="symlink"),
                ChangedFile(
                    path="app/gen.py",
                    status="added",
                    skip_reason="generated (linguist-generated)",
                ),
            )
        }
    )

    found = unreadable_files(target)

    # Every Python file not reviewed for a reason nobody chose fails the review.
    assert [(f.rule, f.path, f.severity) for f in found] == [
        ("PR001", "app/latin.py", "error"),
        ("PR002", "app/blob.py", "error"),
        ("PR004", "app/locked.py", "error"),
    ]
    assert "Permission denied" in found[2].message
    assert "byte 0xe9 at offset 11" in found[0].message
    assert filter_findings(found, target, "added") == found


def test_a_rule_that_crashed_on_a_file_is_never_filtered_away() -> None:
    crashed = make(1, rule="PR003", source="convention")  # line 1 was not added

    assert filter_findings([crashed], TARGET, "added") == [crashed]
