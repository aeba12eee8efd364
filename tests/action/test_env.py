"""The Actions environment and event payloads read into an ActionRun; outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pattern_review.action.env import (
    INPUT_NAMES,
    ActionEnvError,
    read_action_run,
    read_inputs,
)
from pattern_review.action.outputs import (
    SUMMARY_LIMIT_BYTES,
    fit_summary,
    format_outputs,
    write_outputs,
    write_summary,
)
from tests.action.test_e2e import parse_outputs
from tests.conftest import FIXTURES

WEBHOOKS = FIXTURES / "github" / "webhooks"


def _payload(rel: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((WEBHOOKS / rel).read_text())
    return data


def _env(
    tmp_path: Path, event: str, payload: dict[str, Any], **extra: str
) -> dict[str, str]:
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(payload))
    env = {
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REPOSITORY": "Codertocat/Hello-World",
        "GITHUB_WORKSPACE": str(tmp_path),
        "GITHUB_SHA": "f" * 40,
        "GITHUB_REF": "refs/pull/2/merge",
        "GITHUB_API_URL": "http://127.0.0.1:9/api/v3",
        "GITHUB_SERVER_URL": "http://127.0.0.1:9",
    }
    env.update(extra)
    return env


def test_pull_request_posts_on_head_sha_not_merge_commit(tmp_path: Path) -> None:
    payload = _payload("pull_request/opened.payload.json")
    run = read_action_run(_env(tmp_path, "pull_request", payload))
    pull = payload["pull_request"]
    assert run.head_sha == pull["head"]["sha"]
    assert run.head_sha != run.sha
    assert run.base_sha == pull["base"]["sha"]
    assert run.pr == pull["number"]
    assert run.pr_title == pull["title"]
    assert run.event_action == "opened"
    assert run.api_url == "http://127.0.0.1:9/api/v3"
    assert not run.safe_mode
    assert run.is_pull_request


def test_pull_request_target_is_safe_mode(tmp_path: Path) -> None:
    payload = _payload("pull_request/synchronize.payload.json")
    run = read_action_run(_env(tmp_path, "pull_request_target", payload))
    assert run.safe_mode
    assert run.head_sha == payload["pull_request"]["head"]["sha"]


def test_null_body_and_draft_flag(tmp_path: Path) -> None:
    payload = _payload("pull_request/opened.with-null-body.json")
    payload["pull_request"]["draft"] = True
    run = read_action_run(_env(tmp_path, "pull_request", payload))
    assert run.pr_body == ""
    assert run.draft


def test_fork_pr_is_recognised(tmp_path: Path) -> None:
    payload = _payload("pull_request/opened.payload.json")
    payload["pull_request"]["head"]["repo"]["full_name"] = "someone/Hello-World"
    run = read_action_run(_env(tmp_path, "pull_request", payload))
    assert run.is_fork


def test_inputs_keep_hyphens_and_token_falls_back(tmp_path: Path) -> None:
    payload = _payload("pull_request/opened.payload.json")
    env = _env(
        tmp_path,
        "pull_request",
        payload,
        **{"INPUT_FAIL-ON": "warning", "INPUT_MAX_INLINE_COMMENTS": "5"},
        GITHUB_TOKEN="tok-env",
    )
    run = read_action_run(env)
    assert set(run.inputs) == set(INPUT_NAMES)
    assert run.input("fail-on") == "warning"
    assert run.input("max-inline-comments") == "5"
    assert run.token == "tok-env"
    env["INPUT_GITHUB-TOKEN"] = "tok-input"
    assert read_action_run(env).token == "tok-input"


def test_flag_reads_booleans_and_rejects_others(tmp_path: Path) -> None:
    payload = _payload("pull_request/opened.payload.json")
    env = _env(tmp_path, "pull_request", payload, **{"INPUT_COMMENT": "false"})
    run = read_action_run(env)
    assert run.flag("comment", True) is False
    assert run.flag("check-run", True) is True
    env["INPUT_COMMENT"] = "maybe"
    with pytest.raises(ActionEnvError, match="comment must be true or false"):
        read_action_run(env).flag("comment", True)


def test_workflow_dispatch_base_defaults_to_default_branch(tmp_path: Path) -> None:
    payload = _payload("workflow_dispatch/payload.json")
    env = _env(tmp_path, "workflow_dispatch", payload, GITHUB_REF="refs/heads/feat")
    run = read_action_run(env)
    assert (run.base_ref, run.base_is_default) == ("master", True)
    assert run.head_ref == "feat"
    assert run.head_sha == "f" * 40
    assert run.pr is None
    payload["inputs"] = {"base": "develop", "pr": "12"}
    run = read_action_run(_env(tmp_path, "workflow_dispatch", payload))
    assert (run.base_ref, run.base_is_default, run.pr) == ("develop", False, 12)


def test_workflow_dispatch_rejects_bad_pr_input(tmp_path: Path) -> None:
    payload = _payload("workflow_dispatch/payload.json")
    payload["inputs"] = {"pr": "twelve"}
    with pytest.raises(ActionEnvError, match="must be a PR number"):
        read_action_run(_env(tmp_path, "workflow_dispatch", payload))


def test_push_new_branch_compares_with_default_branch(tmp_path: Path) -> None:
    payload = _payload("push/payload.json")
    payload.update(before="0" * 40, after="a" * 40, deleted=False)
    run = read_action_run(_env(tmp_path, "push", payload, GITHUB_REF="refs/heads/x"))
    assert run.base_sha is None
    assert run.base_ref == payload["repository"]["default_branch"]
    assert run.head_sha == "a" * 40
    payload["before"] = "b" * 40
    assert read_action_run(_env(tmp_path, "push", payload)).base_sha == "b" * 40


def test_push_of_a_deleted_ref_is_refused(tmp_path: Path) -> None:
    payload = _payload("push/payload.json")  # the recorded one deletes a tag
    with pytest.raises(ActionEnvError, match="deleted the ref"):
        read_action_run(_env(tmp_path, "push", payload))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"GITHUB_EVENT_NAME": "issue_comment"}, "unsupported event 'issue_comment'"),
        ({"GITHUB_REPOSITORY": ""}, "GITHUB_REPOSITORY is not set"),
        ({"GITHUB_EVENT_PATH": "/nonexistent/event.json"}, "cannot read"),
    ],
)
def test_bad_environment_is_one_line_error(
    tmp_path: Path, change: dict[str, str], message: str
) -> None:
    env = _env(tmp_path, "pull_request", _payload("pull_request/opened.payload.json"))
    env.update(change)
    with pytest.raises(ActionEnvError, match=message) as info:
        read_action_run(env)
    assert "\n" not in str(info.value)


def test_payload_that_is_not_json(tmp_path: Path) -> None:
    env = _env(tmp_path, "pull_request", {})
    Path(env["GITHUB_EVENT_PATH"]).write_text("{not json")
    with pytest.raises(ActionEnvError, match="is not JSON"):
        read_action_run(env)


def test_pr_payload_without_pull_request(tmp_path: Path) -> None:
    with pytest.raises(ActionEnvError, match="no pull_request object"):
        read_action_run(_env(tmp_path, "pull_request", {"action": "opened"}))


def test_read_inputs_accepts_underscored_names() -> None:
    inputs = read_inputs({"INPUT_AGENT_FILE": "a.md", "INPUT_CHECK-RUN": "false"})
    assert inputs["agent-file"] == "a.md"
    assert inputs["check-run"] == "false"
    assert inputs["report"] == ""


def test_outputs_survive_values_that_look_like_syntax(tmp_path: Path) -> None:
    tricky = "line one\nEOF\nfake<<EOF\nconclusion=success"
    path = tmp_path / "out"
    path.write_text("earlier<<X\nkept\nX\n")
    write_outputs(path, {"conclusion": "failure", "comment-url": tricky})
    parsed = parse_outputs(path.read_text())
    assert parsed == {"earlier": "kept", "conclusion": "failure", "comment-url": tricky}
    first, second = format_outputs({"a": "1"}), format_outputs({"a": "1"})
    assert first != second  # fresh delimiter each time


def test_summary_under_limit_is_unchanged(tmp_path: Path) -> None:
    text = "# Review\n\n| a | b |\n"
    assert fit_summary(text) == text
    path = tmp_path / "summary.md"
    write_summary(path, text)
    write_summary(path, text)
    assert path.read_text() == text * 2


def test_oversized_summary_is_cut_at_a_line_with_a_note() -> None:
    line = "- finding é with some padding text to make the line longer\n"
    text = "# Review\n```\n" + line * 40_000
    assert len(text.encode()) > SUMMARY_LIMIT_BYTES
    cut = fit_summary(text)
    assert len(cut.encode()) <= SUMMARY_LIMIT_BYTES
    assert cut.startswith("# Review\n```\n")
    body = cut.split("```\n", 2)
    assert len(body) == 3  # the open fence was closed before the note
    assert "Summary truncated" in cut
    kept = body[1]
    assert kept.endswith("\n") and kept.count(line) == kept.count("\n")


def test_summary_budget_counts_what_the_step_already_wrote(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    path.write_text("x" * (SUMMARY_LIMIT_BYTES - 10_000) + "\n")
    write_summary(path, "- item\n" * 5_000)
    assert path.stat().st_size <= SUMMARY_LIMIT_BYTES
    assert "Summary truncated" in path.read_text()


def test_workflow_run_is_accepted_only_to_publish_a_report(tmp_path: Path) -> None:
    name = next((WEBHOOKS / "workflow_run").glob("*.json")).relative_to(WEBHOOKS)
    payload = _payload(str(name))
    env = _env(tmp_path, "workflow_run", payload, GITHUB_SHA="e" * 40)
    with pytest.raises(ActionEnvError, match="unsupported event 'workflow_run'"):
        read_action_run(env)
    env["INPUT_REPORT"] = "report.json"
    run = read_action_run(env)
    assert run.head_sha == payload["workflow_run"]["head_sha"]
    assert run.head_sha != run.sha  # GITHUB_SHA is the default branch's tip here
    assert run.input("report") == "report.json"
    assert run.pr == payload["workflow_run"]["pull_requests"][0]["number"]


def test_trust_all_directories_appends_to_existing_git_config_env() -> None:
    from pattern_review.action.workspace import trust_all_directories

    env = {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "core.x",
        "GIT_CONFIG_VALUE_0": "y",
    }
    trust_all_directories(env)
    assert env["GIT_CONFIG_COUNT"] == "2"
    assert (env["GIT_CONFIG_KEY_0"], env["GIT_CONFIG_VALUE_0"]) == ("core.x", "y")
    assert (env["GIT_CONFIG_KEY_1"], env["GIT_CONFIG_VALUE_1"]) == (
        "safe.directory",
        "*",
    )
    fresh: dict[str, str] = {}
    trust_all_directories(fresh)
    assert fresh == {
        "GIT_CONFIG_KEY_0": "safe.directory",
        "GIT_CONFIG_VALUE_0": "*",
        "GIT_CONFIG_COUNT": "1",
    }


@pytest.mark.parametrize(
    "base", ["--upload-pack=touch /tmp/x", "main branch", "a\x01b"]
)
def test_dispatch_base_that_git_could_misread_is_refused(
    tmp_path: Path, base: str
) -> None:
    payload = _payload("workflow_dispatch/payload.json")
    payload["inputs"] = {"base": base}
    with pytest.raises(ActionEnvError, match="is not a branch name or commit"):
        read_action_run(_env(tmp_path, "workflow_dispatch", payload))


def test_push_base_input_wins_over_before(tmp_path: Path) -> None:
    payload = _payload("push/payload.json")
    payload.update(before="b" * 40, after="a" * 40, deleted=False)
    env = _env(tmp_path, "push", payload, INPUT_BASE="release/1.x")
    run = read_action_run(env)
    assert (run.base_sha, run.base_ref) == (None, "release/1.x")
    env["INPUT_BASE"] = "--upload-pack=x"
    with pytest.raises(ActionEnvError, match="is not a branch name or commit"):
        read_action_run(env)


def test_the_review_budget_input_sets_the_reviews_budget(tmp_path: Path) -> None:
    from pattern_review.action.errors import ActionError
    from pattern_review.action.settings import config_overrides

    payload = _payload("pull_request/opened.payload.json")
    env = _env(tmp_path, "pull_request", payload, **{"INPUT_REVIEW-BUDGET-S": "120"})
    assert config_overrides(read_action_run(env))["review_budget_s"] == 120
    env["INPUT_REVIEW-BUDGET-S"] = ""
    assert config_overrides(read_action_run(env))["review_budget_s"] is None
    env["INPUT_REVIEW-BUDGET-S"] = "soon"
    with pytest.raises(ActionError, match="review-budget-s must be a whole number"):
        config_overrides(read_action_run(env))
