"""The pattern-review check run: conclusion, limits, and every annotation."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from github import Github, GithubException

from pattern_review.github.check_run import (
    ANNOTATIONS_PER_REQUEST,
    CHECK_NAME,
    MAX_OUTPUT_CHARS,
    MAX_TITLE_CHARS,
    UPDATE_ATTEMPTS,
    annotation,
    check_output,
    publish_check_run,
)
from pattern_review.github.client import make_client
from pattern_review.models import CheckResult, Finding, Report, TargetInfo
from pattern_review.report.markdown import FIX_FIRST
from pattern_review.rulebook.agent_file import AgentFile, builtin_agent_file
from tests.fakes.github_server import TOKEN, FakeGitHub

HEAD = "3" * 40


def finding(n: int, severity: str = "error", *, message: str = "") -> Finding:
    return Finding.model_validate(
        {
            "rule": f"STY{n % 14 + 1:03d}",
            "pattern": f"style-rules#{n % 14 + 1}",
            "source": "convention",
            "severity": severity,
            "path": f"app/m{n % 5}.py",
            "line": n + 1,
            "message": message or f"finding {n}",
            "fingerprint": f"fp{n}",
        }
    )


def report(findings: list[Finding], conclusion: str = "failure") -> Report:
    return Report.model_validate(
        {
            "conclusion": conclusion,
            "base": "0" * 40,
            "head": HEAD,
            "target": TargetInfo(repository="octo-org/app"),
            "findings": findings,
            "checks": [
                CheckResult(name="ruff", status="passed"),
                CheckResult(name="pytest", status="error", detail="no tests found"),
            ],
        }
    )


@pytest.fixture
def agent() -> AgentFile:
    return builtin_agent_file()


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        yield server


@pytest.fixture
def gh(fake: FakeGitHub) -> Github:
    return make_client(TOKEN, fake.base_url, throttle_s=0, backoff_s=0)


def test_120_annotations_go_out_in_three_requests(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    findings = [finding(n) for n in range(120)]
    run = publish_check_run(
        gh.get_repo("octo-org/app"), report(findings), agent, blob_base=None
    )
    creates = fake.calls("POST", r"/check-runs$")
    edits = fake.calls("PATCH", r"/check-runs/\d+$")
    assert len(creates) == 1 and len(edits) == 2
    sizes = [len(r.body["output"]["annotations"]) for r in creates + edits]
    assert sizes == [50, 50, 20]
    assert all(size <= ANNOTATIONS_PER_REQUEST for size in sizes)
    stored = fake.check_runs[run.id]
    assert len(stored["annotations"]) == 120
    assert {a["message"] for a in stored["annotations"]} == {
        f"finding {n}" for n in range(120)
    }
    assert stored["name"] == CHECK_NAME and stored["head_sha"] == HEAD
    assert stored["conclusion"] == "failure" and stored["status"] == "completed"


@pytest.mark.parametrize(
    ("acted", "patches"),
    [(True, 2), (False, 3)],
    ids=["lost-answer", "not-done"],
)
def test_an_update_answered_502_is_sent_again_only_if_it_did_not_land(
    fake: FakeGitHub, gh: Github, agent: AgentFile, acted: bool, patches: int
) -> None:
    # The first update fails with a 502, after GitHub did it or before.
    fake.fail("PATCH", r"/check-runs/\d+$", 502, after_acting=acted)
    findings = [finding(n) for n in range(120)]
    run = publish_check_run(
        gh.get_repo("octo-org/app"), report(findings), agent, blob_base=None
    )
    assert len(fake.calls("PATCH", r"/check-runs/\d+$")) == patches
    messages = [a["message"] for a in fake.check_runs[run.id]["annotations"]]
    assert sorted(messages) == sorted(f"finding {n}" for n in range(120))


@pytest.mark.parametrize(("acted", "patches"), [(True, 1), (False, 2)])
def test_an_update_left_unanswered_is_sent_again_only_if_it_did_not_land(
    fake: FakeGitHub, agent: AgentFile, acted: bool, patches: int
) -> None:
    # The answer comes after the client's 1 s timeout: a read timeout.
    fake.fail("PATCH", r"/check-runs/\d+$", 200, after_acting=acted, stall_s=2)
    gh = make_client(TOKEN, fake.base_url, timeout_s=1, throttle_s=0, backoff_s=0)
    run = publish_check_run(
        gh.get_repo("octo-org/app"),
        report([finding(n) for n in range(60)]),
        agent,
        blob_base=None,
    )
    assert len(fake.calls("PATCH", r"/check-runs/\d+$")) == patches
    assert len(fake.check_runs[run.id]["annotations"]) == 60


def test_an_update_that_keeps_failing_is_an_error_after_three_tries(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    fake.fail("PATCH", r"/check-runs/\d+$", 502, times=None)
    with pytest.raises(GithubException) as raised:
        publish_check_run(
            gh.get_repo("octo-org/app"),
            report([finding(n) for n in range(60)]),
            agent,
            blob_base=None,
        )
    assert raised.value.status == 502
    assert len(fake.calls("PATCH", r"/check-runs/\d+$")) == UPDATE_ATTEMPTS


def test_other_updates_are_still_retried_on_a_502(fake: FakeGitHub, gh: Github) -> None:
    fake.add_pull(7, head_sha=HEAD)
    comment_id = fake.add_issue_comment(7, "old", login="github-actions[bot]")
    fake.fail("PATCH", r"/issues/comments/\d+$", 502)
    comment = gh.get_repo("octo-org/app").get_issue(7).get_comment(comment_id)
    comment.edit("new")
    assert len(fake.calls("PATCH", r"/issues/comments/\d+$")) == 2


def test_no_findings_is_one_request_with_success(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    publish_check_run(
        gh.get_repo("octo-org/app"), report([], "success"), agent, blob_base=None
    )
    (create,) = fake.writes()
    assert create.body["conclusion"] == "success"
    assert create.body["output"]["annotations"] == []
    assert "no findings" in create.body["output"]["title"]


def test_severity_maps_to_annotation_level(agent: AgentFile) -> None:
    levels = [
        annotation(finding(1, s), agent)["annotation_level"]
        for s in ("error", "warning", "note")
    ]
    assert levels == ["failure", "warning", "notice"]


def test_annotation_cites_the_rule_and_stays_in_limits(agent: AgentFile) -> None:
    note = annotation(finding(11, message="m" * 100_000), agent)
    assert str(note["title"]).startswith("STY012")
    assert len(str(note["title"])) <= MAX_TITLE_CHARS
    assert len(str(note["message"])) < 65_536
    # The one sentence the rule is bound to, and where it stands.
    assert note["raw_details"] == (
        "**`model_dump()`** - Never use deprecated `.dict()`\n"
        "(backend-developer.md (built-in), line 322)"
    )


def test_an_annotation_of_a_rule_bound_to_no_sentence_has_no_details(
    agent: AgentFile,
) -> None:
    assert "raw_details" not in annotation(finding(3), agent)  # no STY004 rule


def test_output_is_cut_to_the_check_run_limit(agent: AgentFile) -> None:
    findings = [finding(n, message="x" * 400) for n in range(1500)]
    output = check_output(report(findings), agent, None)
    assert len(output["text"]) <= MAX_OUTPUT_CHARS
    assert len(output["summary"]) <= MAX_OUTPUT_CHARS
    assert "pytest: ❌ could not run (no tests found)" in output["summary"]


def test_the_text_is_the_fix_first_list_and_a_link_not_the_comment(
    agent: AgentFile,
) -> None:
    findings = [finding(n) for n in range(40)]
    url = "https://github.example/octo-org/app/pull/7#issuecomment-1"

    text = check_output(report(findings), agent, None, comment_url=url)["text"]

    items = [line for line in text.splitlines() if re.match(r"^\d+\. ", line)]
    assert len(items) == FIX_FIRST
    assert "<details>" not in text
    assert (
        f"{40 - FIX_FIRST} more findings and the full review: "
        f"[the pull request comment]({url})" in text
    )
