"""The review's own rules and the syntax errors every tool reports."""

from __future__ import annotations

from pattern_review.findings.rules import one_syntax_error_per_file
from tests.findings.sample import make


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
