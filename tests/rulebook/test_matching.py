"""Finding a rule's sentence in the team's agent file.

Word sets without markdown, case, plurals or filler; the cited section first
(an edited sentence still matches), the rest of the file only for a sentence
moved nearly as it was, and the section's example code for a sentence that
quotes it; a word that turns the rule around is never matched away.
"""

from __future__ import annotations

import pytest

from pattern_review.rulebook.agent_file import parse_agent_file
from pattern_review.rulebook.matching import match_sentence, similarity, words
from tests.rulebook.agent_texts import ROUTER_SENTENCE, SEED

ROUTER_TEXT = ROUTER_SENTENCE[2:]


def test_words_ignore_markdown_case_plurals_and_filler() -> None:
    assert words("Use `APIRouter` with **`prefix`** and `tags`") == {
        "apirouter",
        "prefix",
        "tag",
    }
    assert words("Use `__tablename__`, `get_db`") == {"tablename", "get_db"}
    edited = words("Use `APIRouter` with `prefix`")
    assert similarity(edited, words(ROUTER_SENTENCE)) == pytest.approx(2 / 3)


def test_similarity_of_two_empty_sentences_is_zero() -> None:
    assert similarity(frozenset(), frozenset()) == 0.0
    assert words("Use the, with all") == frozenset()


def test_the_seed_sentence_matches_in_its_own_section() -> None:
    agent = parse_agent_file(SEED, "seed.md")
    match = match_sentence(agent, "router-pattern", ROUTER_TEXT)
    assert match.found and match.where == "section"
    assert match.score == 1.0
    assert match.item is not None and match.item.text == ROUTER_TEXT
    assert match.heading == "Router Pattern"
    assert match.describe() == f"line 129 (1.00): {ROUTER_TEXT}"


def test_a_sentence_moved_to_another_section_matches_only_as_written() -> None:
    moved = SEED.replace(f"{ROUTER_SENTENCE}\n", "").replace(
        "- Use Pydantic validators for input validation",
        f"- Use Pydantic validators for input validation\n{ROUTER_SENTENCE}",
    )
    agent = parse_agent_file(moved, "team.md")
    match = match_sentence(agent, "router-pattern", ROUTER_TEXT)
    assert match.where == "moved"
    assert match.heading == "Error Handling"
    assert match.describe().endswith(f", moved to Error Handling (1.00): {ROUTER_TEXT}")

    # Rewritten as well as moved: no bullet elsewhere matches; only the
    # section's example code, which still says it, does.
    edited = moved.replace(ROUTER_SENTENCE, "- Use `APIRouter` with `prefix`")
    agent = parse_agent_file(edited, "team.md")
    assert match_sentence(agent, "router-pattern", ROUTER_TEXT).where == "code"


def test_a_turning_word_keeps_a_close_sentence_from_matching() -> None:
    text = SEED.replace("- All methods are `async`", "- All methods are not `async`")
    agent = parse_agent_file(text, "team.md")
    match = match_sentence(agent, "service-pattern", "All methods are `async`")
    assert not match.found
    assert match.turned == ["not"]
    assert match.item is not None and match.item.text == "All methods are not `async`"
    assert "adds or drops not" in match.describe()


def test_a_sentence_quoting_the_example_code_matches_the_code() -> None:
    agent = parse_agent_file(SEED, "seed.md")
    sentence = "@shared_task(bind=True, max_retries=3, default_retry_delay=60)"
    match = match_sentence(agent, "celery-task-pattern", sentence)
    assert match.where == "code"
    assert match.item is None
    assert match.describe() == "example code of Celery Task Pattern (1.00)"


def test_a_sentence_with_no_word_in_the_file_is_not_found() -> None:
    agent = parse_agent_file(SEED, "seed.md")
    match = match_sentence(agent, "router-pattern", "Zebras quarrel loudly")
    assert (match.found, match.score, match.item) == (False, 0.0, None)
    assert match.describe() == "not found"
