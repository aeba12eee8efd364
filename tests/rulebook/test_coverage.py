"""What enforces each sentence of the agent file.

A sentence no rule covers goes to the AI (the real anthropic SDK against the
loopback fake) and shows as AI-only in ``rules --coverage`` and in the PR
comment of a PR that edits the agent file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from pattern_review.config import Config
from pattern_review.report.markdown import render_markdown
from pattern_review.review import AiOptions, run_review
from pattern_review.rulebook.agent_file import parse_agent_file
from pattern_review.rulebook.book import build_rulebook
from pattern_review.rulebook.coverage import coverage_items
from pattern_review.target import build_target
from tests.cli import run_cli
from tests.fakes.anthropic_server import FakeAnthropic, answer
from tests.gitrepo import GitRepo
from tests.rulebook.agent_texts import (
    AGENT_PATH,
    PRINTING,
    ROUTER_SENTENCE,
    SEED,
    TEAM_SENTENCE,
    open_pr,
    with_team_sentence,
)

API_KEY = "sk-ant-api03-" + "r" * 40


def test_every_bullet_has_its_strongest_enforcer() -> None:
    book = build_rulebook(parse_agent_file(SEED, "seed.md"), Config())
    rows = {row.text: row for row in book.rows}
    router = rows[ROUTER_SENTENCE[2:]]
    assert (router.enforced_by, router.slug, router.rules) == (
        "convention",
        "router-pattern",
        ("RTR001",),
    )
    constants = next(r for r in book.rows if r.text.startswith("**`SCREAMING"))
    assert (constants.rules, constants.ruff) == (("STY008",), ("N816",))
    stack = next(r for r in book.rows if r.text.startswith("Python 3.12+"))
    assert (stack.enforced_by, stack.slug) == ("nothing", None)
    assert [row.line for row in book.rows] == sorted(row.line for row in book.rows)
    assert book.uncovered() == [r for r in book.rows if r.enforced_by == "ai"]


def test_rules_bound_to_example_code_get_a_row_of_the_code() -> None:
    book = build_rulebook(parse_agent_file(SEED, "seed.md"), Config())
    code = [row for row in book.rows if row.text.startswith("(example code")]
    assert [(row.line, row.text, row.slug, row.rules) for row in code] == [
        (
            284,
            "(example code of Celery Task Pattern)",
            "celery-task-pattern",
            ("TSK001", "TSK002", "TSK003", "TSK004"),
        )
    ]


def test_coverage_items_list_rules_then_ruff_codes_then_tools() -> None:
    book = build_rulebook(parse_agent_file(SEED, "seed.md"), Config())
    items = coverage_items(book.rows)
    assert len(items) == len(book.rows)
    constants = next(i for i in items if i.text.startswith("**`SCREAMING"))
    assert (constants.enforced_by, constants.pattern) == ("convention", "style-rules#8")
    assert constants.rules == ["STY008", "N816"]
    lint = next(i for i in items if i.text.startswith("**Lint**"))
    assert (lint.enforced_by, lint.rules) == ("checklist", ["ruff"])


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAnthropic]:
    with FakeAnthropic([answer({"summary": "Fine.", "comments": []})]) as fake:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
        yield fake


def test_a_team_sentence_is_ai_only_in_coverage_and_sent_to_the_model(
    git_repo: GitRepo, api: FakeAnthropic
) -> None:
    team_text = with_team_sentence(SEED)
    open_pr(git_repo, team_text, {"app/helpers.py": PRINTING})

    done = run_cli(
        "rules", "--coverage", "--format", "json", "--repo", str(git_repo.path)
    )
    assert done.returncode == 0, done.stderr
    coverage = json.loads(done.stdout)
    assert coverage["agent_file"] == AGENT_PATH
    row = next(r for r in coverage["rules"] if r["text"] == TEAM_SENTENCE)
    assert row["enforced_by"] == "ai"
    assert row["pattern"] == "error-handling"
    assert row["rules"] == []
    router = next(r for r in coverage["rules"] if r["text"] == ROUTER_SENTENCE[2:])
    assert (router["enforced_by"], router["rules"]) == ("convention", ["RTR001"])
    lint = next(r for r in coverage["rules"] if r["text"].startswith("**Lint**"))
    assert (lint["enforced_by"], lint["rules"]) == ("checklist", ["ruff"])

    plain = run_cli("rules", "--coverage", "--repo", str(git_repo.path)).stdout
    assert "AI review only" in plain

    target = build_target(git_repo.path, "main", "HEAD")
    agent = parse_agent_file(team_text, AGENT_PATH)
    report = run_review(
        target, Config(checks=["conventions"]), agent, ai=AiOptions(API_KEY)
    )
    assert report.ai.status == "ok", report.ai.notice
    system = "\n".join(block["text"] for block in api.requests[0].body["system"])
    assert f"- [error-handling] {TEAM_SENTENCE}" in system
    assert "- [error-handling] Use Pydantic validators for input" in system
    # Sentences a ruff code enforces though it cites another are not the model's.
    assert "Add docstrings on all route handlers" not in system
    # Covered sentences are not listed as the model's to check.
    assert "- [router-pattern] Use `APIRouter`" not in system


def test_coverage_is_in_the_comment_when_the_pr_changes_the_agent_file(
    git_repo: GitRepo,
) -> None:
    open_pr(git_repo, SEED, {AGENT_PATH: with_team_sentence(SEED)})
    target = build_target(git_repo.path, "main", "HEAD")
    agent = parse_agent_file(with_team_sentence(SEED), AGENT_PATH)
    report = run_review(target, Config(checks=["conventions"]), agent)
    assert report.coverage is not None
    assert any(
        item.text == TEAM_SENTENCE and item.enforced_by == "ai"
        for item in report.coverage
    )
    body = render_markdown(report, agent)
    assert "<summary>Your agent file changed: what enforces its 60 bullets" in body
    assert "AI review only" in body

    unchanged = GitRepo(git_repo.path.parent / "other")
    open_pr(unchanged, SEED, {"app/helpers.py": PRINTING})
    plain = run_review(
        build_target(unchanged.path, "main", "HEAD"),
        Config(checks=["conventions"]),
        parse_agent_file(SEED, AGENT_PATH),
    )
    assert plain.coverage is None
    assert "Your agent file changed" not in render_markdown(plain, agent)
