"""The loopback fake GitHub answers real PyGithub like GitHub does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from github import Github, GithubException, UnknownObjectException

from pattern_review.github.client import make_client
from tests.fakes.github_server import (
    API_FIXTURES,
    MAX_COMMENT_BODY,
    READ_ONLY_MESSAGE,
    TOKEN,
    FakeGitHub,
)

HEAD = "c0ffee" + "0" * 34


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.add_pull(7, head_sha=HEAD, hunks={"app/main.py": [(3, 9), (20, 24)]})
        yield server


@pytest.fixture
def gh(fake: FakeGitHub) -> Github:
    return make_client(TOKEN, fake.base_url, throttle_s=0, backoff_s=0)


def _review_comment(line: int, **extra: Any) -> dict[str, Any]:
    return {"path": "app/main.py", "line": line, "body": "x", **extra}


def test_pull_is_served_in_the_recorded_shape_on_its_own_base(
    fake: FakeGitHub, gh: Github
) -> None:
    pull = gh.get_repo("octo-org/app").get_pull(7)
    assert pull.head.sha == HEAD
    assert pull.number == 7
    raw = requests.get(
        f"{fake.base_url}/repos/octo-org/app/pulls/7",
        headers={"Authorization": f"token {TOKEN}"},
        timeout=5,
    ).json()
    recorded = json.loads(
        (API_FIXTURES / "PullRequest.setUp.02.GET.200.json").read_text()
    )["response_body"]
    assert set(recorded) <= set(raw)
    # PyGithub refuses absolute URLs of another host: none may leak through.
    assert "api.github.com" not in json.dumps(raw)


def test_wrong_token_gets_401(fake: FakeGitHub) -> None:
    gh = make_client("wrong", fake.base_url, throttle_s=0, backoff_s=0)
    with pytest.raises(GithubException) as caught:
        _ = gh.get_repo("octo-org/app").get_pull(7).head
    assert caught.value.status == 401


def test_review_with_a_line_outside_the_hunks_is_rejected_whole(
    fake: FakeGitHub, gh: Github
) -> None:
    pull = gh.get_repo("octo-org/app").get_pull(7)
    with pytest.raises(GithubException) as caught:
        pull.create_review(
            event="COMMENT",
            comments=[_review_comment(4), _review_comment(12)],  # type: ignore[list-item]
        )
    assert caught.value.status == 422
    assert caught.value.data["message"] == "Validation Failed"
    assert fake.reviews == [] and fake.review_comments == []


def test_multi_line_comment_must_stay_in_one_hunk(fake: FakeGitHub, gh: Github) -> None:
    pull = gh.get_repo("octo-org/app").get_pull(7)
    with pytest.raises(GithubException):
        pull.create_review(
            event="COMMENT",
            comments=[_review_comment(21, start_line=8)],  # type: ignore[list-item]
        )
    pull.create_review(
        event="COMMENT",
        comments=[_review_comment(24, start_line=20)],  # type: ignore[list-item]
    )
    assert [(c["start_line"], c["line"]) for c in fake.review_comments] == [(20, 24)]


def test_check_run_requests_carry_at_most_50_annotations(
    fake: FakeGitHub, gh: Github
) -> None:
    note: dict[str, str | int] = {
        "path": "a.py",
        "start_line": 1,
        "end_line": 1,
        "annotation_level": "warning",
        "message": "m",
    }
    repo = gh.get_repo("octo-org/app")
    with pytest.raises(GithubException) as caught:
        repo.create_check_run(
            name="x",
            head_sha=HEAD,
            output={"title": "t", "summary": "s", "annotations": [note] * 51},
        )
    assert caught.value.status == 422
    run = repo.create_check_run(
        name="x",
        head_sha=HEAD,
        output={"title": "t", "summary": "s", "annotations": [note] * 50},
    )
    run.edit(output={"title": "t", "summary": "s", "annotations": [note] * 5})
    assert len(list(run.get_annotations())) == 55


def test_comment_body_over_the_limit_gets_422(fake: FakeGitHub, gh: Github) -> None:
    pull = gh.get_repo("octo-org/app").get_pull(7)
    with pytest.raises(GithubException) as caught:
        pull.create_issue_comment("x" * (MAX_COMMENT_BODY + 1))
    assert caught.value.status == 422
    pull.create_issue_comment("x" * MAX_COMMENT_BODY)
    assert len(fake.issue_comments) == 1


def test_read_only_mode_refuses_writes_but_serves_reads(
    fake: FakeGitHub, gh: Github
) -> None:
    fake.read_only = True
    pull = gh.get_repo("octo-org/app").get_pull(7)
    assert pull.head.sha == HEAD
    with pytest.raises(GithubException) as caught:
        pull.create_issue_comment("hello")
    assert caught.value.status == 403
    assert caught.value.data["message"] == READ_ONLY_MESSAGE


def test_canned_faults_are_used_in_order_then_run_out(
    fake: FakeGitHub, gh: Github
) -> None:
    fake.fail("GET", r"/pulls/7$", 502, times=2)
    assert gh.get_repo("octo-org/app").get_pull(7).head.sha == HEAD
    assert [r.status for r in fake.calls("GET", r"/pulls/7$")] == [502, 502, 200]


def test_pagination_follows_link_headers_on_the_fake_base(
    fake: FakeGitHub, gh: Github
) -> None:
    for n in range(75):
        fake.add_issue_comment(7, f"comment {n}", login="someone")
    comments = list(gh.get_repo("octo-org/app").get_pull(7).get_issue_comments())
    assert [c.body for c in comments] == [f"comment {n}" for n in range(75)]
    assert len(fake.calls("GET", r"/issues/7/comments$")) == 3


def test_user_endpoint_answers_as_an_actions_token_by_default(
    fake: FakeGitHub, gh: Github
) -> None:
    with pytest.raises(GithubException) as caught:
        _ = gh.get_user().login
    assert caught.value.status == 403
    fake.user_login = "octocat"
    assert gh.get_user().login == "octocat"


def test_graphql_review_threads_and_resolve_in_the_real_shapes(
    fake: FakeGitHub, gh: Github
) -> None:
    pull = gh.get_repo("octo-org/app").get_pull(7)
    pull.create_review(
        commit=pull.base.repo.get_commit(HEAD),
        body="x",
        event="COMMENT",
        comments=[_review_comment(4)],  # type: ignore[list-item]
    )
    query = (
        "query($owner: String!, $name: String!, $number: Int!) { repository("
        "owner: $owner, name: $name) { pullRequest(number: $number) { "
        "reviewThreads(first: 100) { nodes { id isResolved comments(first: 1) "
        "{ nodes { databaseId author { login } } } } } } } }"
    )
    variables = {"owner": "octo-org", "name": "app", "number": 7}
    _, data = gh.requester.graphql_query(query, variables)
    (thread,) = data["data"]["repository"]["pullRequest"]["reviewThreads"]["nodes"]
    first = thread["comments"]["nodes"][0]
    assert first["databaseId"] == fake.review_comments[0]["id"]
    assert first["author"]["login"] == "github-actions"  # GraphQL drops "[bot]"
    _, payload = gh.requester.graphql_named_mutation(
        "resolveReviewThread", {"threadId": thread["id"]}, "thread { isResolved }"
    )
    assert payload == {"thread": {"id": thread["id"], "isResolved": True}}
    fake.refuse_resolve = True
    with pytest.raises(GithubException) as refused:
        gh.requester.graphql_named_mutation(
            "resolveReviewThread", {"threadId": thread["id"]}, "thread { id }"
        )
    assert refused.value.data["errors"][0]["type"] == "FORBIDDEN"
    with pytest.raises(UnknownObjectException):  # GraphQL's NOT_FOUND
        gh.requester.graphql_query(query, {**variables, "number": 8})
