"""Every rule's own VALID and INVALID examples, run through the real engine.

Parametrized over ``registry.all_rules()``, so each family's rules are covered
as soon as they exist: exact position, message, suggestion and count.
"""

from __future__ import annotations

import pytest

from pattern_review.config import Config
from pattern_review.conventions.examples import lint_example
from pattern_review.conventions.registry import all_rules
from pattern_review.conventions.rule import Example, Rule
from pattern_review.models import Finding
from pattern_review.rulebook.catalog import is_pattern_slug

CONFIG = Config()


def _cases(kind: str) -> list[tuple[type[Rule], int, Example]]:
    cases: list[tuple[type[Rule], int, Example]] = []
    for rule in all_rules():
        examples = rule.VALID if kind == "valid" else rule.INVALID
        cases.extend((rule, index, example) for index, example in enumerate(examples))
    return cases


def _case_id(case: tuple[type[Rule], int, Example]) -> str:
    return f"{case[0].ID}-{case[1]}"


def _lint(rule: type[Rule], example: Example) -> list[Finding]:
    return lint_example(rule, example, CONFIG)


@pytest.mark.parametrize("rule", all_rules(), ids=lambda rule: rule.ID)
def test_rule_is_documented_and_has_examples(rule: type[Rule]) -> None:
    assert rule.__doc__ and rule.__doc__.strip()
    assert is_pattern_slug(rule.PATTERN), rule.PATTERN
    assert rule.SUMMARY and rule.MESSAGE and rule.AGENT_TEXT
    assert len(rule.VALID) >= 2
    assert len(rule.INVALID) >= 2
    assert all(example.line is not None for example in rule.INVALID)
    assert all(example.column is not None for example in rule.INVALID)


@pytest.mark.parametrize(
    ("rule", "index", "example"), _cases("valid"), ids=map(_case_id, _cases("valid"))
)
def test_valid_example_gives_no_finding(
    rule: type[Rule], index: int, example: Example
) -> None:
    findings = _lint(rule, example)
    assert findings == [], [f.message for f in findings]


@pytest.mark.parametrize(
    ("rule", "index", "example"),
    _cases("invalid"),
    ids=map(_case_id, _cases("invalid")),
)
def test_invalid_example_gives_exact_findings(
    rule: type[Rule], index: int, example: Example
) -> None:
    findings = _lint(rule, example)
    assert len(findings) == example.count, [
        (f.rule, f.line, f.column, f.message) for f in findings
    ]
    first = findings[0]
    assert first.rule == rule.ID
    assert first.pattern == rule.PATTERN
    assert first.source == "convention"
    assert (first.line, first.column) == (example.line, example.column)
    assert first.message == (example.message or rule.MESSAGE)
    assert first.suggestion == example.suggestion
