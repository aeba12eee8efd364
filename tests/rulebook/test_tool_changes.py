"""What a PR changes in how ruff, mypy and pytest judge it, on real repositories."""

from __future__ import annotations

import pytest

from pattern_review.models import StandardChange
from pattern_review.rulebook.tool_changes import tool_changes
from pattern_review.target import build_target
from tests.gitrepo import GitRepo


def _changes(
    repo: GitRepo, base: dict[str, str], head: dict[str, str]
) -> dict[str, StandardChange]:
    for path, text in base.items():
        repo.write(path, text, dedent=False)
    first = repo.commit("base")
    for path, text in head.items():
        repo.write(path, text, dedent=False)
    last = repo.commit("pr")
    target = build_target(repo.path, first, last)
    return {change.what: change for change in tool_changes(target)}


def test_a_mypy_ini_override_and_a_lost_strict_switch_weaken(
    git_repo: GitRepo,
) -> None:
    base = "[mypy]\nstrict = True\n"
    head = "[mypy]\nstrict = False\n\n[mypy-app.legacy.*]\nignore_errors = True\n"

    found = _changes(git_repo, {"mypy.ini": base}, {"mypy.ini": head})

    assert found["mypy strict"].direction == "weakens"
    assert found["mypy strict"].line == 2
    override = found["mypy ignore_errors for app.legacy.*"]
    assert (override.direction, override.rule, override.line) == ("weakens", "PR101", 5)


def test_switching_a_mypy_check_on_strengthens(git_repo: GitRepo) -> None:
    found = _changes(
        git_repo,
        {"mypy.ini": "[mypy]\nfollow_imports = skip\n"},
        {"mypy.ini": "[mypy]\nfollow_imports = normal\nwarn_unreachable = true\n"},
    )

    assert found["mypy follow_imports"].direction == "strengthens"
    assert found["mypy warn_unreachable"].direction == "strengthens"


def test_setup_cfg_pytest_options_and_ruff_toml_are_compared(
    git_repo: GitRepo,
) -> None:
    base = {
        "setup.cfg": "[tool:pytest]\naddopts = -q\n",
        "ruff.toml": '[lint]\nselect = ["E", "F", "B"]\n',
    }
    head = {
        "setup.cfg": "[tool:pytest]\naddopts = -q -p no:randomly --deselect t.py::x\n"
        "python_files = check_*.py\n",
        "ruff.toml": '[lint]\nselect = ["E", "F"]\n',
    }

    found = _changes(git_repo, base, head)

    addopts = found["pytest addopts"]
    assert addopts.direction == "weakens"
    assert "-p no:randomly" in addopts.effect and "--deselect t.py::x" in addopts.effect
    assert found["pytest python_files"].direction == "weakens"
    select = found["ruff select"]
    assert (select.path, select.direction, select.effect) == (
        "ruff.toml",
        "weakens",
        "ruff no longer checks B",
    )


def test_an_option_that_does_not_narrow_is_only_listed(git_repo: GitRepo) -> None:
    found = _changes(
        git_repo,
        {"pytest.ini": "[pytest]\naddopts = -q\n"},
        {"pytest.ini": "[pytest]\naddopts = -q -x\n"},
    )

    change = found["pytest addopts"]
    assert (change.direction, change.rule) == ("changes", None)


def test_a_conftest_too_large_to_compare_fails_closed(git_repo: GitRepo) -> None:
    huge = "X = 1\n" * 120_000  # over the size the review parses in process

    found = _changes(git_repo, {"conftest.py": "X = 1\n"}, {"conftest.py": huge})

    change = found["conftest.py not compared"]
    assert (change.direction, change.rule) == ("weakens", "PR102")


@pytest.mark.parametrize(
    "text",
    [
        "[tool.ruff\nselect = [",  # not TOML
        '[tool.ruff]\nline-length = "long"\n',  # a value of the wrong type
        "[tool.mypy]\nexclude = 3\n[[tool.mypy.overrides]]\nmodule = 7\n",
        '[tool.pytest.ini_options]\naddopts = "\\"unbalanced"\n',
    ],
)
def test_hostile_config_text_never_breaks_the_review(
    git_repo: GitRepo, text: str
) -> None:
    found = _changes(git_repo, {"pyproject.toml": ""}, {"pyproject.toml": text})

    assert all(change.path == "pyproject.toml" for change in found.values())


def test_a_noqa_quoted_in_a_string_is_not_a_comment(git_repo: GitRepo) -> None:
    found = _changes(
        git_repo,
        {"app.py": "X = 1\n"},
        {"app.py": 'X = 1\nDOC = "add # noqa to silence ruff"\nY = 2  # noqa: E501\n'},
    )

    (change,) = found.values()
    assert (change.line, change.head) == (3, "# noqa: E501")
