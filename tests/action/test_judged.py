"""Through ``action`` against the loopback GitHub: a PR that changes how it is judged.

The same PRs as tests/e2e/test_judged.py, under ``pull_request`` and
``pull_request_target``: the weakening change is a ``PR1xx`` finding, the
check run fails, and the comment (at its top), the check run, the job
summary and the JSON report name the change.
"""

from __future__ import annotations

import json

import pytest

from tests.action.events import EVENTS, rebase, review
from tests.action.test_e2e import BASE_CODE, Result, World
from tests.e2e.test_judged import MAKEREPORT_HOOK, SILENCED_CODE

BASE_CONFIG = '[tool.pattern-review]\nchecks = ["ruff-format", "ruff", "conventions"]\n'
SECTION = "### This PR changes how it is judged"


def _published(world: World, result: Result) -> tuple[str, str]:
    """The sticky comment's body and the check run's output, as JSON text."""
    (comment,) = world.gh.issue_comments
    (run,) = world.gh.check_runs.values()
    assert run["conclusion"] == "failure"
    return str(comment["body"]), json.dumps(run["output"])


@pytest.mark.parametrize("event", EVENTS)
@pytest.mark.parametrize(
    ("path", "text", "what", "rule"),
    [
        (
            "pyproject.toml",
            BASE_CONFIG + '\n[tool.ruff.lint.per-file-ignores]\n"**" = ["ALL"]\n',
            "ruff per-file-ignores",
            "PR101",
        ),
        (
            "pyproject.toml",
            BASE_CONFIG + '\n[tool.mypy]\nexclude = ".*"\nignore_errors = true\n',
            "mypy ignore_errors",
            "PR101",
        ),
        (
            "pyproject.toml",
            BASE_CONFIG
            + '\n[tool.pytest.ini_options]\naddopts = "--co"\ntestpaths = ["x"]\n',
            "pytest addopts",
            "PR101",
        ),
        (
            "conftest.py",
            MAKEREPORT_HOOK,
            "conftest hook pytest_runtest_makereport added",
            "PR102",
        ),
        ("app/totals.py", SILENCED_CODE, "`# noqa` comment added", "PR103"),
    ],
)
def test_a_narrowing_change_fails_the_check_and_is_named_everywhere(
    world: World, event: str, path: str, text: str, what: str, rule: str
) -> None:
    rebase(world, {"pyproject.toml": BASE_CONFIG})
    world.push(text, path)

    result, report = review(world, event)

    assert (result.code, report.conclusion) == (1, "failure")
    assert rule in {f.rule for f in report.findings}
    change = next(c for c in report.standard_changes if c.what == what)
    assert (change.path, change.direction, change.rule) == (path, "weakens", rule)
    comment, check_run = _published(world, result)
    assert comment.index(SECTION) < comment.index("Fix first")
    shown_what = what.replace("_", "\\_")  # the comment escapes repository text
    assert shown_what in comment.split(SECTION, 1)[1]
    assert SECTION in check_run
    assert "weaken the standard" in check_run
    assert SECTION in result.summary


@pytest.mark.parametrize("event", EVENTS)
def test_a_strengthening_pr_is_listed_not_a_finding(world: World, event: str) -> None:
    base = BASE_CONFIG + '\n[tool.ruff.lint]\nselect = ["E", "F"]\n'
    rebase(world, {"pyproject.toml": base})
    world.push(base.replace('["E", "F"]', '["E", "F", "B"]'), "pyproject.toml")
    world.push(BASE_CODE)

    result, report = review(world, event)

    assert (result.code, report.conclusion) == (0, "success")
    (change,) = report.standard_changes
    assert (change.what, change.direction) == ("ruff select", "strengthens")
    assert not {f.rule for f in report.findings} & {"PR101", "PR103", "PR104"}
    (comment,) = world.gh.issue_comments
    assert "This PR only strengthens the standard" in str(comment["body"])
    (run,) = world.gh.check_runs.values()
    assert run["conclusion"] == "success"
    assert "ruff select" in run["output"]["text"].split(SECTION, 1)[1]
