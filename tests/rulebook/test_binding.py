"""Whether the team's agent file keeps a rule, or a ruff code, on.

A rule is on while one of its sentences is in the file; off when its section
or sentence is gone, and the report says so; a rule with variants checks only
what the sentence still asks for; the config's ``ignore`` / ``select`` have
the last word. Reviews of real temporary git repositories, through the real
CLI and pipeline, show the findings follow.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import libcst as cst
import libcst.matchers as m

from pattern_review.config import Config
from pattern_review.conventions.engine import lint_source
from pattern_review.conventions.rule import Rule
from pattern_review.rulebook.agent_file import parse_agent_file
from pattern_review.rulebook.binding import bind_ruff, bind_rule
from pattern_review.rulebook.book import build_rulebook
from pattern_review.rulebook.facts import builtin_rule_facts
from tests.cli import review_json, run_cli
from tests.gitrepo import GitRepo
from tests.rulebook.agent_texts import (
    ROUTER_SENTENCE,
    SEED,
    findings_of,
    open_pr,
    without_celery,
)

TASK = '''\
"""Tasks."""

from __future__ import annotations

from celery import shared_task


@shared_task
def sync(resource_id: int) -> dict[str, int]:
    """Sync one resource."""
    return {"id": resource_id}
'''


ROUTERS = '''\
"""Routers."""

from __future__ import annotations

from fastapi import APIRouter

bare = APIRouter()
prefixed = APIRouter(prefix="/items")
tagged = APIRouter(tags=["items"])
'''


def test_an_edited_sentence_still_matches_and_an_unrelated_one_does_not() -> None:
    edited = SEED.replace(
        "- Use `response_model` for serialization",
        "- Always use `response_model` for the serialization of responses",
    ).replace("- All methods are `async`", "- Methods may be sync or async")
    book = build_rulebook(parse_agent_file(edited, "team.md"), Config())
    response = book.binding("RTR005")
    assert response is not None and response.on
    assert 0.5 <= response.matches[0].score < 1.0
    asynchronous = book.binding("SVC003")
    assert asynchronous is not None and not asynchronous.on
    assert asynchronous.reason == "its sentence is not in the agent file"
    # The closest bullet shares words but turns the rule around.
    assert asynchronous.matches[0].describe() == (
        "not found; closest: line 278 (0.50, adds or drops may): "
        "Methods may be sync or async"
    )
    assert "1 rule off: their sentences are not in your agent file (SVC003)" in (
        book.notice()
    )


def test_config_ignore_and_select_have_the_last_word() -> None:
    agent = parse_agent_file(without_celery(SEED), "team.md")
    book = build_rulebook(agent, Config(ignore=["RTR001"]))
    ignored = book.binding("RTR001")
    assert ignored is not None and not ignored.on
    assert ignored.reason == "ignored by config"
    # Off by the config, not by the agent file: the notice is about the file.
    assert "RTR001" not in book.notice()
    assert "TSK002" in book.notice()

    chosen = build_rulebook(agent, Config(select=["TSK001", "RTR"]))
    selected = chosen.binding("TSK001")
    assert selected is not None and selected.on
    assert selected.reason.startswith("selected by config, though section")
    unselected = chosen.binding("TSK002")
    assert unselected is not None and not unselected.on
    assert unselected.reason == "ignored by config (not in select)"
    assert chosen.notice() == ""


def test_a_rule_of_a_missing_section_is_off_for_that_reason() -> None:
    agent = parse_agent_file(without_celery(SEED), "team.md")
    facts = next(f for f in builtin_rule_facts() if f.ID == "TSK001")
    binding = bind_rule(agent, facts, Config())
    assert (binding.on, binding.via, binding.pattern) == (
        False,
        "convention",
        "celery-task-pattern",
    )
    assert binding.reason == "section Celery Task Pattern is not in the agent file"
    assert binding.by_agent_file


def test_a_ruff_code_cited_to_a_section_is_on_while_the_section_is_there() -> None:
    agent = parse_agent_file(SEED, "seed.md")
    kept = bind_ruff(agent, "E722", "error-handling")
    assert (kept.on, kept.via, kept.reason) == (True, "ruff", "section found")
    start = SEED.index("## Error Handling")
    gone = parse_agent_file(SEED[:start], "team.md")
    dropped = bind_ruff(gone, "E722", "error-handling")
    assert not dropped.on
    assert dropped.reason == "section Error Handling is not in the agent file"


def test_a_ruff_code_cited_to_a_style_rule_follows_the_seed_sentence() -> None:
    agent = parse_agent_file(SEED, "seed.md")
    kept = bind_ruff(agent, "E501", "style-rules#4")
    assert (kept.on, kept.reason) == (True, "style rule found")
    assert kept.matches[0].item is not None
    assert kept.matches[0].item.number == 4
    text = SEED.replace("4. **PEP 8** - Enforced by Ruff (line length 88)\n", "")
    dropped = bind_ruff(parse_agent_file(text, "team.md"), "E501", "style-rules#4")
    assert (dropped.on, dropped.reason) == (
        False,
        "its style rule is not in the agent file",
    )
    assert not dropped.matches[0].found


# -- reviews of real repositories --------------------------------------------


def test_no_celery_section_gives_no_tsk_finding_and_the_report_says_why(
    git_repo: GitRepo,
) -> None:
    open_pr(git_repo, without_celery(SEED), {"app/tasks.py": TASK})
    _, report = review_json(git_repo, "--checks", "conventions")
    assert findings_of(report, "TSK") == []
    assert report["rulebook_notice"] == (
        "4 rules off: your agent file has no Celery Task Pattern section "
        "(TSK001, TSK002, TSK003, TSK004)"
    )
    text = run_cli(
        "review", "--repo", str(git_repo.path), "--base", "main", "--no-ai",
        "--checks", "conventions",
    ).stdout  # fmt: skip
    assert text.count("4 rules off: your agent file has no Celery Task Pattern") == 1


def test_the_seed_section_still_flags_the_same_task(git_repo: GitRepo) -> None:
    open_pr(git_repo, SEED, {"app/tasks.py": TASK})
    _, report = review_json(git_repo, "--checks", "conventions")
    assert {f["rule"] for f in findings_of(report, "TSK")} == {"TSK002", "TSK004"}
    assert report["rulebook_notice"] == ""


def test_a_router_sentence_without_tags_gives_prefix_findings_only(
    git_repo: GitRepo,
) -> None:
    edited = SEED.replace(ROUTER_SENTENCE, "- Use `APIRouter` with `prefix`")
    open_pr(git_repo, edited, {"app/routers/items.py": ROUTERS})
    _, report = review_json(git_repo, "--checks", "conventions")
    found = findings_of(report, "RTR001")
    assert [f["line"] for f in found] == [7, 9]  # bare and tagged: no prefix
    assert all(
        f["message"].startswith("APIRouter() is missing prefix=:") for f in found
    )
    assert not any("tags=" in f["message"].split(":")[0] for f in found)


def test_the_seed_router_sentence_flags_tags_too(git_repo: GitRepo) -> None:
    open_pr(git_repo, SEED, {"app/routers/items.py": ROUTERS})
    _, report = review_json(git_repo, "--checks", "conventions")
    assert [f["line"] for f in findings_of(report, "RTR001")] == [7, 8, 9]


def test_explain_says_whether_the_team_file_keeps_the_rule_on(tmp_path: Path) -> None:
    team = tmp_path / "team.md"
    team.write_text(SEED.replace(ROUTER_SENTENCE, "- Use `APIRouter` with `prefix`"))
    out = run_cli("explain", "RTR001", "--agent-file", str(team)).stdout
    assert (
        f"In {team} it is on (sentence found; checks prefix only): "
        "line 129 (0.67): Use `APIRouter` with `prefix`." in out
    )
    team.write_text(without_celery(SEED))
    out = run_cli("explain", "TSK001", "--agent-file", str(team)).stdout
    assert f"In {team} it is off: section Celery Task Pattern is not in" in out


class _TwoPartRule(Rule):
    """A rule that checks two parts of its sentence separately."""

    ID = "TST001"
    PATTERN = "error-handling"
    SUMMARY = "No print, no input"
    AGENT_TEXT = "Never call `print` or `input`"
    VARIANTS: ClassVar[dict[str, str]] = {"print": "print", "input": "input"}
    MESSAGE = "print() or input() in application code."

    def visit_Call(self, node: cst.Call) -> None:
        """Report each call of ``print`` or ``input`` as its own variant."""
        for name in self.VARIANTS:
            if m.matches(node, m.Call(func=m.Name(name))):
                self.report(node, variant=name)


def test_a_rule_reports_only_the_variants_its_sentence_asks_for() -> None:
    source = "print(1)\ninput()\n"
    text = SEED.replace(
        "- Use Pydantic validators for input validation",
        "- Use Pydantic validators for input validation\n- Never call `print`",
    )
    book = build_rulebook(parse_agent_file(text, "team.md"), Config(), [_TwoPartRule])
    binding = book.binding("TST001")
    assert binding is not None and binding.variants == {"print"}
    found = lint_source(
        "app/x.py", source, Config(), roles=frozenset({"other"}),
        rules=[_TwoPartRule], selection=book.selection(),
    )  # fmt: skip
    assert [f.line for f in found] == [1]
    everything = lint_source(
        "app/x.py", source, Config(), roles=frozenset({"other"}), rules=[_TwoPartRule]
    )
    assert [f.line for f in everything] == [1, 2]
