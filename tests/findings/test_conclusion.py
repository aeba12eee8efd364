"""Ordering findings, and the conclusion from deterministic results alone."""

from __future__ import annotations

from pattern_review.findings.conclusion import conclude, sort_findings, worst_status
from pattern_review.models import (
    CheckResult,
)
from tests.findings.sample import make


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


def test_the_worst_status_wins_and_nothing_is_skipped() -> None:
    assert worst_status(["passed", "error", "failed"]) == "error"
    assert worst_status(["skipped", "passed"]) == "passed"
    assert worst_status([]) == "skipped"
