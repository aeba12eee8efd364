"""The rulebook with the team's own rule modules.

A team rule module is bound to its own sentence like a built-in rule; under
``pull_request_target`` it is read from the base commit, and a module name
Python would find in the pull request is refused.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from pattern_review.config import Config
from pattern_review.conventions.team_rules import RuleModuleError
from pattern_review.models import ReviewTarget
from pattern_review.review import run_review
from pattern_review.rulebook.agent_file import parse_agent_file
from pattern_review.rulebook.team_modules import rulebook_for
from pattern_review.target import build_target
from tests.cli import review_json, run_cli
from tests.gitrepo import GitRepo
from tests.rulebook.agent_texts import (
    AGENT_PATH,
    PRINTING,
    SEED,
    TEAM_SENTENCE,
    findings_of,
    open_pr,
    with_team_sentence,
)

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


def _team_repo(repo: GitRepo, agent_text: str, rule_text: str = TEAM_RULE) -> None:
    repo.write("review_rules/no_print.py", rule_text, dedent=False)
    repo.write(".pattern-review.toml", 'rule_modules = ["review_rules/no_print.py"]\n')
    open_pr(repo, agent_text, {"app/helpers.py": PRINTING})


def test_a_team_rule_module_is_bound_to_its_own_sentence(git_repo: GitRepo) -> None:
    _team_repo(git_repo, with_team_sentence(SEED))
    _, report = review_json(git_repo, "--checks", "conventions")
    assert [(f["rule"], f["line"]) for f in findings_of(report, "ACME")] == [
        ("ACME001", 8)
    ]
    assert findings_of(report, "ACME")[0]["pattern"] == "error-handling"

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
    assert findings_of(report, "ACME") == []
    assert report["rulebook_notice"] == (
        "1 rule off: their sentences are not in your agent file (ACME001)"
    )


def test_rules_test_reports_a_broken_example(git_repo: GitRepo) -> None:
    broken = TEAM_RULE.replace("line=2, column=5", "line=3, column=5")
    _team_repo(git_repo, with_team_sentence(SEED), broken)
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
    agent_text = with_team_sentence(SEED)
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


def test_safe_mode_refuses_a_module_name_python_finds_in_the_pr(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "pwned"
    open_pr(git_repo, SEED, {"pr_rules.py": f"open({str(marker)!r}, 'w').close()\n"})
    monkeypatch.syspath_prepend(str(git_repo.path))  # as if the tree were on it
    target = build_target(
        git_repo.path, "main", "HEAD", event="pull_request_target", safe_mode=True
    )
    config = Config(checks=["conventions"], rule_modules=["pr_rules"])
    with pytest.raises(RuleModuleError, match="resolves to the pull request's own"):
        run_review(target, config, parse_agent_file(SEED, AGENT_PATH))
    assert not marker.exists()


def test_without_convention_checks_only_ruff_codes_are_bound(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    _team_repo(git_repo, with_team_sentence(SEED))
    target = build_target(git_repo.path, "main", "HEAD")
    config = Config(rule_modules=["review_rules/no_print.py"])
    agent = parse_agent_file(with_team_sentence(SEED), AGENT_PATH)
    book = rulebook_for(target, config, agent, tmp_path, conventions=False)
    assert book.bindings and all(b.via == "ruff" for b in book.bindings)
    assert book.modules == ()
    row = next(r for r in book.rows if r.text == TEAM_SENTENCE)
    assert row.enforced_by == "ai"

    with_team = rulebook_for(target, config, agent, tmp_path)
    assert with_team.modules == (str(git_repo.path / "review_rules/no_print.py"),)
    team = with_team.binding("ACME001")
    assert team is not None and team.team and team.on


@pytest.mark.parametrize("safe_mode", [False, True])
def test_a_missing_rule_module_file_is_an_error(
    git_repo: GitRepo, tmp_path: Path, safe_mode: bool
) -> None:
    open_pr(git_repo, SEED, {"app/helpers.py": PRINTING})
    target = build_target(
        git_repo.path,
        "main",
        "HEAD",
        event="pull_request_target" if safe_mode else "pull_request",
        safe_mode=safe_mode,
    )
    config = Config(rule_modules=["review_rules/missing.py"])
    agent = parse_agent_file(SEED, AGENT_PATH)
    where = " at base" if safe_mode else ""
    with pytest.raises(RuleModuleError, match=f"missing.py does not exist{where}$"):
        rulebook_for(target, config, agent, tmp_path)
