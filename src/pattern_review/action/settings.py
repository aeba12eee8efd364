"""The review's settings: the action's inputs over the base commit's standard.

On every event the action reviews, pattern-review's own config, agent file
and rule modules are read as they are at the base commit
(``rulebook/standard.py``): the PR's own versions are listed, not obeyed.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pattern_review.action.errors import ActionError

if TYPE_CHECKING:
    from pattern_review.action.env import ActionRun
    from pattern_review.models import ReviewTarget
    from pattern_review.rulebook.standard import Standard


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
        "review_budget_s": int_input(run, "review-budget-s"),
        "checks": parse_checks(checks) if checks else None,
        "max_inline_comments": int_input(run, "max-inline-comments"),
        "ai_budget_tokens": int_input(run, "ai-budget-tokens"),
        "cache_dir": run.input("cache-dir") or None,
    }
    if run.safe_mode:
        # `uv run` would build and run the PR's own project: never in safe mode.
        overrides["runner"] = "direct"
    return overrides


def load_settings(run: ActionRun, target: ReviewTarget) -> Standard:
    """Read the review's standard (rulebook/standard.py) with the inputs applied.

    Args:
        run: The run (its inputs win over any config file).
        target: The change; on every event the action reviews, its
            standard is the base commit's.

    Returns:
        The config, the agent file and what the PR changes in them.

    Raises:
        ActionError: Bad inputs, config or agent file.
    """
    from pattern_review.config import ConfigError
    from pattern_review.review import requested_checks
    from pattern_review.rulebook.agent_file import AgentFileError
    from pattern_review.rulebook.standard import load_standard

    try:
        standard = load_standard(
            target,
            target.repo,
            explicit=run.input("config") or None,
            overrides=config_overrides(run),
        )
        config = standard.config
        if not run.flag("run-tests", True):
            wanted = [
                c for c in requested_checks(config, standard.agent) if c != "pytest"
            ]
            config = config.model_copy(update={"checks": wanted})
    except (ConfigError, AgentFileError) as exc:
        raise ActionError(str(exc)) from exc
    return replace(standard, config=config)
