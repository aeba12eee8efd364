"""Run a rule's own VALID and INVALID examples: the contract every rule keeps.

The built-in rules are held to it by ``tests/test_rule_examples.py``; a
team's rules by ``pattern-review rules --test``, or in its own test suite::

    from pattern_review.conventions.examples import example_problems
    from my_rules import NoPrintRule

    def test_no_print_examples() -> None:
        assert example_problems(NoPrintRule) == []
"""

from __future__ import annotations

import textwrap

from pattern_review.config import Config
from pattern_review.conventions.engine import lint_source
from pattern_review.conventions.rule import Example, Rule
from pattern_review.models import Finding

MIN_EXAMPLES = 2


def lint_example(rule: type[Rule], example: Example, config: Config) -> list[Finding]:
    """Run one rule on one of its examples, with the example's role.

    Args:
        rule: The rule class.
        example: One of its VALID or INVALID examples.
        config: The configuration to lint with.

    Returns:
        The findings.
    """
    return lint_source(
        f"src/app/example_{example.role}.py",
        textwrap.dedent(example.code),
        config,
        roles=frozenset({example.role}),
        rules=[rule],
    )


def example_problems(rule: type[Rule]) -> list[str]:
    """Check a rule against its own examples and the rule contract.

    Args:
        rule: The rule class.

    Returns:
        One line per problem; empty when the rule keeps the contract: a
        docstring, SUMMARY, MESSAGE and AGENT_TEXT, at least two VALID
        examples that give no finding and two INVALID ones that give
        exactly the findings they describe.
    """
    problems: list[str] = []
    if not (rule.__doc__ or "").strip():
        problems.append(f"{rule.ID}: no docstring saying what it wants and why")
    for name in ("SUMMARY", "MESSAGE", "AGENT_TEXT"):
        if not getattr(rule, name):
            problems.append(f"{rule.ID}: {name} is empty")
    for name, examples in (("VALID", rule.VALID), ("INVALID", rule.INVALID)):
        if len(examples) < MIN_EXAMPLES:
            problems.append(f"{rule.ID}: fewer than {MIN_EXAMPLES} {name} examples")
    config = Config()
    for index, example in enumerate(rule.VALID):
        found = lint_example(rule, example, config)
        if found:
            problems.append(
                f"{rule.ID} VALID[{index}]: {len(found)} finding(s), first at line "
                f"{found[0].line}: {found[0].message}"
            )
    for index, example in enumerate(rule.INVALID):
        problems += _invalid_problems(rule, index, example, config)
    return problems


def _invalid_problems(
    rule: type[Rule], index: int, example: Example, config: Config
) -> list[str]:
    where = f"{rule.ID} INVALID[{index}]"
    found = lint_example(rule, example, config)
    if len(found) != example.count:
        return [f"{where}: {len(found)} finding(s), expected {example.count}"]
    first = found[0]
    problems: list[str] = []
    if first.rule != rule.ID:
        problems.append(f"{where}: first finding is {first.rule}")
    if (example.line, example.column) != (first.line, first.column):
        problems.append(
            f"{where}: at {first.line}:{first.column}, expected "
            f"{example.line}:{example.column}"
        )
    wanted = example.message or rule.MESSAGE
    if first.message != wanted:
        problems.append(f"{where}: message {first.message!r}, expected {wanted!r}")
    if first.suggestion != example.suggestion:
        problems.append(
            f"{where}: suggestion {first.suggestion!r}, expected {example.suggestion!r}"
        )
    return problems
