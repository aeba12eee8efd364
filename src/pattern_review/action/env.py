"""Read the GitHub Actions environment and event payload into one ``ActionRun``.

Everything the action needs to know about the job is read here, once, so the
rest of the action works on plain values. The event payload is untrusted data
(PR title and body come from the PR author) and is only ever read as data.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Every input of action.yml; the runner passes each as INPUT_<NAME>, upper-cased
# with hyphens kept.
INPUT_NAMES: tuple[str, ...] = (
    "github-token",
    "anthropic-api-key",
    "model",
    "fail-on",
    "filter-mode",
    "base",
    "agent-file",
    "config",
    "comment",
    "inline-comments",
    "check-run",
    "max-inline-comments",
    "review-budget-s",
    "sarif-file",
    "json-file",
    "run-tests",
    "ai-budget-tokens",
    "cache-dir",
    "checks",
    "report",
    "review-drafts",
)

SUPPORTED_EVENTS: tuple[str, ...] = (
    "pull_request",
    "pull_request_target",
    "workflow_dispatch",
    "push",
)
PR_EVENTS: tuple[str, ...] = ("pull_request", "pull_request_target")
# pull_request activity types a review answers; others (closed, labeled...)
# are acknowledged and skipped.
PR_ACTIONS: tuple[str, ...] = ("opened", "synchronize", "reopened", "ready_for_review")
NULL_SHA = "0" * 40


class ActionEnvError(Exception):
    """The Actions environment cannot be used; the message says why in one line."""


@dataclass(frozen=True)
class ActionRun:
    """One run of the action, as the runner describes it.

    Attributes:
        event_name: ``GITHUB_EVENT_NAME``.
        event_action: The payload's ``action`` (``opened``, ``synchronize``...),
            empty for events without one.
        repository: ``owner/name`` from ``GITHUB_REPOSITORY``.
        workspace: The checked-out repository (``GITHUB_WORKSPACE``).
        api_url: The REST API root (``GITHUB_API_URL``; differs on GHES).
        server_url: The web root (``GITHUB_SERVER_URL``).
        token: The token to publish with; empty when none was given.
        inputs: Every input of action.yml by its name, empty when unset.
        sha: ``GITHUB_SHA`` (the merge commit on ``pull_request``).
        ref: ``GITHUB_REF``.
        pr: The pull request number, when the event names one.
        base_sha: The commit the review compares against, when the payload
            names it (PR base, push ``before``); None to resolve ``base_ref``.
        base_ref: The branch to compare with when no base SHA is known.
        base_is_default: ``base_ref`` is only the default branch, for want
            of a ``base`` input: on ``workflow_dispatch`` the base branch of
            the branch's open PR replaces it.
        head_sha: The commit reviewed and posted on: ``pull_request.head.sha``,
            never the merge commit.
        head_ref: The branch under review, when known.
        head_repository: ``owner/name`` the PR head lives in (a fork differs).
        default_branch: The repository's default branch from the payload.
        pr_title: Title of the PR (untrusted).
        pr_body: Body of the PR (untrusted).
        draft: Whether the PR is a draft.
        safe_mode: True under ``pull_request_target``: no PR code runs and the
            agent file and config come from the base commit.
        step_summary: ``GITHUB_STEP_SUMMARY`` file, when set.
        output_file: ``GITHUB_OUTPUT`` file, when set.
        runner_temp: ``RUNNER_TEMP``, when set.
        payload: The whole event payload.
    """

    event_name: str
    event_action: str
    repository: str
    workspace: Path
    api_url: str
    server_url: str
    token: str
    inputs: Mapping[str, str]
    sha: str
    ref: str
    pr: int | None = None
    base_sha: str | None = None
    base_ref: str | None = None
    base_is_default: bool = False
    head_sha: str = ""
    head_ref: str | None = None
    head_repository: str | None = None
    default_branch: str | None = None
    pr_title: str = ""
    pr_body: str = ""
    draft: bool = False
    safe_mode: bool = False
    step_summary: Path | None = None
    output_file: Path | None = None
    runner_temp: Path | None = None
    payload: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def input(self, name: str) -> str:
        """Return an input's value, stripped; empty when unset.

        Args:
            name: The input's name as in action.yml (``fail-on``).

        Returns:
            The value.
        """
        return self.inputs.get(name, "").strip()

    def flag(self, name: str, default: bool) -> bool:
        """Return a boolean input.

        Args:
            name: The input's name.
            default: The value when the input is unset.

        Returns:
            The input read as a boolean.

        Raises:
            ActionEnvError: The value is not ``true`` or ``false``.
        """
        value = self.input(name).lower()
        if not value:
            return default
        if value in ("true", "yes", "1", "on"):
            return True
        if value in ("false", "no", "0", "off"):
            return False
        raise ActionEnvError(f"input {name} must be true or false, got {value!r}")

    @property
    def owner(self) -> str:
        """The repository's owner."""
        return self.repository.split("/", 1)[0]

    @property
    def is_pull_request(self) -> bool:
        """Whether the event is ``pull_request`` or ``pull_request_target``."""
        return self.event_name in PR_EVENTS

    @property
    def is_fork(self) -> bool:
        """Whether the PR comes from another repository (read-only token)."""
        return bool(self.head_repository) and self.head_repository != self.repository

    def blob_base(self, sha: str) -> str:
        """Return the web URL prefix of files at a commit.

        Args:
            sha: The commit.

        Returns:
            ``<server>/<owner>/<repo>/blob/<sha>``.
        """
        return f"{self.server_url.rstrip('/')}/{self.repository}/blob/{sha}"


def _require(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ActionEnvError(
            f"{name} is not set: `pattern-review action` runs inside GitHub Actions"
        )
    return value


def _optional_path(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name, "").strip()
    return Path(value) if value else None


def read_inputs(env: Mapping[str, str]) -> dict[str, str]:
    """Collect the action's inputs from ``INPUT_<NAME>`` variables.

    Args:
        env: The process environment.

    Returns:
        Input name -> value, for every input of action.yml (empty when unset).
    """
    inputs = {name: env.get(f"INPUT_{name.upper()}", "") for name in INPUT_NAMES}
    # Some runners (and `act`) pass hyphens as underscores; accept both.
    for name in INPUT_NAMES:
        if not inputs[name]:
            inputs[name] = env.get(f"INPUT_{name.upper().replace('-', '_')}", "")
    return inputs


def _load_payload(path_text: str) -> dict[str, Any]:
    path = Path(path_text)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ActionEnvError(
            f"cannot read GITHUB_EVENT_PATH {path}: {exc.strerror}"
        ) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ActionEnvError(f"GITHUB_EVENT_PATH {path} is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ActionEnvError(f"GITHUB_EVENT_PATH {path} is not a JSON object")
    return data


def _dig(data: Mapping[str, Any], *keys: str) -> object:
    current: object = data
    for key in keys:
        if not isinstance(current, Mapping):
            return None
        current = current.get(key)
    return current


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _pr_number(value: object, where: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError as exc:
        raise ActionEnvError(f"{where} must be a PR number, got {value!r}") from exc
    if number < 1:
        raise ActionEnvError(f"{where} must be a PR number, got {value!r}")
    return number


def checked_ref(ref: str) -> str:
    """Return a base branch or commit name that is safe to hand to git.

    Args:
        ref: A branch or commit name from an input or the API.

    Returns:
        The name unchanged.

    Raises:
        ActionEnvError: It could read as an option, or holds blanks or
            control characters.
    """
    if ref.startswith("-") or any(c.isspace() or ord(c) < 32 for c in ref):
        raise ActionEnvError(f"base {ref!r} is not a branch name or commit")
    return ref


def _branch(ref: str) -> str | None:
    prefix = "refs/heads/"
    return ref[len(prefix) :] if ref.startswith(prefix) else None


def read_action_run(env: Mapping[str, str] | None = None) -> ActionRun:
    """Read the Actions environment and the event payload.

    Args:
        env: The environment to read; the process environment by default.

    Returns:
        The run, with base and head resolved from the payload where it says.

    Raises:
        ActionEnvError: A required variable is missing, the payload is
            unreadable, the event is not supported, or a PR event lacks its
            head or base commit.
    """
    env = os.environ if env is None else env
    event_name = _require(env, "GITHUB_EVENT_NAME")
    inputs = read_inputs(env)
    # Publishing a saved report runs from any event (workflow_run, typically).
    if event_name not in SUPPORTED_EVENTS and not inputs["report"].strip():
        raise ActionEnvError(
            f"unsupported event {event_name!r}; pattern-review runs on "
            f"{', '.join(SUPPORTED_EVENTS)} (publish saved reports with the "
            "`report` input from any event)"
        )
    payload = _load_payload(_require(env, "GITHUB_EVENT_PATH"))
    sha = env.get("GITHUB_SHA", "").strip()
    ref = env.get("GITHUB_REF", "").strip()
    common: dict[str, Any] = {
        "event_name": event_name,
        "event_action": _text(payload.get("action")),
        "repository": _require(env, "GITHUB_REPOSITORY"),
        "workspace": Path(_require(env, "GITHUB_WORKSPACE")),
        "api_url": env.get("GITHUB_API_URL", "").strip() or "https://api.github.com",
        "server_url": env.get("GITHUB_SERVER_URL", "").strip() or "https://github.com",
        "token": inputs["github-token"].strip() or env.get("GITHUB_TOKEN", "").strip(),
        "inputs": inputs,
        "sha": sha,
        "ref": ref,
        "default_branch": _text(_dig(payload, "repository", "default_branch")) or None,
        "step_summary": _optional_path(env, "GITHUB_STEP_SUMMARY"),
        "output_file": _optional_path(env, "GITHUB_OUTPUT"),
        "runner_temp": _optional_path(env, "RUNNER_TEMP"),
        "payload": payload,
    }
    if event_name in PR_EVENTS:
        return ActionRun(**common, **_pull_request_fields(payload, event_name))
    if event_name == "workflow_dispatch":
        return ActionRun(**common, **_dispatch_fields(payload, inputs, sha, ref))
    if event_name == "push":
        return ActionRun(**common, **_push_fields(payload, inputs, sha, ref))
    return ActionRun(**common, **_workflow_run_fields(payload))


def _pull_request_fields(payload: Mapping[str, Any], event_name: str) -> dict[str, Any]:
    pull = payload.get("pull_request")
    if not isinstance(pull, Mapping):
        raise ActionEnvError(f"the {event_name} payload has no pull_request object")
    head_sha = _text(_dig(pull, "head", "sha"))
    base_sha = _text(_dig(pull, "base", "sha"))
    if not head_sha or not base_sha:
        raise ActionEnvError(f"the {event_name} payload lacks head.sha or base.sha")
    return {
        "pr": _pr_number(pull.get("number", payload.get("number")), "pull_request"),
        "base_sha": base_sha,
        "base_ref": _text(_dig(pull, "base", "ref")) or None,
        "head_sha": head_sha,
        "head_ref": _text(_dig(pull, "head", "ref")) or None,
        "head_repository": _text(_dig(pull, "head", "repo", "full_name")) or None,
        "pr_title": _text(pull.get("title")),
        "pr_body": _text(pull.get("body")),
        "draft": pull.get("draft") is True,
        "safe_mode": event_name == "pull_request_target",
    }


def _dispatch_fields(
    payload: Mapping[str, Any], inputs: Mapping[str, str], sha: str, ref: str
) -> dict[str, Any]:
    dispatch_inputs = payload.get("inputs")
    if not isinstance(dispatch_inputs, Mapping):
        dispatch_inputs = {}
    # The workflow's own `base` input wins over the action's `base` input, and
    # both over the repository's default branch (or the PR's base, found later).
    given = _text(dispatch_inputs.get("base")).strip() or inputs.get("base", "").strip()
    base = given or _text(_dig(payload, "repository", "default_branch"))
    if not sha:
        raise ActionEnvError("GITHUB_SHA is not set: cannot tell the branch head")
    return {
        "pr": _pr_number(dispatch_inputs.get("pr"), "workflow_dispatch input pr"),
        "base_ref": checked_ref(base) or None,
        "base_is_default": not given,
        "head_sha": sha,
        "head_ref": _branch(ref or _text(payload.get("ref"))),
    }


def _push_fields(
    payload: Mapping[str, Any], inputs: Mapping[str, str], sha: str, ref: str
) -> dict[str, Any]:
    after = _text(payload.get("after")) or sha
    before = _text(payload.get("before"))
    if not after or after == NULL_SHA:
        raise ActionEnvError("the push deleted the ref: there is nothing to review")
    # The action's `base` input wins over the push's "before"; a new branch
    # has no "before": compare with the default branch instead.
    base_input = checked_ref(inputs.get("base", "").strip())
    has_before = bool(before) and before != NULL_SHA and not base_input
    return {
        "base_sha": before if has_before else None,
        "base_ref": base_input
        or _text(_dig(payload, "repository", "default_branch"))
        or None,
        "head_sha": after,
        "head_ref": _branch(ref or _text(payload.get("ref"))),
    }


def _workflow_run_fields(payload: Mapping[str, Any]) -> dict[str, Any]:
    # Only reached with the `report` input: the commit the finished workflow
    # ran on is what a saved report must have reviewed. GITHUB_SHA is the
    # default branch's tip here, so it is no fallback.
    pulls = _dig(payload, "workflow_run", "pull_requests")
    first = pulls[0] if isinstance(pulls, list) and pulls else None
    number = first.get("number") if isinstance(first, Mapping) else None
    return {
        "pr": _pr_number(number, "workflow_run pull request"),
        "head_sha": _text(_dig(payload, "workflow_run", "head_sha")),
        "head_ref": _text(_dig(payload, "workflow_run", "head_branch")) or None,
        "head_repository": (
            _text(_dig(payload, "workflow_run", "head_repository", "full_name")) or None
        ),
    }
