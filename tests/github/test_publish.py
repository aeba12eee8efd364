"""publish(): the whole PR publication against the fake GitHub, faults included."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest
import requests
from github import Github, GithubException

from pattern_review.github.client import (
    READ_ONLY_MESSAGE,
    THROTTLE_ENV,
    GitHubError,
    classify,
    make_client,
)
from pattern_review.github.publish import PublishRequest, PublishResult, publish
from pattern_review.models import CheckResult, Finding, Report, TargetInfo
from pattern_review.rulebook.agent_file import AgentFile, builtin_agent_file
from tests.fakes.github_server import TOKEN, FakeGitHub

HEAD = "4" * 40
HUNKS = {"app/routers/items.py": [(1, 40)], "app/models.py": [(5, 9)]}


def finding(n: int, *, path: str = "app/routers/items.py", line: int = 0) -> Finding:
    return Finding.model_validate(
        {
            "rule": "RTR001",
            "pattern": "router-pattern",
            "source": "convention",
            "severity": "error" if n % 3 == 0 else "warning",
            "path": path,
            "line": line or n + 1,
            "message": f"route {n} returns a dict instead of a response_model",
            "fingerprint": f"fp{n:04d}",
        }
    )


def report(findings: list[Finding], *, pr: int | None = 7) -> Report:
    return Report(
        conclusion="failure" if findings else "success",
        base="0" * 40,
        head=HEAD,
        target=TargetInfo(repository="octo-org/app", pr=pr, event="pull_request"),
        findings=findings,
        diff_hunks={k: list(v) for k, v in HUNKS.items()},
    )


@pytest.fixture
def agent() -> AgentFile:
    return builtin_agent_file()


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.add_pull(7, head_sha=HEAD, hunks=HUNKS)
        yield server


@pytest.fixture
def gh(fake: FakeGitHub) -> Github:
    return make_client(TOKEN, fake.base_url, throttle_s=0, backoff_s=0)


def run(gh: Github, agent: AgentFile, rep: Report, **flags: object) -> PublishResult:
    return publish(gh, PublishRequest(report=rep, agent=agent, **flags))  # type: ignore[arg-type]


def test_pr_gets_one_comment_one_review_and_a_full_check_run(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    findings = [finding(n) for n in range(38)]
    findings += [finding(100 + n, path="app/models.py", line=20 + n) for n in range(82)]
    result = run(gh, agent, report(findings), max_inline_comments=12)

    assert result.errors == [] and result.fallbacks == [] and result.ok
    assert len(fake.issue_comments) == 1
    assert result.comment_url is not None
    assert result.comment_url.endswith(f"{fake.issue_comments[0]['id']}")
    assert len(fake.reviews) == 1
    # 38 findings in the diff, capped at 12; the 82 outside it are never inline.
    assert result.review_posted == 12 and result.inline_skipped == 26
    assert all(c["path"] == "app/routers/items.py" for c in fake.review_comments)
    (check_run,) = fake.check_runs.values()
    # One home per line: the 12 commented lines get no annotation too.
    assert len(check_run["annotations"]) == 108
    inline = {(c["path"], c["line"]) for c in fake.review_comments}
    annotated = {(a["path"], a["start_line"]) for a in check_run["annotations"]}
    assert not inline & annotated
    assert (
        len(fake.calls("POST", "/check-runs$") + fake.calls("PATCH", "/check-runs/"))
        == 3
    )
    assert result.check_run_url == check_run["html_url"]


def test_rerun_edits_the_comment_lists_fixed_and_posts_no_duplicates(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    run(gh, agent, report([finding(1), finding(2)]))
    again = run(gh, agent, report([finding(2), finding(3)]))

    assert again.errors == []
    assert len(fake.issue_comments) == 1
    assert len(fake.calls("PATCH", r"/issues/comments/\d+$")) == 1
    assert again.delta is not None
    assert again.delta.new == {"fp0003"}
    assert [f.fingerprint for f in again.delta.fixed] == ["fp0001"]
    assert "1 fixed since the last run" in fake.issue_comments[0]["body"]
    # fp0002 was commented on by the first run: only fp0003 is new inline.
    assert again.review_posted == 1
    assert sorted(c["line"] for c in fake.review_comments) == [2, 3, 4]


def test_inline_comments_are_capped_at_one_bounded_review(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    findings = [finding(n, line=1 + n % 40) for n in range(80)]
    result = run(gh, agent, report(findings), max_inline_comments=500)
    assert result.review_posted == 50 and result.inline_skipped == 30
    assert len(fake.calls("POST", r"/reviews$")) == 1


def test_transient_502_is_retried(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    fake.fail("GET", r"/pulls/7$", 502, {"error": "Server Error"}, times=2)
    fake.fail("PATCH", r"/check-runs/\d+$", 502, times=1)
    # No inline comments: all 60 are annotations, so the run needs an update.
    rep = report([finding(n) for n in range(60)])
    result = run(gh, agent, rep, inline_comments=False)
    assert result.errors == []
    assert [r.status for r in fake.calls("GET", r"/pulls/7$")] == [502, 502, 200]
    assert len(next(iter(fake.check_runs.values()))["annotations"]) == 60


def test_502_forever_is_a_clear_error_and_other_parts_still_go_out(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    fake.fail("GET", r"/issues/7/comments$", 502, times=None)
    result = run(gh, agent, report([finding(1)]))
    assert len(result.errors) == 1
    assert result.errors[0].startswith("comment: GitHub kept failing after retries")
    assert "\n" not in result.errors[0]
    assert len(fake.calls("GET", r"/issues/7/comments$")) == 4  # 1 + 3 retries
    assert result.review_posted == 1 and len(fake.check_runs) == 1
    assert not result.read_only


def test_post_answered_502_is_not_retried(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    # A 502 on a POST may hide a created comment: retrying could post it twice.
    fake.fail("POST", r"/issues/7/comments$", 502, times=None)
    result = run(gh, agent, report([finding(1)]))
    assert result.errors == ["comment: GitHub answered 502: Bad Gateway"]
    assert len(fake.calls("POST", r"/issues/7/comments$")) == 1
    assert len(fake.check_runs) == 1


def test_secondary_rate_limit_is_waited_out(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    fake.secondary_rate_limit("POST", r"/reviews$", retry_after=1)
    result = run(gh, agent, report([finding(1)]))
    assert result.errors == [] and result.review_posted == 1
    assert [r.status for r in fake.calls("POST", r"/reviews$")] == [403, 200]


def test_rate_limit_that_never_lifts_is_a_rate_limit_error(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    fake.secondary_rate_limit("POST", r"/reviews$", retry_after=0, times=None)
    result = run(gh, agent, report([finding(1)]))
    (error,) = result.errors
    assert error.startswith("review: GitHub rate limit hit (403, retry after 0 s)")
    assert len(fake.calls("POST", r"/reviews$")) == 4
    assert len(fake.issue_comments) == 1 and len(fake.check_runs) == 1


def test_review_rejected_with_422_falls_back_to_the_comment(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    # The PR on GitHub has a smaller hunk than the report claims: line 30 is
    # outside it and GitHub rejects the whole review.
    fake.pulls[7].hunks = {"app/routers/items.py": [(1, 10)]}
    result = run(gh, agent, report([finding(2), finding(29)]))
    assert result.errors == []
    assert fake.reviews == [] and result.review_posted == 0
    assert result.inline_skipped == 2
    assert len(result.fallbacks) == 1 and "422" in result.fallbacks[0]
    body = fake.issue_comments[0]["body"]
    assert "Inline comments could not be placed" in body
    # Both findings, one rule in one file: one item with its two lines.
    assert "×2 (L3, 30)" in body and "route 2 returns a dict" in body


def test_huge_report_comment_is_cut_to_githubs_limit(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    findings = [finding(n, path=f"app/routers/r{n}.py") for n in range(3000)]
    result = run(gh, agent, report(findings), check_run=False)
    assert result.errors == []
    body = fake.issue_comments[0]["body"]
    assert 60_000 < len(body) <= 65_536
    assert "more findings" in body


def test_read_only_token_sets_read_only_and_stops_writing(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    fake.read_only = True
    result = run(gh, agent, report([finding(1)]))
    assert result.read_only and not result.ok
    assert len(result.errors) == 1
    assert "Resource not accessible by integration" in result.errors[0]
    assert "Traceback" not in result.errors[0]
    assert len(fake.writes()) == 1  # the first refusal; nothing else tried
    assert fake.issue_comments == [] and fake.check_runs == {}


def test_stale_head_posts_nothing_on_the_pr(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    fake.pulls[7].head_sha = "5" * 40
    result = run(gh, agent, report([finding(1)]), check_run=False)
    assert result.stale and not result.ok
    assert "head moved to 555555555555" in result.fallbacks[0]
    assert fake.writes() == []


def test_stale_head_still_gets_its_check_run_on_the_reviewed_sha(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    fake.pulls[7].head_sha = "5" * 40
    result = run(gh, agent, report([finding(1)]))
    assert result.stale and fake.issue_comments == [] and fake.reviews == []
    (check_run,) = fake.check_runs.values()
    assert check_run["head_sha"] == HEAD


def test_push_without_pr_publishes_only_the_check_run(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    result = run(gh, agent, report([finding(1)], pr=None))
    assert result.errors == [] and result.comment_url is None
    assert [r.path for r in fake.writes()] == ["/repos/octo-org/app/check-runs"]


def test_pat_user_comments_count_as_ours(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    fake.user_login = fake.comment_login = "review-bot"
    run(gh, agent, report([finding(1)]))
    run(gh, agent, report([finding(1)]))
    assert len(fake.issue_comments) == 1 and len(fake.review_comments) == 1


def test_report_without_repository_is_an_error(gh: Github, agent: AgentFile) -> None:
    rep = report([finding(1)]).model_copy(update={"target": TargetInfo()})
    assert run(gh, agent, rep).errors == ["publish: the report names no repository"]


@pytest.mark.parametrize(
    ("status", "body", "headers", "writing", "expected"),
    [
        (401, {"message": "Bad credentials"}, {}, False, "rejected the token"),
        (
            403,
            {"message": "Resource not accessible by integration"},
            {},
            True,
            "no write",
        ),
        (404, {"message": "Not Found"}, {}, True, "no write access"),
        (404, {"message": "Not Found"}, {}, False, "no such resource"),
        (
            422,
            {"message": "Validation Failed", "errors": [{"message": "line bad"}]},
            {},
            True,
            "422 Validation Failed: line bad",
        ),
        (
            403,
            {"message": "You have exceeded a secondary rate limit."},
            {"Retry-After": "30"},
            True,
            "retry after 30 s",
        ),
    ],
)
def test_classify_gives_one_line_reasons(
    status: int,
    body: dict[str, object],
    headers: dict[str, str],
    writing: bool,
    expected: str,
) -> None:
    error = classify(GithubException(status, body, headers), writing=writing)
    assert expected in error.reason and "\n" not in error.reason
    assert error.status == status
    assert error.read_only == (writing and status in (403, 404) and not headers)
    assert error.rate_limited == bool(headers)


def test_unanswered_request_is_a_timeout_error() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        gh = make_client(
            TOKEN, f"http://127.0.0.1:{port}", retries=0, timeout_s=1, throttle_s=0
        )
        with pytest.raises(Exception) as caught:
            _ = gh.get_repo("octo-org/app").get_pull(1).head
    error = classify(caught.value)
    assert isinstance(error, GitHubError)
    assert error.reason == "GitHub did not answer in time (timeout)"


def test_refused_connection_is_a_one_line_error() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, not listening: refused
        gh = make_client(TOKEN, f"http://127.0.0.1:{port}", retries=0, throttle_s=0)
        with pytest.raises(Exception) as caught:
            _ = gh.get_repo("octo-org/app").get_pull(1).head
    error = classify(caught.value)
    assert error.reason.startswith("cannot reach GitHub")
    assert "refused" in error.reason.lower() and "\n" not in error.reason


def test_throttle_env_must_be_a_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(THROTTLE_ENV, "fast")
    with pytest.raises(ValueError, match=THROTTLE_ENV):
        make_client(TOKEN, "http://127.0.0.1:1")


def test_expected_403_on_user_is_not_logged_as_a_failure(
    fake: FakeGitHub, gh: Github, agent: AgentFile, caplog: pytest.LogCaptureFixture
) -> None:
    fake.secondary_rate_limit("POST", r"/reviews$", retry_after=0)
    with caplog.at_level(logging.INFO, logger="github"):
        result = run(gh, agent, report([finding(1)]))
    assert result.errors == []
    messages = [r.getMessage() for r in caplog.records]
    assert not any("/user" in m for m in messages)
    # Real retries are still logged: the logger was switched back on.
    assert any("/reviews" in m and "403" in m for m in messages)


def test_only_githubs_read_only_words_make_a_403_read_only() -> None:
    locked = GithubException(403, {"message": "Unable to create comment: locked"})
    forbidden = GithubException(403, {"message": READ_ONLY_MESSAGE})

    assert classify(locked, writing=True).read_only is False
    assert classify(forbidden, writing=True).read_only is True


def test_a_comment_left_unanswered_is_not_posted_twice() -> None:
    with FakeGitHub() as fake:
        fake.add_pull(7, head_sha="1" * 40)
        # GitHub creates it, but the answer comes after the 1 s timeout.
        fake.fail("POST", r"/issues/7/comments$", 201, after_acting=True, stall_s=2)
        gh = make_client(TOKEN, fake.base_url, timeout_s=1, throttle_s=0, backoff_s=0)
        with pytest.raises(requests.RequestException):
            gh.get_repo("octo-org/app").get_issue(7).create_comment("once")
        assert len(fake.calls("POST", r"/issues/7/comments$")) == 1
        assert [c["body"] for c in fake.issue_comments] == ["once"]


# -- threads follow the code ---------------------------------------------------


def ran(findings: list[Finding]) -> Report:
    """A report whose conventions check ran (so a gone finding is fixed)."""
    rep = report(findings)
    rep.checks = [CheckResult(name="conventions", status="failed")]
    return rep


def push(fake: FakeGitHub, sha: str) -> Report:
    fake.pulls[7].head_sha = sha
    return report([])


def test_second_push_resolves_the_fixed_threads_and_posts_only_the_new_one(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    # 40 findings in the diff, 30 inline slots: 10 are cut on the first push.
    first = [finding(n) for n in range(40)]
    result = run(gh, agent, ran(first))
    assert result.review_posted == 30 and result.inline_skipped == 10
    posted = {c["body"].rsplit("fp=", 1)[1][:6]: c["id"] for c in fake.review_comments}
    fixed = sorted(posted)[:7]

    second_head = "5" * 40
    push(fake, second_head)
    kept = [f for f in first if f.fingerprint not in fixed]
    rep = ran([*kept, finding(77, line=21)])
    rep.head = second_head
    again = run(gh, agent, rep)

    assert again.errors == [] and again.ok
    # Exactly one new inline comment: the new finding; the 10 the cap cut
    # the first time stay in the sticky comment.
    assert again.review_posted == 1
    (review,) = [r for r in fake.reviews if r["commit_id"] == second_head]
    (new,) = [
        c for c in fake.review_comments if c["pull_request_review_id"] == review["id"]
    ]
    assert "fp0077" in new["body"]
    # The new finding leads the sticky comment, in sight (not collapsed);
    # the 7 fixed ones are one collapsed line.
    (sticky,) = fake.issue_comments
    visible = sticky["body"].split("<details>", 1)[0]
    fix_first = visible.split("### Fix first", 1)[1]
    assert "route 77 returns" in fix_first.split("\n2. ", 1)[0], visible
    assert "route 1 returns" not in visible.split("route 77 returns", 1)[0]
    assert "7 fixed" in sticky["body"]
    assert again.threads_resolved == 7 and again.threads_marked == 0
    assert {fp for fp, cid in posted.items() if fake.thread_resolved(cid)} == set(fixed)
    assert len(fake.graphql_calls("resolveReviewThread")) == 7
    # A third run with nothing new resolves nothing again.
    third = run(gh, agent, rep)
    assert third.threads_resolved == 0 and third.review_posted == 0
    assert len(fake.graphql_calls("resolveReviewThread")) == 7


def test_where_resolving_is_refused_the_comment_is_marked_fixed(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    run(gh, agent, ran([finding(1), finding(2)]))
    fake.refuse_resolve = True
    rep = ran([finding(2)])
    rep.head = "6" * 40
    push(fake, rep.head)
    result = run(gh, agent, rep)

    assert result.errors == [] and result.threads_marked == 1
    assert result.threads_resolved == 0
    body = next(c["body"] for c in fake.review_comments if "fp0001" in c["body"])
    assert body.startswith(f"✅ fixed in {'6' * 12}\n")
    assert body.endswith("<!-- pattern-review:fp=fp0001 -->")  # still the bot's
    other = next(c["body"] for c in fake.review_comments if "fp0002" in c["body"])
    assert "fixed" not in other
    # Marked once: the next run leaves it as it is.
    run(gh, agent, rep)
    assert len(fake.calls("PATCH", r"/pulls/comments/\d+$")) == 1


def test_a_finding_of_a_check_that_did_not_run_is_not_called_fixed(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    run(gh, agent, ran([finding(1)]))
    rep = report([])  # the conventions check did not run this time
    rep.checks = [CheckResult(name="conventions", status="error", detail="crashed")]
    run(gh, agent, rep)
    assert fake.graphql_calls("reviewThreads") == []
    assert not any(fake.thread_resolved(c["id"]) for c in fake.review_comments)


def test_inline_slots_go_by_impact_not_by_severity(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    style = [
        finding(n).model_copy(
            update={"rule": "N801", "pattern": "style-rules#5", "source": "ruff"}
        )
        for n in range(3, 30, 3)  # errors, early in the path order
    ]
    failing = Finding(
        rule="PYTEST:failed",
        pattern="completion-checklist",
        source="pytest",
        severity="warning",
        path="app/routers/items.py",
        line=35,
        message="test_items failed",
        fingerprint="fp-test",
    )
    result = run(gh, agent, ran([*style, failing]), max_inline_comments=1)
    assert result.review_posted == 1
    (comment,) = fake.review_comments
    assert "fp-test" in comment["body"]
