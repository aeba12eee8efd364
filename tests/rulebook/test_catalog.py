"""The closed list of citation slugs and the ruff codes cited to them."""

from __future__ import annotations

import pytest

from pattern_review.rulebook.agent_file import builtin_agent_file
from pattern_review.rulebook.catalog import (
    PATTERN_SLUGS,
    REVIEW_RULES,
    RUFF_MAPPINGS,
    RUFF_STYLE_SELECT,
    cite_ruff_code,
    heading_for,
    is_pattern_slug,
    review_rule,
)


@pytest.mark.parametrize(
    "slug",
    [
        "router-pattern",
        "schema-pattern",
        "model-pattern",
        "service-pattern",
        "celery-task-pattern",
        "error-handling",
        "completion-checklist",
        "style-rules#1",
        "style-rules#14",
    ],
)
def test_catalogued_slugs_are_citations(slug: str) -> None:
    assert is_pattern_slug(slug)


@pytest.mark.parametrize(
    "slug",
    [
        "",
        "style-rules",
        "style-rules#0",
        "style-rules#15",
        "Router-Pattern",
        "router-pattern ",
        "router",
        "#router-pattern",
    ],
)
def test_anything_else_is_not_a_citation(slug: str) -> None:
    assert not is_pattern_slug(slug)


def test_there_are_seven_sections_and_fourteen_style_rules() -> None:
    assert len(PATTERN_SLUGS) == 7 + 14


def test_every_slug_names_a_section_of_the_seed_agent_file() -> None:
    seed = builtin_agent_file()
    for slug in PATTERN_SLUGS:
        section = seed.section(slug)
        assert section is not None, slug
        assert section.heading == heading_for(slug)


def test_an_unknown_slug_is_headed_as_the_completion_checklist() -> None:
    assert heading_for("style-rules#3") == "Style Rules (MANDATORY)"
    assert heading_for("nowhere") == "Completion Checklist"


def test_a_ruff_code_is_cited_by_its_longest_prefix() -> None:
    assert cite_ruff_code("ANN001").pattern == "style-rules#2"
    assert cite_ruff_code("ANN401").pattern == "completion-checklist"
    assert cite_ruff_code("D103").severity == "warning"
    assert cite_ruff_code("E501").severity == "error"
    unknown = cite_ruff_code("PLR0913")
    assert (unknown.prefix, unknown.pattern) == ("PLR0913", "completion-checklist")


def test_every_cited_and_selected_ruff_code_is_catalogued() -> None:
    assert all(is_pattern_slug(m.pattern) for m in RUFF_MAPPINGS)
    for code in RUFF_STYLE_SELECT:
        assert is_pattern_slug(cite_ruff_code(code).pattern), code


def test_review_rules_are_found_by_id_in_any_case() -> None:
    assert [rule.id for rule in REVIEW_RULES] == [
        "PR000",
        "PR001",
        "PR002",
        "PR003",
        "PR004",
        "PR005",
        "PR100",
        "PR101",
        "PR102",
        "PR103",
        "PR104",
    ]
    found = review_rule("pr100")
    assert found is not None and found.severity == "note"
    assert review_rule("PR999") is None
