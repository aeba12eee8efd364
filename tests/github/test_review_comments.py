"""Inline comments: one batched review on in-diff lines, no duplicates."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from github import Github, GithubException

from pattern_review.github.client import make_client
from pattern_review.github.comment import ACTIONS_BOT
from pattern_review.github.review_comments import (
    FP_TAG,
    inline_body,
    plan_inline,
    post_review,
    posted_fingerprints,
)
from pattern_review.models import Finding, Report, TargetInfo
from pattern_review.rulebook.agent_file import AgentFile, builtin_agent_file
from tests.fakes.github_server import TOKEN, FakeGitHub

HEAD = "2" * 40
HUNKS = {"app/service.py": [(10, 20), (40, 45)]}
AUTHORS = frozenset({ACTIONS_BOT})


def finding(
    line: int,
    *,
    end_line: int = 0,
    severity: str = "warning",
    path: str = "app/service.py",
    suggestion: str | None = None,
    fp: str = "",
) -> Finding:
    return Finding.model_validate(
        {
            "rule": "SVC001",
            "pattern": "service-pattern",
            "source": "convention",
            "severity": severity,
            "path": path,
            "line": line,
            "end_line": end_line,
            "message": f"problem at {line}",
            "fingerprint": fp or f"fp-{path}-{line}",
            "suggestion": suggestion,
        }
    )


def report(findings: list[Finding]) -> Report:
    return Report(
        conclusion="failure",
        base="0" * 40,
        head=HEAD,
        target=TargetInfo(repository="octo-org/app", pr=7),
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


def test_only_lines_inside_hunks_are_planned(agent: AgentFile) -> None:
    findings = [finding(12), finding(30), finding(41), finding(5, path="other.py")]
    plan = plan_inline(report(findings), agent, blob_base=None, max_inline=10)
    assert [c["line"] for c in plan.comments] == [12, 41]
    assert [f.line for f in plan.outside_diff] == [30, 5]


def test_multi_line_range_only_within_one_hunk(agent: AgentFile) -> None:
    inside = finding(11, end_line=14, suggestion="a\nb\nc\nd\n")
    across = finding(18, end_line=42, suggestion="x\n")
    plan = plan_inline(report([inside, across]), agent, blob_base=None, max_inline=10)
    by_line = {c["line"]: c for c in plan.comments}
    assert by_line[14]["start_line"] == 11
    assert "```suggestion\na\nb\nc\nd\n```" in str(by_line[14]["body"])
    # Spanning two hunks: a single-line comment, and no suggestion (it
    # would replace the wrong lines).
    assert "start_line" not in by_line[18]
    assert "suggestion" not in str(by_line[18]["body"])


def test_cap_keeps_the_most_severe(agent: AgentFile) -> None:
    findings = [finding(n, severity="note") for n in range(10, 15)]
    findings.append(finding(20, severity="error"))
    plan = plan_inline(report(findings), agent, blob_base=None, max_inline=2)
    assert [f.line for f in plan.posted] == [20, 10]
    assert len(plan.over_cap) == 4


def test_body_escapes_pr_text_and_carries_the_fingerprint(agent: AgentFile) -> None:
    evil = finding(12, fp="fp1").model_copy(
        update={"message": "<img src=x> @admin **bold**"}
    )
    body = inline_body(evil, agent, "https://github.com/o/r/blob/abc")
    assert "<img" not in body and "@admin" not in body
    assert FP_TAG.format("fp1") in body


def test_suggestion_with_backticks_gets_a_longer_fence(agent: AgentFile) -> None:
    body = inline_body(finding(12, suggestion='x = """\n```\n"""\n'), agent, None)
    assert "````suggestion\n" in body and body.count("````") == 2


def test_review_is_one_request_and_reruns_post_no_duplicates(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    pull = gh.get_repo("octo-org/app").get_pull(7)
    first = report([finding(12), finding(42), finding(30)])
    plan = plan_inline(first, agent, blob_base=None, max_inline=10)
    assert post_review(pull, HEAD, plan) == 2
    assert len(fake.calls("POST", r"/reviews$")) == 1
    review = fake.reviews[0]
    assert review["commit_id"] == HEAD and review["state"] == "COMMENTED"

    second = report([finding(12), finding(42), finding(15)])
    already = posted_fingerprints(pull.get_review_comments(), AUTHORS)
    plan2 = plan_inline(second, agent, blob_base=None, max_inline=10, already=already)
    assert [f.line for f in plan2.already_posted] == [12, 42]
    assert post_review(pull, HEAD, plan2) == 1
    assert sorted(c["line"] for c in fake.review_comments) == [12, 15, 42]


def test_nothing_to_post_sends_no_request(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    pull = gh.get_repo("octo-org/app").get_pull(7)
    plan = plan_inline(report([finding(30)]), agent, blob_base=None, max_inline=10)
    assert post_review(pull, HEAD, plan) == 0
    assert fake.writes() == []


def test_tags_by_other_users_do_not_count_as_posted(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    fake.comment_login = "mallory"
    pull = gh.get_repo("octo-org/app").get_pull(7)
    plan = plan_inline(report([finding(12)]), agent, blob_base=None, max_inline=10)
    post_review(pull, HEAD, plan)
    assert posted_fingerprints(pull.get_review_comments(), AUTHORS) == set()
    assert posted_fingerprints(pull.get_review_comments(), {"mallory"}) == {
        "fp-app/service.py-12"
    }


def test_planned_review_passes_the_fakes_validation_even_for_edge_lines(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    # Hunk edges, a range ending on the last hunk line, a range starting
    # before the hunk: all must be accepted (a single 422 loses the review).
    findings = [
        finding(10),
        finding(20),
        finding(40, end_line=45),
        finding(8, end_line=11),
    ]
    pull = gh.get_repo("octo-org/app").get_pull(7)
    plan = plan_inline(report(findings), agent, blob_base=None, max_inline=10)
    try:
        posted = post_review(pull, HEAD, plan)
    except GithubException as exc:  # pragma: no cover - shows the 422 body
        pytest.fail(f"review rejected: {exc.data}")
    assert posted == 3


def test_a_tag_quoted_by_pr_text_does_not_pass_for_a_posted_finding(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    # The message and the suggestion quote PR code, which may hold a tag.
    fake_tag = FP_TAG.format("fp-app/service.py-42")
    quoting = finding(12, suggestion=f"log = get('{fake_tag}')\n").model_copy(
        update={"message": f"Logger is `getLogger('{fake_tag}')`"}
    )
    pull = gh.get_repo("octo-org/app").get_pull(7)
    plan = plan_inline(report([quoting]), agent, blob_base=None, max_inline=10)
    post_review(pull, HEAD, plan)
    already = posted_fingerprints(pull.get_review_comments(), AUTHORS)
    assert already == {"fp-app/service.py-12"}


def test_findings_the_previous_run_reviewed_are_not_posted_later(
    agent: AgentFile,
) -> None:
    # The previous run saw fp-…-12 but the cap left it out: it stays out.
    findings = [finding(12), finding(15)]
    plan = plan_inline(
        report(findings),
        agent,
        blob_base=None,
        max_inline=10,
        reviewed={"fp-app/service.py-12"},
    )
    assert [f.line for f in plan.posted] == [15]
    assert [f.line for f in plan.not_new] == [12]
    # On a first run (no previous review) every finding is new.
    first = plan_inline(report(findings), agent, blob_base=None, max_inline=10)
    assert [f.line for f in first.posted] == [12, 15]


def test_threaded_lines_cover_posted_and_earlier_comments(agent: AgentFile) -> None:
    findings = [finding(12, end_line=14), finding(15), finding(18)]
    plan = plan_inline(
        report(findings),
        agent,
        blob_base=None,
        max_inline=1,
        already={"fp-app/service.py-15"},
    )
    assert plan.threaded_lines() == {("app/service.py", n) for n in (12, 13, 14, 15)}
    assert [f.line for f in plan.over_cap] == [18]


def test_an_inline_comment_quotes_the_sentence_its_rule_is_bound_to(
    agent: AgentFile,
) -> None:
    body = inline_body(finding(12), agent, "https://github.com/o/r/blob/abc")
    quote = next(line for line in body.splitlines() if line.startswith("> "))
    # SVC001's sentence in the built-in file, not the section's first bullet.
    assert "Inject `AsyncSession` via constructor" in quote, body
    assert "(built-in agent file line " in quote
