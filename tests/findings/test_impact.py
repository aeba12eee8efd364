"""Impact order: failing tests, type errors, unanalysable files, patterns, style."""

from __future__ import annotations

from pattern_review.findings.impact import (
    ARCHITECTURE,
    STYLE,
    TEST_FAILURE,
    TYPE_ERROR,
    UNANALYSABLE,
    by_impact,
    impact_tier,
)
from pattern_review.models import Finding


def finding(rule: str, source: str, pattern: str, severity: str = "error") -> Finding:
    return Finding.model_validate(
        {
            "rule": rule,
            "pattern": pattern,
            "source": source,
            "severity": severity,
            "path": "a.py",
            "line": 1,
            "message": "m",
        }
    )


def test_each_kind_of_finding_has_its_tier() -> None:
    assert impact_tier(finding("PYTEST:failed", "pytest", "x")) == TEST_FAILURE
    assert impact_tier(finding("mypy:arg-type", "mypy", "x")) == TYPE_ERROR
    assert impact_tier(finding("mypy:syntax", "mypy", "x")) == UNANALYSABLE
    assert impact_tier(finding("PR005", "convention", "x")) == UNANALYSABLE
    assert impact_tier(finding("TSK002", "convention", "celery-task-pattern")) == (
        ARCHITECTURE
    )
    assert impact_tier(finding("N801", "ruff", "style-rules#5")) == STYLE


def test_a_warning_that_matters_comes_before_a_style_error() -> None:
    style = finding("N801", "ruff", "style-rules#5")
    test = finding("PYTEST:failed", "pytest", "completion-checklist", "warning")
    swallowed = finding("ERR002", "convention", "error-handling", "warning")
    assert by_impact([style, swallowed, test]) == [test, swallowed, style]
