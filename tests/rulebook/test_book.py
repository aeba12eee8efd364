"""The rulebook of a review: what runs, what ruff adds, and the report's notice."""

from __future__ import annotations

import pytest

from pattern_review.config import Config, Role
from pattern_review.conventions.engine import lint_source
from pattern_review.conventions.registry import all_rules
from pattern_review.models import Finding
from pattern_review.rulebook.agent_file import builtin_agent_file, parse_agent_file
from pattern_review.rulebook.book import build_rulebook
from pattern_review.rulebook.catalog import RUFF_STYLE_SELECT
from tests.rulebook.agent_texts import ROUTER_SENTENCE, SEED, without_celery


def test_the_seed_turns_every_rule_and_ruff_code_on() -> None:
    book = build_rulebook(parse_agent_file(SEED, "seed.md"), Config())
    off = [(b.rule, b.reason) for b in book.bindings if not b.on]
    assert off == []
    assert book.notice() == ""
    assert {b.rule for b in book.bindings if b.via == "convention"} == {
        rule.ID for rule in all_rules()
    }
    router = book.binding("RTR001")
    assert router is not None and router.variants == {"prefix", "tags"}
    assert router.matches[0].score == 1.0
    assert router.matches[0].item is not None
    assert router.matches[0].item.text == ROUTER_SENTENCE[2:]


@pytest.mark.parametrize(
    ("slug", "path", "role"),
    [
        ("router-pattern", "src/app/routers/resource.py", "router"),
        ("schema-pattern", "src/app/schemas/resource.py", "schema"),
        ("model-pattern", "src/app/models/resource.py", "model"),
        ("service-pattern", "src/app/services/resource_service.py", "service"),
        ("celery-task-pattern", "src/app/tasks/sync.py", "task"),
    ],
)
def test_the_seed_code_blocks_give_no_finding_under_the_seed_rulebook(
    slug: str, path: str, role: Role
) -> None:
    agent = parse_agent_file(SEED, "seed.md")
    selection = build_rulebook(agent, Config()).selection()
    section = agent.section(slug)
    assert section is not None
    found = lint_source(
        path, section.code_blocks[0], Config(), roles=frozenset({role}),
        selection=selection,
    )  # fmt: skip
    assert found == []


def test_a_dropped_style_rule_turns_its_ruff_codes_off() -> None:
    text = SEED.replace("4. **PEP 8** - Enforced by Ruff (line length 88)\n", "")
    book = build_rulebook(parse_agent_file(text, "team.md"), Config())
    assert "E501" not in book.ruff_select()
    assert "FA" in book.ruff_select()
    assert book.off_patterns() == {"style-rules#4"}
    assert "ruff E501, W505 not added" in book.notice()


def test_builtin_rulebook_matches_the_seed_copy() -> None:
    builtin = build_rulebook(builtin_agent_file(), Config())
    assert all(b.on for b in builtin.bindings)


def _ruff_finding(rule: str, pattern: str) -> Finding:
    return Finding(
        rule=rule,
        pattern=pattern,
        source="ruff",
        severity="error",
        path="app/x.py",
        line=1,
        message="Line too long",
    )


def test_a_ruff_finding_of_a_dropped_style_rule_is_cited_to_the_checklist() -> None:
    text = SEED.replace("4. **PEP 8** - Enforced by Ruff (line length 88)\n", "")
    book = build_rulebook(parse_agent_file(text, "team.md"), Config())
    long_line = _ruff_finding("E501", "style-rules#4")
    assert book.recite(long_line).pattern == "completion-checklist"
    assert book.recite(long_line).model_dump(exclude={"pattern"}) == (
        long_line.model_dump(exclude={"pattern"})
    )
    kept = _ruff_finding("UP007", "style-rules#9")
    assert book.recite(kept) == kept
    seed = build_rulebook(parse_agent_file(SEED, "seed.md"), Config())
    assert seed.recite(long_line) == long_line
    assert seed.ruff_select() == RUFF_STYLE_SELECT


def test_the_notice_names_at_most_eight_rules_and_the_sections_gone() -> None:
    start = SEED.index("### Router Pattern")
    text = SEED[:start] + SEED[SEED.index("### Celery Task Pattern") :]
    book = build_rulebook(parse_agent_file(text, "team.md"), Config())
    assert len(book.off()) == 24
    assert book.notice() == (
        "24 rules off: your agent file has none of the sections Model Pattern "
        "(SQLAlchemy 2.0), Router Pattern, Schema Pattern (Pydantic v2), Service "
        "Pattern (MDL001, MDL002, MDL003, MDL004, MDL005, RTR001, RTR002, RTR003, "
        "… 16 more)"
    )


def test_selection_and_key_follow_what_the_agent_file_turns_on() -> None:
    seed = build_rulebook(parse_agent_file(SEED, "seed.md"), Config())
    edited = SEED.replace(ROUTER_SENTENCE, "- Use `APIRouter` with `prefix`")
    book = build_rulebook(parse_agent_file(edited, "team.md"), Config())
    assert book.selection().variants["RTR001"] == {"prefix"}
    assert seed.selection().variants["RTR001"] == {"prefix", "tags"}
    assert book.selection().rules == seed.selection().rules
    assert book.key() != seed.key()
    assert "RTR001=prefix\n" in book.key()

    no_celery = build_rulebook(parse_agent_file(without_celery(SEED), "t"), Config())
    assert "TSK001" not in no_celery.selection().rules
    assert no_celery.key().splitlines()[0] == ",".join(
        sorted(no_celery.selection().rules)
    )
    assert build_rulebook(builtin_agent_file(), Config()).key() == seed.key()
