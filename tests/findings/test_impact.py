"""The one impact order: tests, types, unanalysable files, patterns, style."""

from __future__ import annotations

from pattern_review.findings.impact import (
    TIER_ARCHITECTURE,
    TIER_STYLE,
    TIER_TEST,
    TIER_TYPES,
    TIER_UNANALYSABLE,
    by_impact,
    impact_tier,
    is_mechanical,
)
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
    assert impact_tier(finding("PYTEST:failed", "pytest", "x")) == TIER_TEST
    assert impact_tier(finding("mypy:arg-type", "mypy", "x")) == TIER_TYPES
    assert impact_tier(finding("mypy:syntax", "mypy", "x")) == TIER_UNANALYSABLE
    assert impact_tier(finding("PR005", "convention", "x")) == TIER_UNANALYSABLE
    assert impact_tier(finding("TSK002", "convention", "celery-task-pattern")) == (
        TIER_ARCHITECTURE
    )
    assert impact_tier(finding("N801", "ruff", "style-rules#5")) == TIER_STYLE


def test_a_warning_that_matters_comes_before_a_style_error() -> None:
    style = finding("N801", "ruff", "style-rules#5")
    test = finding("PYTEST:failed", "pytest", "completion-checklist", "warning")
    swallowed = finding("ERR002", "convention", "error-handling", "warning")
    assert by_impact([style, swallowed, test]) == [test, swallowed, style]


def test_a_note_comes_after_every_error_and_warning() -> None:
    unused_ignore = finding("PR100", "convention", "completion-checklist", "note")
    style = finding("N801", "ruff", "style-rules#5")
    assert by_impact([unused_ignore, style]) == [style, unused_ignore]


def test_what_a_tool_rewrites_comes_after_what_needs_a_person() -> None:
    imports = finding("I001", "ruff", "style-rules#11")
    union = finding("UP007", "ruff", "style-rules#9")
    formatting = finding("ruff-format", "ruff-format", "completion-checklist")
    sync_io = finding("STY014", "convention", "style-rules#14")
    annotation = finding("ANN201", "ruff", "style-rules#2")

    ranked = by_impact([imports, union, formatting, sync_io, annotation])

    assert [f.rule for f in ranked[:2]] == ["ANN201", "STY014"]
    assert {f.rule for f in ranked[2:]} == {"I001", "UP007", "ruff-format"}


def test_mechanical_is_decided_by_the_linter_letters_of_the_code() -> None:
    assert is_mechanical(finding("E501", "ruff", "style-rules#4"))
    assert is_mechanical(finding("I002", "ruff", "style-rules#1"))
    # flake8-errmsg and eradicate start with E too; a decision each.
    assert not is_mechanical(finding("EM101", "ruff", "completion-checklist"))
    assert not is_mechanical(finding("ERA001", "ruff", "completion-checklist"))
    assert not is_mechanical(finding("UP007", "convention", "style-rules#9"))


def test_a_mechanical_error_still_outranks_a_warning_that_needs_a_person() -> None:
    imports = finding("I001", "ruff", "style-rules#11")
    docstring = finding("D101", "ruff", "style-rules#3", "warning")

    assert by_impact([docstring, imports]) == [imports, docstring]
