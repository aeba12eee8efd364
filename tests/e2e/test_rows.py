"""Issue #20's remaining hostile PRs and PRs in sequence, through the CLI in CI.

The rows tests/e2e/test_trust.py and tests/e2e/test_judged.py do not cover:
a config-only PR that guts the standard, markdown in an agent-file bullet,
deleting the related test, and a PR that only strengthens the standard,
whose new rules judge the next PR (two PRs in sequence: the second PR's base
has the first's stronger rule). The comment is the markdown the CLI renders,
read as GitHub shows it (cmark-gfm).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.e2e.test_trust import (
    BASE_CODE,
    BASE_CONFIG,
    HEAD_CODE,
    changes,
    open_pr,
    review,
    rules,
)
from tests.gitrepo import GitRepo
from tests.report.test_comment_render import _assert_no_leak, _html
from tests.rulebook.agent_texts import AGENT_PATH, ROUTER_SENTENCE, SEED, without_celery

SECTION = "### This PR changes how it is judged"
# The agent file as a config-only PR guts it: no Style Rules, no patterns.
GUTTED = SEED[: SEED.index("## Code Patterns")] + "## Completion Checklist\n\n- ok\n"
HOSTILE = (
    "# ✅ pattern-review: **success** [![x](https://evil.example/i.png)]"
    "(https://evil.example) <img src=x>"
)
TASK = (
    '"""Tasks."""\n\nfrom __future__ import annotations\n\n'
    "from celery import shared_task\n\n\n"
    '@shared_task\ndef ping() -> None:\n    """Answer."""\n'
)
ROUTER = '"""Orders."""\n\nfrom fastapi import APIRouter\n\nrouter = APIRouter()\n'


def markdown(repo: GitRepo, *extra: str) -> str:
    """The comment the CLI renders for ``main...HEAD`` in CI."""
    done = subprocess.run(
        [sys.executable, "-m", "pattern_review", "review", "--repo", str(repo.path)]
        + ["--base", "main", "--no-ai", "--format", "markdown", *extra],
        capture_output=True,
        text=True,
        env={**os.environ, "CI": "true"},
        check=False,
        timeout=300,
    )
    assert done.stdout, done.stderr
    return done.stdout


def merge(repo: GitRepo) -> None:
    """Merge the PR into main and start the next PR from it."""
    repo.checkout("main")
    repo.git("merge", "-q", "--no-ff", "-m", "merge", "feature")
    repo.git("checkout", "-q", "-B", "feature")


def test_a_config_only_pr_that_guts_the_standard_fails_and_applies_after_merge(
    git_repo: GitRepo,
) -> None:
    open_pr(
        git_repo,
        {
            AGENT_PATH: GUTTED,
            "pyproject.toml": '[tool.pattern-review]\nfail-on = "never"\nchecks = []\n',
        },
        head_code=BASE_CODE,
    )

    code, report = review(git_repo)

    assert (code, report["conclusion"]) == (1, "failure")
    assert rules(report) == {"PR104"}
    named = changes(report)
    for what in ("agent file changed", "setting fail-on", "setting checks"):
        assert (named[what]["direction"], named[what]["rule"]) == ("weakens", "PR104")
    assert re.search(
        r"it turns off (\w+, ){8}… \d+ more$", named["agent file changed"]["effect"]
    )
    section = markdown(git_repo).split(SECTION, 1)[1]
    assert "agent file changed" in section and "setting fail-on" in section

    # Merged, it is the standard: the next PR is judged by it.
    merge(git_repo)
    git_repo.write("app/totals.py", HEAD_CODE, dedent=False)
    git_repo.commit("next pr")
    code, report = review(git_repo)
    assert (code, report["conclusion"]) == (0, "success")
    assert report["standard_changes"] == []


def test_markdown_in_an_agent_file_bullet_renders_as_text(git_repo: GitRepo) -> None:
    hostile_seed = SEED.replace(ROUTER_SENTENCE, f"{ROUTER_SENTENCE} {HOSTILE}")
    assert hostile_seed != SEED
    pr_agent = hostile_seed + f"\n- {HOSTILE}\n"
    open_pr(
        git_repo,
        {AGENT_PATH: pr_agent, "app/routers/orders.py": ROUTER},
        base={AGENT_PATH: hostile_seed},
        head_code=BASE_CODE,
    )

    code, report = review(git_repo)
    comment = markdown(git_repo)

    assert (code, report["conclusion"]) == (1, "failure")
    assert any(rule.startswith("RTR") for rule in rules(report))
    assert "agent file changed" in changes(report)
    assert "agent file changed" in comment.split(SECTION, 1)[1]
    html = _html(comment)
    _assert_no_leak(html)
    assert "evil.example" in html  # quoted, as text
    assert not re.search(r'(href|src)="[^"]*evil', html)
    assert "<img" not in html and "<h1>" not in html


PROJECT = '[project]\nname = "shop"\nversion = "0.1.0"\n'
TEST_TOTALS = (
    '"""Tests of the totals."""\n\nfrom __future__ import annotations\n\n'
    "from app.totals import total\n\n\n"
    'def test_total() -> None:\n    """It adds."""\n    assert total([1, 2]) == 3\n'
)


def test_deleting_the_related_test_is_no_evidence(git_repo: GitRepo) -> None:
    open_pr(
        git_repo,
        {},
        base={
            "pyproject.toml": PROJECT + BASE_CONFIG,
            "tests/test_totals.py": TEST_TOTALS,
        },
        head_code=BASE_CODE.replace("sum(values)", "sum(values) + 1"),
    )
    git_repo.git("rm", "-q", "tests/test_totals.py")
    git_repo.commit("the test is in the way")

    code, report = review(git_repo, "--checks", "ruff,pytest")

    assert (code, report["conclusion"]) == (2, "failure")
    (pytest_check,) = [c for c in report["checks"] if c["name"] == "pytest"]
    assert pytest_check["status"] == "error"
    assert pytest_check["detail"].startswith("no evidence: the PR deletes")
    assert "tests/test_totals.py" in pytest_check["detail"]
    assert "no evidence" in markdown(git_repo, "--checks", "ruff,pytest")


# The base's standard turns one rule off (its ignore, or its sentence gone);
# the first PR turns it back on, and writes code that rule would flag.
STRONGER = [
    pytest.param(
        {"pyproject.toml": BASE_CONFIG + 'ignore = ["F841"]\n'},
        {"pyproject.toml": BASE_CONFIG},
        "app/totals.py",
        HEAD_CODE.replace("import os\n\n\n", "\n"),
        "F841",
        "setting ignore",
        id="removes-an-ignore",
    ),
    pytest.param(
        {AGENT_PATH: without_celery(SEED)},
        {AGENT_PATH: SEED},
        "app/tasks.py",
        TASK,
        "TSK",
        "agent file changed",
        id="adds-a-rule",
    ),
]


@pytest.mark.parametrize(
    ("base", "stronger", "path", "flagged", "rule", "what"), STRONGER
)
def test_a_pr_that_only_strengthens_says_so_and_judges_the_next_pr(
    git_repo: GitRepo,
    base: dict[str, str],
    stronger: dict[str, str],
    path: str,
    flagged: str,
    rule: str,
    what: str,
) -> None:
    open_pr(git_repo, {**stronger, path: flagged}, base=base, head_code=BASE_CODE)

    code, report = review(git_repo)

    assert (code, report["conclusion"]) == (0, "success"), report["findings"]
    assert not any(r.startswith(rule) for r in rules(report))
    change = changes(report)[what]
    assert change["direction"] == "strengthens"
    if what == "agent file changed":
        assert "it turns on TSK001" in change["effect"]
    assert [c["direction"] for c in report["standard_changes"]] == ["strengthens"]
    assert "This PR only strengthens the standard" in markdown(git_repo)

    # Merged, the stronger rule judges the next PR: the same code, new file.
    merge(git_repo)
    git_repo.write(path.replace(".py", "_next.py"), flagged, dedent=False)
    git_repo.commit("next pr")
    code, report = review(git_repo)
    assert (code, report["conclusion"]) == (1, "failure")
    assert any(r.startswith(rule) for r in rules(report)), report["findings"]
    assert report["standard_changes"] == []
