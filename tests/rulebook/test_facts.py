"""The shipped facts of the built-in rules say what the rule classes say."""

from __future__ import annotations

from pathlib import Path

from pattern_review.config import Config
from pattern_review.conventions.registry import all_rules
from pattern_review.rulebook.agent_file import builtin_agent_file, parse_agent_file
from pattern_review.rulebook.book import build_rulebook
from pattern_review.rulebook.facts import (
    RULE_FACTS,
    RuleFacts,
    builtin_rule_facts,
    rule_facts_json,
)


def test_the_rule_facts_file_says_what_the_rule_classes_say() -> None:
    # A review binds the built-in rules from this file, without importing
    # them; after editing a rule's sentence, id, pattern or variants, run
    # uv run python -c "from pattern_review.rulebook.facts import write_rule_facts;
    # write_rule_facts()"
    shipped = Path(__file__).parents[2] / "src/pattern_review/data" / RULE_FACTS
    assert shipped.read_text(encoding="utf-8") == rule_facts_json(all_rules())


def test_binding_from_the_facts_matches_binding_from_the_classes() -> None:
    agent = builtin_agent_file()
    edited = parse_agent_file(
        agent.text.replace("Use `HTTPException` with appropriate", "Use errors with"),
        "team.md",
    )
    for book in (agent, edited):
        from_facts = build_rulebook(book, Config())
        from_classes = build_rulebook(book, Config(), all_rules())
        assert from_facts.bindings == from_classes.bindings
        assert from_facts.rows == from_classes.rows


def test_the_builtin_facts_are_every_rule_in_id_order() -> None:
    facts = builtin_rule_facts()
    assert [f.ID for f in facts] == sorted(rule.ID for rule in all_rules())
    by_id = {rule.ID: rule for rule in all_rules()}
    for fact in facts:
        assert fact == RuleFacts.of(by_id[fact.ID])
        assert fact.sentences() == by_id[fact.ID].sentences()
