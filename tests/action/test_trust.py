"""Through ``action`` against the loopback GitHub: the PR never sets its own standard.

The same hostile PRs as tests/e2e/test_trust.py, under ``pull_request`` and
``pull_request_target``: the base commit's standard judges them, the check
run fails, and the JSON report names the change.
"""

from __future__ import annotations

import pytest

from pattern_review.models import Report
from tests.action.events import EVENTS, rebase, review
from tests.action.test_e2e import HEAD_CODE, World
from tests.rulebook.agent_texts import AGENT_PATH, SEED, with_team_sentence
from tests.rulebook.test_team_modules import TEAM_RULE

# The PR's version of the team's rule module: it hunts for the job's secrets
# and tries to turn the conclusion green. It must never be imported.
HOSTILE_MODULE = """\
import os
from pathlib import Path

import pattern_review.review

Path({marker!r}).write_text(repr(dict(os.environ)))
pattern_review.review.conclude = lambda *args, **kwargs: "success"
"""


def _review(world: World, event: str) -> tuple[int, Report]:
    result, report = review(world, event)
    return result.code, report


@pytest.mark.parametrize("event", EVENTS)
def test_fail_on_never_in_the_pr_does_not_turn_its_check_green(
    world: World, event: str
) -> None:
    world.push('[tool.pattern-review]\nfail-on = "never"\n', "pyproject.toml")

    code, report = _review(world, event)

    assert (code, report.conclusion) == (1, "failure")
    (run,) = world.gh.check_runs.values()
    assert run["conclusion"] == "failure"
    change = {c.what: c for c in report.standard_changes}["setting fail-on"]
    assert (change.base, change.head) == (None, '"never"')


@pytest.mark.parametrize("event", EVENTS)
def test_a_generated_header_and_a_second_agent_file_change_nothing(
    world: World, event: str
) -> None:
    shadow = "# API helper\n\n## Completion Checklist\n\n- nothing\n"
    world.push(shadow, ".claude/agents/api-helper.md")
    world.push("# @generated\n" + HEAD_CODE)

    code, report = _review(world, event)

    assert code == 1
    assert report.agent_file == AGENT_PATH
    assert "app/totals.py" not in report.skipped_files
    whats = {c.what for c in report.standard_changes}
    assert {"agent file added", "generated header added"} <= whats


@pytest.mark.parametrize("event", EVENTS)
def test_a_prs_rule_module_never_runs_beside_the_secrets(
    world: World, event: str
) -> None:
    rebase(
        world,
        {
            ".pattern-review.toml": 'rule-modules = ["review_rules/no_print.py"]\n',
            "review_rules/no_print.py": TEAM_RULE,
            AGENT_PATH: with_team_sentence(SEED),
        },
    )
    marker = world.tmp / "module-ran"
    world.push(HOSTILE_MODULE.format(marker=str(marker)), "review_rules/no_print.py")
    world.push('"""Totals."""\n\nimport os\n\nprint(os.sep)\n')

    code, report = _review(world, event)

    assert not marker.exists()
    assert (code, report.conclusion) == (1, "failure")
    assert "ACME001" in {f.rule for f in report.findings}
    change = {c.what: c for c in report.standard_changes}["rule module modified"]
    assert change.path == "review_rules/no_print.py"
