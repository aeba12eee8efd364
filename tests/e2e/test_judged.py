"""A PR that changes how its tools judge it: reviewed through the CLI in CI.

Each PR adds two ruff errors and narrows what ruff, mypy or pytest examine
(or silences them). The tools run with the PR's configs, as its CI would,
but the narrowing is itself a ``PR1xx`` finding: the conclusion is
``failure`` and the JSON report's ``standard_changes`` and the markdown
comment name the change. A PR that only strengthens the standard is listed,
never a finding.
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
    changes,
    judged_section,
    open_pr,
    review,
    shown,
)
from tests.e2e.test_trust import rules as rule_ids
from tests.gitrepo import GitRepo

MAKEREPORT_HOOK = """\
import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    outcome.get_result().outcome = "passed"
"""
# Every line of the PR's code silenced.
SILENCED_CODE = '''\
"""Totals."""  # noqa

from __future__ import annotations  # noqa

import os  # noqa: F401


def total(values: list[int]) -> int:  # type: ignore
    """Return the sum."""  # noqa
    unused = 1  # noqa: F841  kept for the demo
    return sum(values)  # type: ignore[no-any-return]
'''
PR1XX = {"PR101", "PR102", "PR103", "PR104"}


def _config(extra: str) -> str:
    return BASE_CONFIG + "\n" + extra


@pytest.mark.parametrize(
    ("extra", "what", "line_text"),
    [
        (
            '[tool.ruff.lint.per-file-ignores]\n"**" = ["ALL"]\n',
            "ruff per-file-ignores",
            '"**" = ["ALL"]',
        ),
        ('[tool.ruff]\nextend-exclude = ["app"]\n', "ruff extend-exclude", None),
        ('[tool.mypy]\nexclude = ".*"\n', "mypy exclude", 'exclude = ".*"'),
        ("[tool.mypy]\nignore_errors = true\n", "mypy ignore_errors", None),
        (
            '[tool.pytest.ini_options]\naddopts = "--co"\n',
            "pytest addopts",
            'addopts = "--co"',
        ),
        (
            '[tool.pytest.ini_options]\ntestpaths = ["nonexistent"]\n',
            "pytest testpaths",
            None,
        ),
    ],
)
def test_a_tool_config_that_narrows_the_review_is_a_finding(
    git_repo: GitRepo, extra: str, what: str, line_text: str | None
) -> None:
    open_pr(git_repo, {"pyproject.toml": _config(extra)})

    code, report = review(git_repo)

    assert report["conclusion"] == "failure"
    # Where the narrowed tool ran and examined none of the change, that
    # check is also "no evidence" (an error: exit 2), beside the PR101.
    blind = [c for c in report["checks"] if c["detail"].startswith("no evidence")]
    assert code == (2 if blind else 1)
    assert all(c["status"] == "error" for c in blind)
    assert "PR101" in rule_ids(report)
    change = changes(report)[what]
    assert (change["path"], change["direction"], change["rule"]) == (
        "pyproject.toml",
        "weakens",
        "PR101",
    )
    lines = _config(extra).splitlines()
    assert change["line"] is not None and change["line"] > 2
    if line_text:
        assert lines[change["line"] - 1] == line_text
    (finding,) = [f for f in report["findings"] if f["rule"] == "PR101"]
    assert (finding["path"], finding["line"]) == ("pyproject.toml", change["line"])
    assert finding["severity"] == "error"
    assert shown(what) in judged_section(report)


def test_a_conftest_hook_that_rewrites_outcomes_is_a_finding(
    git_repo: GitRepo,
) -> None:
    open_pr(git_repo, {"conftest.py": MAKEREPORT_HOOK})

    code, report = review(git_repo)

    assert (code, report["conclusion"]) == (1, "failure")
    change = changes(report)["conftest hook pytest_runtest_makereport added"]
    assert (change["path"], change["line"], change["rule"]) == (
        "conftest.py",
        5,
        "PR102",
    )
    assert "PR102" in rule_ids(report)
    assert shown(change["what"]) in judged_section(report)


def test_an_unchanged_conftest_hook_is_not_a_change(git_repo: GitRepo) -> None:
    base = {"conftest.py": MAKEREPORT_HOOK}
    open_pr(git_repo, {"conftest.py": MAKEREPORT_HOOK + "\n\nVALUE = 1\n"}, base=base)

    _, report = review(git_repo)

    assert report["standard_changes"] == []
    assert not rule_ids(report) & PR1XX


def test_noqa_and_type_ignore_on_every_line_are_listed_with_reasons(
    git_repo: GitRepo,
) -> None:
    open_pr(git_repo, {}, head_code=SILENCED_CODE)

    code, report = review(git_repo)

    assert (code, report["conclusion"]) == (1, "failure")
    assert not {"F401", "F841"} & rule_ids(report)  # ruff obeyed the comments
    listed = [c for c in report["standard_changes"] if c["rule"] == "PR103"]
    assert [c["line"] for c in listed] == [1, 3, 5, 8, 9, 10, 11]
    by_line = {c["line"]: c for c in listed}
    assert by_line[10]["head"] == "# noqa: F841"
    assert by_line[10]["effect"].endswith("reason: kept for the demo")
    assert by_line[11]["what"] == "`# type: ignore` comment added"
    (finding,) = [f for f in report["findings"] if f["rule"] == "PR103"]
    assert (finding["path"], finding["line"]) == ("app/totals.py", 1)
    assert "7 comment(s)" in finding["message"]
    assert shown("`# noqa` comment added") in judged_section(report)


def test_a_comment_the_base_already_had_is_not_the_prs(git_repo: GitRepo) -> None:
    silenced = BASE_CODE.replace("return sum(values)", "return sum(values)  # noqa")
    head = silenced.replace('"""Return the sum."""', '"""Return the total."""')
    open_pr(git_repo, {}, base={"app/totals.py": silenced}, head_code=head)

    _, report = review(git_repo)

    assert report["standard_changes"] == []


def test_a_pr_that_only_strengthens_the_standard_says_so(git_repo: GitRepo) -> None:
    base = {"pyproject.toml": _config('[tool.ruff.lint]\nselect = ["E", "F"]\n')}
    head = _config('[tool.ruff.lint]\nselect = ["E", "F", "B"]\n')
    open_pr(git_repo, {"pyproject.toml": head}, base=base, head_code=BASE_CODE)

    code, report = review(git_repo)

    assert (code, report["conclusion"]) == (0, "success")
    change = changes(report)["ruff select"]
    assert (change["direction"], change["rule"]) == ("strengthens", None)
    assert change["effect"] == "ruff also checks B"
    assert not rule_ids(report) & PR1XX
    markdown = _markdown(git_repo)
    assert "This PR only strengthens the standard" in markdown


def test_the_base_config_sets_the_severity_of_a_weakening_change(
    git_repo: GitRepo,
) -> None:
    base_config = BASE_CONFIG + 'standard-change-severity = "warning"\n'
    head = base_config + "\n[tool.mypy]\nignore_errors = true\n"
    open_pr(
        git_repo,
        {"pyproject.toml": head},
        base={"pyproject.toml": base_config},
        head_code=BASE_CODE,
    )

    code, report = review(git_repo)

    assert (code, report["conclusion"]) == (0, "success")
    (finding,) = [f for f in report["findings"] if f["rule"] == "PR101"]
    assert finding["severity"] == "warning"


def test_a_weakening_pattern_review_setting_is_a_finding(git_repo: GitRepo) -> None:
    open_pr(
        git_repo,
        {"pyproject.toml": BASE_CONFIG + 'fail-on = "never"\n'},
        head_code=BASE_CODE,
    )

    code, report = review(git_repo)

    assert (code, report["conclusion"]) == (1, "failure")
    change = changes(report)["setting fail-on"]
    assert (change["direction"], change["rule"], change["line"]) == (
        "weakens",
        "PR104",
        3,
    )


def _markdown(repo: GitRepo) -> str:
    env = {**os.environ, "CI": "true"}
    done = subprocess.run(
        [sys.executable, "-m", "pattern_review", "review", "--repo", str(repo.path)]
        + ["--base", "main", "--no-ai", "--format", "markdown"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    return done.stdout


def test_the_comment_names_each_change_escaped(git_repo: GitRepo) -> None:
    hostile = '"**/[x](https://evil.example)"'
    extra = f'[tool.ruff.lint.per-file-ignores]\n{hostile} = ["ALL"]\n'
    open_pr(git_repo, {"pyproject.toml": _config(extra)})

    markdown = _markdown(git_repo)

    section = markdown.split("### This PR changes how it is judged", 1)[1]
    assert markdown.index("This PR changes how it is judged") < markdown.index(
        "Fix first"
    )
    assert "ruff per-file-ignores" in section
    # Repository text is a code span (shown verbatim) or escaped: never a link.
    assert "](https://evil.example)" not in re.sub(r"`[^`]*`", "", section)
    assert "evil.example" in section
