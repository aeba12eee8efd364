"""Configuration: sources, precedence, and a clear error for every broken config."""

from __future__ import annotations

from pathlib import Path

import pytest

from pattern_review.config import (
    DEFAULT_ROLE_GLOBS,
    ConfigError,
    load_config,
    project_config,
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_any_config(tmp_path: Path) -> None:
    config = load_config(tmp_path)

    assert (config.fail_on, config.filter_mode, config.checks) == (
        "error",
        "added",
        None,
    )
    assert config.roles == DEFAULT_ROLE_GLOBS


def test_pyproject_table_with_hyphenated_keys(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        '[tool.pattern-review]\nfail-on = "warning"\nmax-inline-comments = 5\n',
    )

    config = load_config(tmp_path)

    assert (config.fail_on, config.max_inline_comments) == ("warning", 5)


def test_dedicated_file_wins_over_pyproject_and_flags_win_over_both(
    tmp_path: Path,
) -> None:
    write(tmp_path / "pyproject.toml", '[tool.pattern-review]\nfail-on = "warning"\n')
    write(
        tmp_path / ".pattern-review.toml", 'fail-on = "never"\nfilter-mode = "file"\n'
    )

    config = load_config(
        tmp_path, overrides={"filter_mode": "nofilter", "checks": None}
    )

    assert (config.fail_on, config.filter_mode) == ("never", "nofilter")


def test_explicit_config_file_reads_a_tool_table_or_a_bare_one(tmp_path: Path) -> None:
    write(tmp_path / "a.toml", '[tool.pattern-review]\nfail-on = "never"\n')
    write(tmp_path / "b.toml", 'fail-on = "warning"\n')

    assert load_config(tmp_path, Path("a.toml")).fail_on == "never"
    assert load_config(tmp_path, Path("b.toml")).fail_on == "warning"


def test_environment_fills_what_files_leave_unset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATTERN_REVIEW_FAIL_ON", "warning")
    monkeypatch.setenv("PATTERN_REVIEW_FILTER_MODE", "file")
    write(tmp_path / ".pattern-review.toml", 'filter-mode = "nofilter"\n')

    config = load_config(tmp_path)

    assert (config.fail_on, config.filter_mode) == ("warning", "nofilter")


def test_a_role_given_keeps_the_other_roles_defaults(tmp_path: Path) -> None:
    write(
        tmp_path / ".pattern-review.toml",
        '[roles]\nrouter = ["src/app/api/**/*.py"]\n',
    )

    config = load_config(tmp_path)

    assert config.roles["router"] == ["src/app/api/**/*.py"]
    assert config.roles["test"] == DEFAULT_ROLE_GLOBS["test"]
    assert config.roles["model"] == DEFAULT_ROLE_GLOBS["model"]


@pytest.mark.parametrize(
    ("file_name", "text", "reason"),
    [
        (".pattern-review.toml", "fail-on = [", "is not valid TOML"),
        (".pattern-review.toml", 'fail-on = "sometimes"\n', "fail-on: Input"),
        (".pattern-review.toml", "colour = true\n", "colour"),
        (
            ".pattern-review.toml",
            'checks = ["ruff", "pylint"]\n',
            "checks: unknown check(s) pylint",
        ),
        (".pattern-review.toml", "max-inline-comments = -1\n", "max-inline-comments"),
        (".pattern-review.toml", "fail_on = 1\n", "fail_on: Input"),
        ("pyproject.toml", 'tool = "x"\n', "[tool] must be a table"),
        ("pyproject.toml", "[tool]\npattern-review = 3\n", "must be a table"),
    ],
)
def test_broken_config_is_a_one_line_error(
    tmp_path: Path, file_name: str, text: str, reason: str
) -> None:
    write(tmp_path / file_name, text)

    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path)

    assert reason in str(raised.value)
    assert "\n" not in str(raised.value)


def test_missing_explicit_config_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path, Path("nope.toml"))


def test_a_bad_flag_or_input_is_named_as_given() -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(Path("/nonexistent-repo"), None, {"checks": ["ruff", "bogus"]})
    assert str(raised.value) == (
        "bad value for checks: unknown check(s) bogus; choose from "
        "ruff-format, ruff, mypy, pytest, conventions"
    )


def test_budgets_are_bounded_a_pr_cannot_ask_for_a_day(tmp_path: Path) -> None:
    (tmp_path / ".pattern-review.toml").write_text("tool-timeout-s = 86400\n")
    with pytest.raises(ConfigError, match="tool-timeout-s: Input should be less"):
        load_config(tmp_path)
    (tmp_path / ".pattern-review.toml").write_text("review-budget-s = 100000\n")
    with pytest.raises(ConfigError, match="review-budget-s"):
        load_config(tmp_path)
    (tmp_path / ".pattern-review.toml").write_text(
        "tool-timeout-s = 1800\nreview-budget-s = 21600\nruff-timeout-s = 5\n"
    )
    config = load_config(tmp_path)
    assert (config.tool_timeout_s, config.review_budget_s) == (1800, 21600)
    assert config.ruff_timeout_s == 5
    assert (
        load_config(tmp_path, overrides={"review_budget_s": 60}).review_budget_s == 60
    )


def test_a_projects_own_table_sets_no_budget(tmp_path: Path) -> None:
    (tmp_path / ".pattern-review.toml").write_text("review-budget-s = 300\n")
    api = tmp_path / "api"
    api.mkdir()
    (api / "pyproject.toml").write_text(
        "[tool.pattern-review]\nfail-on = 'warning'\nreview-budget-s = 21600\n"
        "tool-timeout-s = 1800\n"
    )
    root = load_config(tmp_path)
    own = project_config(root, api)
    assert own.fail_on == "warning"  # its other settings apply
    assert (own.review_budget_s, own.tool_timeout_s) == (300, 600)


def test_environment_gives_lists_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATTERN_REVIEW_CHECKS", '["ruff", "mypy"]')
    monkeypatch.setenv("pattern_review_jobs", "2")

    config = load_config(Path("/nonexistent"))

    assert (config.checks, config.jobs) == (["ruff", "mypy"], 2)


def test_environment_list_that_is_not_json_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATTERN_REVIEW_SELECT", "ERR001,ERR002")

    with pytest.raises(ConfigError, match="PATTERN_REVIEW_SELECT is not JSON"):
        load_config(Path("/nonexistent"))
