"""The team's agent file decides the rulebook (SPEC principle 8).

Reviews of real temporary git repositories, through the real CLI and the
real review pipeline: a rule whose sentence or section the team's file no
longer has is off and the report says so; a rule with variants checks only
what the sentence still asks for; a sentence no rule covers goes to the AI
(the real anthropic SDK against the loopback fake) and shows as AI-only in
``rules --coverage``; a team's own rule module is bound to its own sentence.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import libcst as cst
import libcst.matchers as m
import pytest

from pattern_review.config import Config, Role
from pattern_review.conventions.engine import lint_source
from pattern_review.conventions.registry import all_rules
from pattern_review.conventions.rule import Rule
from pattern_review.conventions.team_rules import RuleModuleError
from pattern_review.models import ReviewTarget
from pattern_review.report.markdown import render_markdown
from pattern_review.review import AiOptions, run_review
from pattern_review.rulebook.agent_file import builtin_agent_file, parse_agent_file
from pattern_review.rulebook.book import build_rulebook
from pattern_review.rulebook.facts import RULE_FACTS, rule_facts_json
from pattern_review.rulebook.matching import similarity, words
from pattern_review.target import build_target
from tests.cli import review_json, run_cli
from tests.conftest import SEED_AGENT_FILE
from tests.fakes.anthropic_server import FakeAnthropic, answer
from tests.gitrepo import GitRepo

AGENT_PATH = ".claude/agents/backend-developer.md"
SEED = SEED_AGENT_FILE.read_text(encoding="utf-8")
ROUTER_SENTENCE = "- Use `APIRouter` with `prefix` and `tags`"
TEAM_SENTENCE = "Never call `print()` in application code; log instead"
API_KEY = "sk-ant-api03-" + "r" * 40

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
PRINTING = '''\
"""Helpers."""

from __future__ import annotations


def double(value: int) -> int:
    """Return twice the value."""
    print(value)
    return value * 2
'''
TEAM_RULE = f'''\
"""The team's own rule: no print() in application code."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from pattern_review.conventions.rule import Example, Rule


class NoPrintRule(Rule):
    """Application code logs; ``print`` output is lost in production."""

    ID = "ACME001"
    PATTERN = "error-handling"
    SUMMARY = "No print() in application code"
    AGENT_TEXT = "{TEAM_SENTENCE}"
    MESSAGE = "print() in application code: log with logging.getLogger(__name__)."
    SEVERITY = "warning"
    VALID = (
        Example("import logging\\n\\nlogging.getLogger(__name__).info('x')\\n"),
        Example("def show(value: int) -> str:\\n    return str(value)\\n"),
    )
    INVALID = (
        Example("print('x')\\n", line=1, column=1),
        Example("def f() -> None:\\n    print(1)\\n", line=2, column=5),
    )

    def visit_Call(self, node: cst.Call) -> None:
        """Flag a call of the builtin ``print``."""
        if m.matches(node, m.Call(func=m.Name("print"))):
            self.report(node)
'''


def _without_celery(text: str) -> str:
    start = text.index("### Celery Task Pattern")
    return text[:start] + text[text.index("## Style Rules") :]


def _with_team_sentence(text: str) -> str:
    anchor = "- Use Pydantic validators for input validation"
    return text.replace(anchor, f"{anchor}\n- {TEAM_SENTENCE}")


def _pr(repo: GitRepo, agent_text: str, files: dict[str, str]) -> None:
    """Base: the agent file; PR: the given files (the agent file unchanged)."""
    repo.write(AGENT_PATH, agent_text, dedent=False)
    repo.write("app/__init__.py", "")
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    for path, content in files.items():
        repo.write(path, content, dedent=False)
    repo.commit("feature")


def _rules(report: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule"].startswith(prefix)]


# -- matching ---------------------------------------------------------------


def test_words_ignore_markdown_case_plurals_and_filler() -> None:
    assert words("Use `APIRouter` with **`prefix`** and `tags`") == {
        "apirouter",
        "prefix",
        "tag",
    }
    assert words("Use `__tablename__`, `get_db`") == {"tablename", "get_db"}
    edited = words("Use `APIRouter` with `prefix`")
    assert similarity(edited, words(ROUTER_SENTENCE)) == pytest.approx(2 / 3)


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
    agent = parse_agent_file(_without_celery(SEED), "team.md")
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


def test_a_dropped_style_rule_turns_its_ruff_codes_off() -> None:
    text = SEED.replace("4. **PEP 8** - Enforced by Ruff (line length 88)\n", "")
    book = build_rulebook(parse_agent_file(text, "team.md"), Config())
    assert "E501" not in book.ruff_select()
    assert "FA" in book.ruff_select()
    assert book.off_patterns() == {"style-rules#4"}
    assert "ruff E501, W505 not added" in book.notice()


# -- reviews of real repositories --------------------------------------------


def test_no_celery_section_gives_no_tsk_finding_and_the_report_says_why(
    git_repo: GitRepo,
) -> None:
    _pr(git_repo, _without_celery(SEED), {"app/tasks.py": TASK})
    _, report = review_json(git_repo, "--checks", "conventions")
    assert _rules(report, "TSK") == []
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
    _pr(git_repo, SEED, {"app/tasks.py": TASK})
    _, report = review_json(git_repo, "--checks", "conventions")
    assert {f["rule"] for f in _rules(report, "TSK")} == {"TSK002", "TSK004"}
    assert report["rulebook_notice"] == ""


def test_a_router_sentence_without_tags_gives_prefix_findings_only(
    git_repo: GitRepo,
) -> None:
    edited = SEED.replace(ROUTER_SENTENCE, "- Use `APIRouter` with `prefix`")
    _pr(git_repo, edited, {"app/routers/items.py": ROUTERS})
    _, report = review_json(git_repo, "--checks", "conventions")
    found = _rules(report, "RTR001")
    assert [f["line"] for f in found] == [7, 9]  # bare and tagged: no prefix
    assert all(
        f["message"].startswith("APIRouter() is missing prefix=:") for f in found
    )
    assert not any("tags=" in f["message"].split(":")[0] for f in found)


def test_the_seed_router_sentence_flags_tags_too(git_repo: GitRepo) -> None:
    _pr(git_repo, SEED, {"app/routers/items.py": ROUTERS})
    _, report = review_json(git_repo, "--checks", "conventions")
    assert [f["line"] for f in _rules(report, "RTR001")] == [7, 8, 9]


# -- sentences no rule covers: the AI review, and rules --coverage -----------


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAnthropic]:
    with FakeAnthropic([answer({"summary": "Fine.", "comments": []})]) as fake:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
        yield fake


def test_a_team_sentence_is_ai_only_in_coverage_and_sent_to_the_model(
    git_repo: GitRepo, api: FakeAnthropic
) -> None:
    team_text = _with_team_sentence(SEED)
    _pr(git_repo, team_text, {"app/helpers.py": PRINTING})

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

    markdown = run_cli("rules", "--coverage", "--repo", str(git_repo.path)).stdout
    assert "AI review only" in markdown

    target = build_target(git_repo.path, "main", "HEAD")
    agent = parse_agent_file(team_text, AGENT_PATH)
    report = run_review(
        target, Config(checks=["conventions"]), agent, ai=AiOptions(API_KEY)
    )
    assert report.ai.status == "ok", report.ai.notice
    system = "\n".join(block["text"] for block in api.requests[0].body["system"])
    assert f"- [error-handling] {TEAM_SENTENCE}" in system
    assert "- [router-pattern] Add docstrings on all route handlers" in system
    # Covered sentences are not listed as the model's to check.
    assert "- [router-pattern] Use `APIRouter`" not in system


def test_coverage_is_in_the_comment_when_the_pr_changes_the_agent_file(
    git_repo: GitRepo,
) -> None:
    _pr(git_repo, SEED, {AGENT_PATH: _with_team_sentence(SEED)})
    target = build_target(git_repo.path, "main", "HEAD")
    agent = parse_agent_file(_with_team_sentence(SEED), AGENT_PATH)
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
    _pr(unchanged, SEED, {"app/helpers.py": PRINTING})
    plain = run_review(
        build_target(unchanged.path, "main", "HEAD"),
        Config(checks=["conventions"]),
        parse_agent_file(SEED, AGENT_PATH),
    )
    assert plain.coverage is None
    assert "Your agent file changed" not in render_markdown(plain, agent)


# -- a team's own rule --------------------------------------------------------


def _team_repo(repo: GitRepo, agent_text: str, rule_text: str = TEAM_RULE) -> None:
    repo.write("review_rules/no_print.py", rule_text, dedent=False)
    repo.write(".pattern-review.toml", 'rule_modules = ["review_rules/no_print.py"]\n')
    _pr(repo, agent_text, {"app/helpers.py": PRINTING})


def test_a_team_rule_module_is_bound_to_its_own_sentence(git_repo: GitRepo) -> None:
    _team_repo(git_repo, _with_team_sentence(SEED))
    _, report = review_json(git_repo, "--checks", "conventions")
    assert [(f["rule"], f["line"]) for f in _rules(report, "ACME")] == [("ACME001", 8)]
    assert _rules(report, "ACME")[0]["pattern"] == "error-handling"

    listed = run_cli("rules", "--repo", str(git_repo.path)).stdout
    assert "ACME001" in listed and TEAM_SENTENCE in listed
    coverage = json.loads(
        run_cli(
            "rules", "--coverage", "--format", "json", "--repo", str(git_repo.path)
        ).stdout
    )
    row = next(r for r in coverage["rules"] if r["text"] == TEAM_SENTENCE)
    assert (row["enforced_by"], row["rules"]) == ("convention", ["ACME001"])

    tested = run_cli("rules", "--test", "--repo", str(git_repo.path))
    assert tested.returncode == 0, tested.stdout
    assert tested.stdout.splitlines()[-1].endswith("all pass")


def test_a_team_rule_whose_sentence_is_gone_is_off(git_repo: GitRepo) -> None:
    _team_repo(git_repo, SEED)
    _, report = review_json(git_repo, "--checks", "conventions")
    assert _rules(report, "ACME") == []
    assert report["rulebook_notice"] == (
        "1 rule off: their sentences are not in your agent file (ACME001)"
    )


def test_rules_test_reports_a_broken_example(git_repo: GitRepo) -> None:
    broken = TEAM_RULE.replace("line=2, column=5", "line=3, column=5")
    _team_repo(git_repo, _with_team_sentence(SEED), broken)
    tested = run_cli("rules", "--test", "--repo", str(git_repo.path))
    assert tested.returncode == 1
    assert "ACME001 INVALID[1]: at 2:5, expected 3:5" in tested.stdout


def test_a_broken_team_module_is_a_one_line_config_error(git_repo: GitRepo) -> None:
    _team_repo(git_repo, SEED, "raise RuntimeError('boom')\n")
    done = run_cli(
        "review", "--repo", str(git_repo.path), "--base", "main", "--no-ai",
        "--checks", "conventions",
    )  # fmt: skip
    assert done.returncode == 2
    assert "failed to load: RuntimeError: boom" in done.stderr
    assert "Traceback" not in done.stderr


def test_safe_mode_loads_the_team_rule_from_the_base_commit(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    hostile = textwrap.dedent(
        f"""\
        from pathlib import Path

        Path({str(marker)!r}).write_text("PR code ran")
        """
    )
    agent_text = _with_team_sentence(SEED)
    _team_repo(git_repo, agent_text)
    # The PR rewrites the rule module; under pull_request_target it must not run.
    git_repo.write("review_rules/no_print.py", hostile, dedent=False)
    git_repo.commit("pr rewrites the rule")
    target: ReviewTarget = build_target(
        git_repo.path, "main", "HEAD", event="pull_request_target", safe_mode=True
    )
    config = Config(checks=["conventions"], rule_modules=["review_rules/no_print.py"])
    report = run_review(target, config, parse_agent_file(agent_text, AGENT_PATH))
    assert not marker.exists()
    assert [f.rule for f in report.findings if f.rule.startswith("ACME")] == ["ACME001"]


def test_builtin_rulebook_matches_the_seed_copy() -> None:
    builtin = build_rulebook(builtin_agent_file(), Config())
    assert all(b.on for b in builtin.bindings)


def test_explain_says_whether_the_team_file_keeps_the_rule_on(tmp_path: Path) -> None:
    team = tmp_path / "team.md"
    team.write_text(SEED.replace(ROUTER_SENTENCE, "- Use `APIRouter` with `prefix`"))
    out = run_cli("explain", "RTR001", "--agent-file", str(team)).stdout
    assert (
        f"In {team} it is on (sentence found; checks prefix only): "
        "line 129 (0.67): Use `APIRouter` with `prefix`." in out
    )
    team.write_text(_without_celery(SEED))
    out = run_cli("explain", "TSK001", "--agent-file", str(team)).stdout
    assert f"In {team} it is off: section Celery Task Pattern is not in" in out


def test_safe_mode_refuses_a_module_name_python_finds_in_the_pr(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "pwned"
    _pr(git_repo, SEED, {"pr_rules.py": f"open({str(marker)!r}, 'w').close()\n"})
    monkeypatch.syspath_prepend(str(git_repo.path))  # as if the tree were on it
    target = build_target(
        git_repo.path, "main", "HEAD", event="pull_request_target", safe_mode=True
    )
    config = Config(checks=["conventions"], rule_modules=["pr_rules"])
    with pytest.raises(RuleModuleError, match="resolves to the pull request's own"):
        run_review(target, config, parse_agent_file(SEED, AGENT_PATH))
    assert not marker.exists()


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
