"""The PR never sets its own standard: hostile PRs reviewed through the CLI in CI.

Each PR adds two ruff errors (an unused import and variable) and tries to
turn its own check green by changing pattern-review's standard. The base
commit's standard judges it: the conclusion is ``failure`` and the JSON
report's ``standard_changes`` names the change. A local ``--work-tree``
review reads the work tree's own files.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

import jsonschema
import pytest

from pattern_review.models import Report
from pattern_review.report.markdown import render_markdown
from pattern_review.rulebook.agent_file import builtin_agent_file
from tests.gitrepo import GitRepo
from tests.report_schema import REPORT_SCHEMA
from tests.rulebook.agent_texts import AGENT_PATH, SEED, TEAM_SENTENCE
from tests.rulebook.agent_texts import with_team_sentence as _with_team
from tests.rulebook.test_team_modules import TEAM_RULE

BASE_CONFIG = '[tool.pattern-review]\nchecks = ["ruff-format", "ruff", "conventions"]\n'
BASE_CODE = '''\
"""Totals."""

from __future__ import annotations


def total(values: list[int]) -> int:
    """Return the sum."""
    return sum(values)
'''
# An unused import (F401, line 5) and an unused variable (F841, line 10).
HEAD_CODE = '''\
"""Totals."""

from __future__ import annotations

import os


def total(values: list[int]) -> int:
    """Return the sum."""
    unused = 1
    return sum(values)
'''


def open_pr(
    repo: GitRepo,
    changes: dict[str, str],
    *,
    base: dict[str, str] | None = None,
    head_code: str = HEAD_CODE,
) -> None:
    """Commit the base standard and code, then a PR with errors and ``changes``."""
    files = {
        "pyproject.toml": BASE_CONFIG,
        AGENT_PATH: SEED,
        "app/__init__.py": "",
        "app/totals.py": BASE_CODE,
        **(base or {}),
    }
    for path, text in files.items():
        repo.write(path, text, dedent=False)
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("app/totals.py", head_code, dedent=False)
    for path, text in changes.items():
        repo.write(path, text, dedent=False)
    repo.commit("pr")


def review(repo: GitRepo, *extra: str, ci: bool = True) -> tuple[int, dict[str, Any]]:
    """Review ``main...HEAD`` as JSON, in a CI job (``CI=true``) unless told."""
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci:
        env["CI"] = "true"
    done = subprocess.run(
        [sys.executable, "-m", "pattern_review", "review", "--repo", str(repo.path)]
        + ["--base", "main", "--no-ai", "--format", "json", *extra],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    assert done.stdout, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    jsonschema.validate(report, REPORT_SCHEMA)
    return done.returncode, report


def rules(report: dict[str, Any]) -> set[str]:
    """The rule ids of a report's findings."""
    return {finding["rule"] for finding in report["findings"]}


def changes(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The report's standard changes by what changed."""
    return {change["what"]: change for change in report["standard_changes"]}


SECTION = "### This PR changes how it is judged"


def shown(text: str) -> str:
    """``text`` as the comment and check run show it (markdown escaped)."""
    return re.sub(r"([_*\[\]<>])", r"\\\1", text)


def judged_section(report: dict[str, Any]) -> str:
    """The comment's "This PR changes how it is judged" section, as the CLI renders it.

    The CLI's ``--format markdown`` renders the JSON report it prints with
    the same renderer; rendering it here saves a second review per PR.
    """
    body = render_markdown(Report.model_validate(report), builtin_agent_file())
    before, section = body.split(SECTION, 1)
    assert "Fix first" not in before  # at the top of the comment
    return section


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("fail-on", '"never"'),
        ("checks", "[]"),
        ("exclude", '["**"]'),
        ("ignore", '["F", "E", "W", "RTR", "MDL", "STY"]'),
        ("select", '["ZZZ999"]'),
        ("roles", '{ test = ["**/*.py"] }'),
    ],
)
def test_a_pr_setting_that_weakens_the_review_does_not_judge_it(
    git_repo: GitRepo, setting: str, value: str
) -> None:
    head_config = f"[tool.pattern-review]\n{setting} = {value}\n"
    if setting != "checks":
        head_config = f"{BASE_CONFIG}{setting} = {value}\n"
    open_pr(git_repo, {"pyproject.toml": head_config})

    code, report = review(git_repo)

    assert (code, report["conclusion"]) == (1, "failure")
    assert {"F401", "F841"} <= rules(report)
    change = changes(report)[f"setting {setting}"]
    assert change["path"] == "pyproject.toml"
    assert change["base"] is None or setting == "checks"
    assert change["head"] is not None
    assert "base commit" in change["effect"]
    assert f"setting {setting}" in judged_section(report)


def test_a_local_work_tree_review_obeys_the_work_trees_config(
    git_repo: GitRepo,
) -> None:
    open_pr(git_repo, {})
    git_repo.write("pyproject.toml", f'{BASE_CONFIG}fail-on = "never"\n')

    code, report = review(git_repo, "--work-tree")

    assert (code, report["conclusion"]) == (0, "success")
    assert report["standard_changes"] == []


def test_outside_ci_a_review_of_commits_reads_the_checkouts_config(
    git_repo: GitRepo,
) -> None:
    open_pr(git_repo, {"pyproject.toml": f'{BASE_CONFIG}fail-on = "never"\n'})

    code, report = review(git_repo, ci=False)

    assert (code, report["conclusion"]) == (0, "success")


def test_a_pr_that_only_changes_code_lists_no_standard_change(
    git_repo: GitRepo,
) -> None:
    open_pr(git_repo, {})

    code, report = review(git_repo)

    assert code == 1
    assert report["standard_changes"] == []


def test_a_second_agent_file_that_sorts_first_is_not_the_rulebook(
    git_repo: GitRepo,
) -> None:
    shadow = "# API helper\n\n## Completion Checklist\n\n- nothing to check\n"
    open_pr(git_repo, {".claude/agents/api-helper.md": shadow})

    code, report = review(git_repo)

    assert report["agent_file"] == AGENT_PATH
    assert code == 1
    assert {"F401", "F841"} <= rules(report)
    added = changes(report)["agent file added"]
    assert added["path"] == ".claude/agents/api-helper.md"
    assert "agent file added" in judged_section(report)


def test_an_edited_agent_file_judges_from_the_next_pr(git_repo: GitRepo) -> None:
    gutted = SEED[: SEED.index("## Style Rules")]
    open_pr(git_repo, {AGENT_PATH: gutted})

    code, report = review(git_repo)

    assert code == 1
    assert "agent file changed" in changes(report)
    assert "agent file changed" in judged_section(report)


MODULES = 'rule-modules = ["review_rules/no_print.py"]\n'


def test_a_changed_team_rule_module_is_the_bases_version(git_repo: GitRepo) -> None:
    printing = HEAD_CODE.replace("    unused = 1\n", "    unused = 1\n    print(1)\n")
    quiet = "from pattern_review.conventions.rule import Rule\n\nQUIET = Rule\n"
    open_pr(
        git_repo,
        {"review_rules/no_print.py": quiet},
        base={
            "pyproject.toml": BASE_CONFIG + MODULES,
            "review_rules/no_print.py": TEAM_RULE,
            AGENT_PATH: _with_team(SEED),
        },
        head_code=printing,
    )

    code, report = review(git_repo)

    assert code == 1
    assert "ACME001" in rules(report), TEAM_SENTENCE
    change = changes(report)["rule module modified"]
    assert change["path"] == "review_rules/no_print.py"
    assert "rule module modified" in judged_section(report)


def test_a_generated_header_the_pr_adds_does_not_exempt_the_file(
    git_repo: GitRepo,
) -> None:
    open_pr(git_repo, {}, head_code="# @generated by hand\n" + HEAD_CODE)

    code, report = review(git_repo)

    assert code == 1
    assert "app/totals.py" not in report["skipped_files"]
    assert {"F401", "F841"} <= rules(report)
    assert changes(report)["generated header added"]["path"] == "app/totals.py"
    assert "generated header added" in judged_section(report)


def test_a_generated_header_the_base_had_still_exempts_the_file(
    git_repo: GitRepo,
) -> None:
    header = "# @generated by protoc\n"
    open_pr(
        git_repo,
        {},
        base={"app/totals.py": header + BASE_CODE},
        head_code=header + HEAD_CODE,
    )

    code, report = review(git_repo)

    assert code == 0
    assert report["skipped_files"]["app/totals.py"].startswith("generated")
    assert report["standard_changes"] == []


def test_a_linguist_generated_mark_the_pr_adds_does_not_exempt_the_file(
    git_repo: GitRepo,
) -> None:
    open_pr(git_repo, {".gitattributes": "app/*.py linguist-generated\n"})

    code, report = review(git_repo)

    assert code == 1
    assert "linguist-generated mark added" in changes(report)
    assert "linguist-generated mark added" in judged_section(report)


def _link(repo: GitRepo, path: str, to: str) -> None:
    link = repo.path / path
    link.unlink()
    os.symlink(to, link)


def test_a_module_turned_into_a_link_is_reviewed_as_the_linked_file(
    git_repo: GitRepo,
) -> None:
    open_pr(git_repo, {"app/_admin.txt": HEAD_CODE}, head_code=BASE_CODE)
    _link(git_repo, "app/totals.py", "_admin.txt")
    git_repo.commit("hide the code behind a link")

    code, report = review(git_repo)

    assert code == 1
    assert "app/totals.py" not in report["skipped_files"]
    found = {(f["rule"], f["path"]) for f in report["findings"]}
    assert {("F401", "app/totals.py"), ("F841", "app/totals.py")} <= found


def test_a_link_to_unchanged_code_adds_no_finding(git_repo: GitRepo) -> None:
    open_pr(git_repo, {"app/_admin.txt": BASE_CODE}, head_code=BASE_CODE)
    _link(git_repo, "app/totals.py", "_admin.txt")
    git_repo.commit("same code behind a link")

    code, report = review(git_repo)

    assert (code, report["findings"]) == (0, [])


def test_a_link_out_of_the_repository_is_an_error_finding(
    git_repo: GitRepo,
) -> None:
    open_pr(git_repo, {}, head_code=BASE_CODE)
    _link(git_repo, "app/totals.py", "/etc/hostname")
    git_repo.commit("link out")

    code, report = review(git_repo)

    assert code == 1
    (finding,) = [f for f in report["findings"] if f["path"] == "app/totals.py"]
    assert finding["severity"] == "error"
    assert "links out of the repository" in finding["message"]


ROUTER = (
    'from fastapi import APIRouter\n\nrouter = APIRouter(prefix="/o", tags=["o"])\n'
)


def test_a_router_renamed_to_look_like_a_test_is_still_a_router(
    git_repo: GitRepo,
) -> None:
    open_pr(git_repo, {}, base={"app/routers/orders.py": ROUTER}, head_code=BASE_CODE)
    git_repo.git("mv", "app/routers/orders.py", "app/routers/orders_test.py")
    git_repo.write(
        "app/routers/orders_test.py",
        "from fastapi import APIRouter\n\nrouter = APIRouter()\n",
        dedent=False,
    )
    git_repo.commit("rename")

    code, report = review(git_repo)

    assert code == 1
    assert any(rule.startswith("RTR") for rule in rules(report)), report["findings"]


def test_a_real_test_module_is_still_a_test(git_repo: GitRepo) -> None:
    test = (
        '"""Tests of the orders router."""\n\nfrom __future__ import annotations\n\n'
        "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
        'def test_router() -> None:\n    """It has no routes."""\n'
        "    assert router.routes == []\n"
    )
    open_pr(git_repo, {"app/routers/orders_test.py": test}, head_code=BASE_CODE)

    code, report = review(git_repo)

    assert not any(rule.startswith("RTR") for rule in rules(report))
    assert code == 0
