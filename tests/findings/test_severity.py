"""Test files' docstring and annotation findings are warnings by default."""

from __future__ import annotations

from pattern_review.config import Config
from pattern_review.findings.severity import soften_test_style
from pattern_review.models import Finding


def _finding(rule: str, path: str, source: str = "ruff") -> Finding:
    return Finding.model_validate(
        {
            "rule": rule,
            "pattern": "style-rules#2",
            "source": source,
            "severity": "error",
            "path": path,
            "line": 3,
            "message": "m",
        }
    )


def test_annotation_and_docstring_errors_in_tests_become_warnings() -> None:
    found = [
        _finding("ANN001", "tests/test_orders.py"),
        _finding("D103", "tests/conftest.py"),
    ]

    assert [f.severity for f in soften_test_style(found, Config())] == [
        "warning",
        "warning",
    ]


def test_the_same_codes_in_application_code_stay_errors() -> None:
    found = [
        _finding("ANN001", "app/routers/orders.py"),
        _finding("E501", "tests/test_orders.py"),
        _finding("mypy:no-untyped-def", "tests/test_orders.py", source="mypy"),
    ]

    assert soften_test_style(found, Config()) == found


def test_a_team_that_selects_the_codes_keeps_them_errors() -> None:
    found = [_finding("ANN001", "tests/test_orders.py")]

    kept = soften_test_style(found, Config(select=["ANN"]))

    assert kept[0].severity == "error"
