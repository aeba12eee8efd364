"""Filtering to the diff, fingerprints and the conclusion."""

from __future__ import annotations

from pathlib import Path

import pytest

from pattern_review.findings.core import (
    conclude,
    filter_findings,
    fingerprint,
    one_syntax_error_per_file,
    sort_findings,
    unreadable_files,
)
from pattern_review.models import (
    ChangedFile,
    CheckResult,
    FilterMode,
    Finding,
    ReviewTarget,
    Source,
)

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


def test_fingerprint_survives_lines_moving_and_tells_duplicates_apart() -> None:
    before = {"app/x.py": "x = 1\nveryLongLine = 2\n"}
    after = {"app/x.py": "# new comment\n\nx = 1\nveryLongLine   =   2\n"}

    first = fingerprint([make(2)], before)[0].fingerprint
    moved = fingerprint([make(4)], after)[0].fingerprint
    twins = fingerprint([make(1), make(2)], {"app/x.py": "a = 1\na = 1\n"})

    assert first == moved
    assert len(first) == 16
    assert twins[0].fingerprint != twins[1].fingerprint


def test_fingerprint_changes_with_the_code() -> None:
    one = fingerprint([make(1)], {"app/x.py": "x = 1\n"})[0].fingerprint
    two = fingerprint([make(1)], {"app/x.py": "x = 2\n"})[0].fingerprint

    assert one != two


def test_sort_puts_most_severe_first() -> None:
    ordered = sort_findings(
        [
            make(5, severity="note"),
            make(9, severity="error"),
            make(1, severity="warning"),
        ]
    )

    assert [f.severity for f in ordered] == ["error", "warning", "note"]


def test_conclusion_follows_fail_on_and_ignores_ai_findings() -> None:
    passed = [CheckResult(name="ruff", status="passed")]
    warning = make(1, severity="warning")
    ai_error = make(2, source="ai", severity="error")

    assert conclude([warning], passed, "error") == "success"
    assert conclude([warning], passed, "warning") == "failure"
    assert conclude([make(1)], passed, "never") == "success"
    assert conclude([ai_error], passed, "warning") == "success"


def test_a_check_that_could_not_run_never_passes() -> None:
    broken = [CheckResult(name="mypy", status="error", detail="mypy not found")]

    assert conclude([], broken, "never") == "failure"


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


def test_a_syntax_error_every_tool_reports_is_listed_once_per_file() -> None:
    first = make(1, rule="invalid-syntax")
    cascade = make(1, rule="invalid-syntax").model_copy(update={"column": 9})
    ours = make(1, rule="PR000", source="convention")
    mypy = make(1, rule="mypy:syntax", source="mypy").model_copy(update={"column": 2})
    elsewhere = make(4, path="app/y.py", rule="mypy:syntax", source="mypy")
    other = make(2)

    kept = one_syntax_error_per_file([ours, mypy, cascade, first, other, elsewhere])

    # ruff's wording wins a tie with ours; the later positions are cascades.
    assert kept == [first, other, elsewhere]


def test_ruffs_other_syntax_errors_in_a_file_that_parses_are_all_kept() -> None:
    # A duplicate parameter, a match statement on an old target: the file
    # parses (no PR000, no mypy or formatter syntax error), so each counts.
    duplicate = make(4, rule="invalid-syntax")
    too_new = make(7, rule="invalid-syntax")
    assert one_syntax_error_per_file([duplicate, too_new]) == [duplicate, too_new]
