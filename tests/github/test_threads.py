"""Threads follow the code: review threads read and resolved through GraphQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from github import Github, GithubException

from pattern_review.github.client import make_client
from pattern_review.github.comment import ACTIONS_BOT
from pattern_review.github.review_comments import tagged_comments
from pattern_review.github.threads import (
    FIXED_PREFIX,
    follow_threads,
    gone_comments,
    resolve_thread,
    review_threads,
)
from tests.fakes.github_server import TOKEN, FakeGitHub

HEAD = "3" * 40
HUNKS = {"app/service.py": [(1, 50)]}


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.add_pull(7, head_sha=HEAD, hunks=HUNKS)
        yield server


@pytest.fixture
def gh(fake: FakeGitHub) -> Github:
    return make_client(TOKEN, fake.base_url, throttle_s=0, backoff_s=0)


def comment(line: int, fp: str) -> dict[str, object]:
    body = f"**SVC001**: problem\n\n<!-- pattern-review:fp={fp} -->"
    return {"path": "app/service.py", "line": line, "side": "RIGHT", "body": body}


def post(gh: Github, *pairs: tuple[int, str]) -> None:
    pull = gh.get_repo("octo-org/app").get_pull(7)
    pull.create_review(
        commit=pull.base.repo.get_commit(HEAD),
        body="x",
        event="COMMENT",
        comments=[comment(line, fp) for line, fp in pairs],  # type: ignore[misc]
    )


def test_threads_are_read_page_by_page(fake: FakeGitHub, gh: Github) -> None:
    post(gh, *((n, f"fp{n}") for n in range(1, 6)))
    fake.threads_page_size = 2
    pull = gh.get_repo("octo-org/app").get_pull(7)
    threads = list(review_threads(pull.requester, "octo-org/app", 7))
    assert [t.first_comment for t in threads] == [c["id"] for c in fake.review_comments]
    assert not any(t.resolved for t in threads)
    assert len(fake.graphql_calls("reviewThreads")) == 3


def test_resolving_an_unknown_thread_is_a_graphql_error(gh: Github) -> None:
    pull = gh.get_repo("octo-org/app").get_pull(7)
    with pytest.raises(GithubException):
        resolve_thread(pull.requester, "PRRT_nope")


def test_only_the_gone_findings_of_checks_that_ran_are_followed(
    fake: FakeGitHub, gh: Github
) -> None:
    post(gh, (1, "fpA"), (2, "fpB"), (3, "fpC"))
    pull = gh.get_repo("octo-org/app").get_pull(7)
    tagged = tagged_comments(pull.get_review_comments(), {ACTIONS_BOT})
    # fpA is still there; fpC's check did not run: only fpB is fixed.
    gone = gone_comments(tagged, current={"fpA"}, checked={"fpA", "fpB"})
    assert set(gone) == {"fpB"}
    result = follow_threads(pull, "octo-org/app", gone, HEAD)
    assert (result.resolved, result.marked) == (1, 0)
    ids = {fp: c.id for fp, c in tagged.items()}
    assert fake.thread_resolved(ids["fpB"])
    assert not fake.thread_resolved(ids["fpA"]) and not fake.thread_resolved(ids["fpC"])


def test_a_refused_query_marks_the_comments_instead(
    fake: FakeGitHub, gh: Github
) -> None:
    post(gh, (1, "fpA"))
    fake.fail("POST", r"^/graphql$", 403, times=None)
    pull = gh.get_repo("octo-org/app").get_pull(7)
    tagged = tagged_comments(pull.get_review_comments(), {ACTIONS_BOT})
    result = follow_threads(pull, "octo-org/app", tagged, HEAD)
    assert (result.resolved, result.marked) == (0, 1)
    assert fake.review_comments[0]["body"].startswith(f"{FIXED_PREFIX} 333333333333")


def test_a_thread_someone_resolved_is_left_alone(fake: FakeGitHub, gh: Github) -> None:
    post(gh, (1, "fpA"))
    fake.review_comments[0]["_resolved"] = True
    pull = gh.get_repo("octo-org/app").get_pull(7)
    tagged = tagged_comments(pull.get_review_comments(), {ACTIONS_BOT})
    result = follow_threads(pull, "octo-org/app", tagged, HEAD)
    assert (result.resolved, result.marked) == (0, 0)
    assert fake.graphql_calls("resolveReviewThread") == []
    assert fake.writes()[-1].path.endswith("/graphql")  # the query, no edit
