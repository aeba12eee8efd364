"""The one impact order: tests, types, unanalysable files, patterns, style."""

from __future__ import annotations

from pattern_review.findings.impact import by_impact
from pattern_review.models import Finding


def _finding(rule: str, source: str, pattern: str, line: int = 1) -> Finding:
    return Finding.model_validate(
        {
            "rule": rule,
            "pattern": pattern,
            "source": source,
            "severity": "error",
            "path": "app/a.py",
            "line": line,
            "message": "m",
        }
    )


def test_a_failing_test_and_a_type_error_come_before_a_pattern_and_style() -> None:
    style = _finding("E501", "ruff", "style-rules#4")
    pattern = _finding("RTR001", "convention", "router-pattern")
    broken = _finding("PR000", "convention", "completion-checklist")
    types = _finding("mypy:arg-type", "mypy", "completion-checklist")
    test = _finding("pytest:failed", "pytest", "completion-checklist")

    ranked = by_impact([style, pattern, broken, types, test])

    assert [f.rule for f in ranked] == [
        "pytest:failed",
        "mypy:arg-type",
        "PR000",
        "RTR001",
        "E501",
    ]


def test_patterns_take_turns_so_a_short_list_shows_each() -> None:
    routers = [_finding("RTR004", "convention", "router-pattern", n) for n in (1, 2)]
    service = _finding("SVC002", "convention", "service-pattern", 9)

    ranked = by_impact([*routers, service])

    assert [(f.rule, f.line) for f in ranked] == [
        ("RTR004", 1),
        ("SVC002", 9),
        ("RTR004", 2),
    ]
