"""The review's settings: the action's inputs, and config from the base commit.

Under ``pull_request_target`` (safe mode) the PR's own config and agent file
are untrusted, so both are read as they are at the base commit.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pattern_review.action.errors import ActionError

if TYPE_CHECKING:
    from pattern_review.action.env import ActionRun
    from pattern_review.config import Config
    from pattern_review.rulebook.agent_file import AgentFile


def split_paths(text: str) -> list[str]:
    """Split the ``report`` input: paths separated by newlines or commas.

    Args:
        text: The input.

    Returns:
        The paths, stripped, empty ones dropped.
    """
    return [p.strip() for p in text.replace(",", "\n").splitlines() if p.strip()]


def int_input(run: ActionRun, name: str) -> int | None:
    """Read a whole-number input.

    Args:
        run: The run.
        name: The input's name.

    Returns:
        The number, or None when the input is empty.

    Raises:
        ActionError: The value is not a whole number.
    """
    value = run.input(name)
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ActionError(
            f"input {name} must be a whole number, got {value!r}"
        ) from None


def config_overrides(run: ActionRun) -> dict[str, Any]:
    """Collect the config values the action's inputs set.

    Args:
        run: The run.

    Returns:
        Config field -> value (None for inputs left empty).

    Raises:
        ActionError: A numeric input is not a number.
    """
    from pattern_review.config import parse_checks

    checks = run.input("checks")
    overrides: dict[str, Any] = {
        "fail_on": run.input("fail-on") or None,
        "filter_mode": run.input("filter-mode") or None,
        "model": run.input("model") or None,
        "agent_file": run.input("agent-file") or None,
        "checks": parse_checks(checks) if checks else None,
        "max_inline_comments": int_input(run, "max-inline-comments"),
        "ai_budget_tokens": int_input(run, "ai-budget-tokens"),
        "cache_dir": run.input("cache-dir") or None,
    }
    if run.safe_mode:
        # `uv run` would build and run the PR's own project: never in safe mode.
        overrides["runner"] = "direct"
    return overrides


def base_commit_settings(root: Path, base: str, explicit: str | None) -> dict[str, Any]:
    """Read the pattern-review config as it is at the base commit.

    Under ``pull_request_target`` the PR's own config is untrusted: a PR
    must not be able to switch checks off for itself.

    Args:
        root: The work tree.
        base: The base commit.
        explicit: The ``config`` input, when given.

    Returns:
        The settings table (empty when the base has no config).

    Raises:
        ActionError: The file at base is missing (when named), not TOML, or
            its ``tool`` or ``tool.pattern-review`` is not a table.
    """
    from pattern_review import git
    from pattern_review.config import (
        CONFIG_FILE_NAME,
        ConfigError,
        settings_from_toml,
    )

    candidates = [explicit] if explicit else [CONFIG_FILE_NAME, "pyproject.toml"]
    for path in candidates:
        data = git.show_file(root, base, path)
        if data is None:
            if explicit:
                raise ActionError(f"config {path} does not exist at base {base[:12]}")
            continue
        try:
            parsed = tomllib.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ActionError(
                f"config {path} at base is not valid TOML: {exc}"
            ) from exc
        try:
            return settings_from_toml(parsed, path)
        except ConfigError as exc:
            raise ActionError(f"{exc} (at base {base[:12]})") from exc
    return {}


def base_commit_agent(root: Path, base: str, configured: str | None) -> AgentFile:
    """Read the agent file as it is at the base commit.

    Args:
        root: The work tree.
        base: The base commit.
        configured: The configured agent file path, when set.

    Returns:
        The base's agent file, or the built-in rulebook when it has none.

    Raises:
        ActionError: The configured file is missing at base or not UTF-8.
    """
    from pattern_review import git
    from pattern_review.rulebook.agent_file import (
        AGENTS_DIR,
        builtin_agent_file,
        parse_agent_file,
    )

    if configured:
        data = git.show_file(root, base, configured)
        if data is None:
            raise ActionError(f"agent file {configured} does not exist at base")
        try:
            return parse_agent_file(data.decode("utf-8"), configured)
        except UnicodeDecodeError as exc:
            raise ActionError(f"agent file {configured} is not UTF-8") from exc
    listing = git.run_git(
        root, "ls-tree", "--name-only", f"{base}:{AGENTS_DIR.as_posix()}", check=False
    )
    for name in sorted(n for n in listing.splitlines() if n.endswith(".md")):
        path = f"{AGENTS_DIR.as_posix()}/{name}"
        data = git.show_file(root, base, path)
        if data is None:
            continue
        try:
            parsed = parse_agent_file(data.decode("utf-8"), path)
        except UnicodeDecodeError:
            continue
        if parsed.section("completion-checklist") is not None:
            return parsed
    return builtin_agent_file()


def load_settings(
    run: ActionRun, root: Path, tree: Path, base: str
) -> tuple[Config, AgentFile]:
    """Build the review's config and find its agent file.

    Args:
        run: The run.
        root: The workspace's work tree (where the base commit is).
        tree: The work tree at the head.
        base: The base commit.

    Returns:
        The config and the agent file: from the base commit in safe mode,
        else from the head.

    Raises:
        ActionError: Bad inputs, config or agent file.
    """
    from pattern_review.config import ConfigError, load_config
    from pattern_review.review import requested_checks
    from pattern_review.rulebook.agent_file import AgentFileError, find_agent_file

    explicit = run.input("config") or None
    overrides = config_overrides(run)
    try:
        if run.safe_mode:
            settings = base_commit_settings(root, base, explicit)
            config = load_config(tree, None, overrides, file_settings=settings)
            agent = base_commit_agent(root, base, config.agent_file)
        else:
            config = load_config(tree, Path(explicit) if explicit else None, overrides)
            agent = find_agent_file(tree, config.agent_file)
        if not run.flag("run-tests", True):
            wanted = [c for c in requested_checks(config, agent) if c != "pytest"]
            config = config.model_copy(update={"checks": wanted})
    except (ConfigError, AgentFileError) as exc:
        raise ActionError(str(exc)) from exc
    return config, agent
