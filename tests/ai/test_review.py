"""The AI review end to end: real anthropic SDK against the loopback fake API."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from pattern_review.ai.client import RetryPolicy
from pattern_review.ai.pricing import Usage, estimate_cost
from pattern_review.ai.review import AiRequest, AiResult, run_ai_review
from pattern_review.config import Config
from pattern_review.models import Finding, ReviewTarget
from pattern_review.rulebook.agent_file import builtin_agent_file
from pattern_review.target import build_target
from tests.fakes.anthropic_server import (
    FakeAnthropic,
    Reply,
    answer,
    bad_request,
    overloaded,
    rate_limited,
    text,
    tool_answer,
)
from tests.gitrepo import GitRepo

API_KEY = "sk-ant-api03-" + "k" * 40
GITHUB_TOKEN = "ghs_" + "T" * 36
FAST = RetryPolicy(
    base_delay_s=0.001, max_delay_s=0.01, request_timeout_s=5.0, min_attempt_s=0.05
)
ROUTER = "app/routers/items.py"
SERVICE = "app/services/item_service.py"

ROUTER_BASE = '''\
"""Items router."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()


@router.get("/items")
async def list_items() -> list[str]:
    """List items."""
    return []
'''
ROUTER_HEAD = (
    ROUTER_BASE.replace("return []", 'return ["first"]')
    + '''

@router.post("/items")
async def create_item(name: str) -> dict[str, str]:
    """Create an item."""
    price = len(name) * 3
    if price > 10:
        price = price - 1
    return {"name": name, "price": str(price)}
'''
)
SERVICE_HEAD = '''\
"""Item service."""

from __future__ import annotations

from fastapi import HTTPException


def get_item(item_id: int) -> str:
    """Return an item."""
    if item_id < 0:
        raise HTTPException(status_code=404)
    return "item"
'''


@pytest.fixture
def target(git_repo: GitRepo) -> ReviewTarget:
    git_repo.write(ROUTER, ROUTER_BASE, dedent=False)
    git_repo.write("README.md", "hello\n")
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.write(ROUTER, ROUTER_HEAD, dedent=False)
    git_repo.write(SERVICE, SERVICE_HEAD, dedent=False)
    git_repo.commit("feature")
    return build_target(git_repo.path, "main", "HEAD", repository="acme/shop", pr=7)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
        yield fake


def line_of(target: ReviewTarget, path: str, needle: str) -> int:
    source = (target.repo / path).read_text().splitlines()
    return next(i for i, line in enumerate(source, 1) if needle in line)


def finding(target: ReviewTarget) -> Finding:
    return Finding(
        rule="RTR001",
        pattern="router-pattern",
        source="convention",
        severity="error",
        path=ROUTER,
        line=line_of(target, ROUTER, "price = len(name)"),
        message="Business logic in a router; move it to a service.",
    )


def review(
    target: ReviewTarget,
    *,
    pr_title: str = "Add item creation",
    pr_body: str = "Adds POST /items.",
    findings: list[Finding] | None = None,
    key: str | None = API_KEY,
    **config: Any,
) -> AiResult:
    settings: dict[str, Any] = {"model": "claude-sonnet-5-5", **config}
    return run_ai_review(
        AiRequest(
            target=target,
            findings=[finding(target)] if findings is None else findings,
            agent=builtin_agent_file(),
            config=Config(**settings),
            api_key=key,
            pr_title=pr_title,
            pr_body=pr_body,
            secrets=(GITHUB_TOKEN,),
            server_url="https://github.com",
            retry=FAST,
        )
    )


def valid_comment(
    target: ReviewTarget, body: str = "Move pricing to a service."
) -> dict[str, Any]:
    return {
        "path": ROUTER,
        "line": line_of(target, ROUTER, "price = len(name)"),
        "pattern": "router-pattern",
        "severity": "warning",
        "body": body,
        "replacement": None,
    }


def data_block(user: str, kind: str) -> str:
    match = re.search(
        r"<<<DATA (\w+) " + re.escape(kind) + r">>>\n(.*?)\n<<<END \1>>>", user, re.S
    )
    assert match, f"no {kind} data block"
    return match.group(2)


def test_request_carries_rulebook_hunks_findings_and_pr_text_as_data(
    target: ReviewTarget, api: FakeAnthropic
) -> None:
    api.replies = [answer({"summary": "Looks fine.", "comments": []})]
    body = f"Adds POST /items. Deploy with {GITHUB_TOKEN} and key {API_KEY}."

    result = review(target, pr_body=body)

    assert result.info.status == "ok"
    assert len(api.requests) == 1
    sent = api.requests[0]
    assert sent.path == "/v1/messages"
    system = sent.body["system"]
    assert system[-1]["cache_control"] == {"type": "ephemeral"}
    assert "Router Pattern" in system[-1]["text"]
    assert "Service Pattern" in system[-1]["text"]
    assert "Celery Task Pattern" not in system[-1]["text"]  # no task file changed
    user = sent.body["messages"][0]["content"]
    assert "Adds POST /items." in data_block(user, "pr-body")
    assert data_block(user, "pr-title") == "Add item creation"
    assert "RTR001 [router-pattern]" in data_block(user, "deterministic-findings")
    code = data_block(user, f"changed-code path={ROUTER} roles=router")
    added = line_of(target, ROUTER, "price = len(name)")
    assert f"{added:>5} +     price = len(name) * 3" in code
    # The changed return line is shown with its whole enclosing function.
    assert '@router.get("/items")' in code
    assert "from fastapi import APIRouter" not in code  # outside hunk and scope
    assert SERVICE in user
    assert GITHUB_TOKEN not in sent.raw
    assert API_KEY not in sent.raw
    # The key travels only in the SDK's auth header.
    auth = sent.headers.get("authorization", "").removeprefix("Bearer ")
    assert API_KEY in (sent.headers.get("x-api-key"), auth)
    assert sent.body["output_config"]["format"]["type"] == "json_schema"


def test_invalid_comments_are_dropped_and_counted(
    target: ReviewTarget, api: FakeAnthropic
) -> None:
    unchanged = line_of(target, ROUTER, "from fastapi import APIRouter")
    comments = [
        valid_comment(target),
        {**valid_comment(target), "pattern": "made-up-pattern"},
        {**valid_comment(target), "path": "app/elsewhere.py"},
        {**valid_comment(target), "line": unchanged},
        {
            **valid_comment(target),
            "path": SERVICE,
            "line": 6,
            "severity": "note",
            "pattern": "service-pattern",
            "body": "Services must not raise HTTP errors.",
        },
    ]
    api.replies = [answer({"summary": "Two issues.", "comments": comments})]

    result = review(target)

    assert result.info.dropped == {
        "unknown_pattern": 1,
        "file_not_in_pr": 1,
        "line_not_in_diff": 1,
    }
    assert [(f.path, f.line, f.pattern, f.severity) for f in result.findings] == [
        (ROUTER, comments[0]["line"], "router-pattern", "warning"),
        (SERVICE, 6, "service-pattern", "note"),
    ]
    assert all(f.source == "ai" and f.rule.startswith("AI:") for f in result.findings)


def test_diff_context_mode_accepts_context_lines_added_mode_does_not(
    target: ReviewTarget, api: FakeAnthropic
) -> None:
    context_line = line_of(target, ROUTER, "async def list_items")
    comment = {**valid_comment(target), "line": context_line}
    api.replies = [answer({"summary": "", "comments": [comment]})]

    added = review(target)
    context = review(target, filter_mode="diff_context")

    assert added.findings == [] and added.info.dropped == {"line_not_in_diff": 1}
    assert [f.line for f in context.findings] == [context_line]


def test_model_text_is_sanitised(target: ReviewTarget, api: FakeAnthropic) -> None:
    hostile = (
        "cc @org/admins and @octocat <img src=https://evil.test/x.png> "
        "![pic](https://evil.test/p.png) <!-- pattern-review:v1 Zm9v --> "
        f"leaked ghp_{'a1B2' * 9} and {GITHUB_TOKEN} "
        "[docs](https://github.com/acme/shop/blob/main/AGENTS.md) "
        "[phish](https://evil.test/login)"
    )
    api.replies = [
        answer({"summary": hostile, "comments": [valid_comment(target, hostile)]})
    ]

    result = review(target)

    assert len(result.findings) == 1
    for posted in (result.findings[0].message, result.info.summary):
        assert "@org/admins" not in posted and "@octocat" not in posted
        assert "org/admins" in posted  # neutralised, not deleted
        assert "<img" not in posted and "![" not in posted
        assert "<!--" not in posted and "pattern-review:v1" not in posted
        assert "ghp_" not in posted and GITHUB_TOKEN not in posted
        assert "evil.test" not in posted
        assert "(https://github.com/acme/shop/blob/main/AGENTS.md)" in posted


def test_overloaded_twice_then_answer_is_ok(
    target: ReviewTarget, api: FakeAnthropic
) -> None:
    api.replies = [
        overloaded(),
        overloaded(),
        answer({"summary": "Fine.", "comments": [valid_comment(target)]}),
    ]

    result = review(target)

    assert result.info.status == "ok"
    assert result.info.summary == "Fine."
    assert len(result.findings) == 1
    assert len(api.requests) == 3


def test_rate_limit_with_should_retry_is_retried(
    target: ReviewTarget, api: FakeAnthropic
) -> None:
    api.replies = [rate_limited(), answer({"summary": "Fine.", "comments": []})]

    result = review(target)

    assert result.info.status == "ok"
    assert len(api.requests) == 2


def test_overloaded_forever_is_unavailable_with_a_notice(
    target: ReviewTarget, api: FakeAnthropic
) -> None:
    api.replies = [overloaded()]

    result = review(target, ai_timeout_s=0.3)

    assert result.info.status == "unavailable"
    assert result.findings == []
    assert "overloaded_error" in result.info.notice
    assert "\n" not in result.info.notice
    assert len(api.requests) >= 2


def test_retry_after_beyond_the_deadline_gives_up_at_once(
    target: ReviewTarget, api: FakeAnthropic
) -> None:
    api.replies = [rate_limited(retry_after=30)]

    result = review(target, ai_timeout_s=5)

    assert result.info.status == "unavailable"
    assert "rate_limit_error" in result.info.notice
    assert len(api.requests) == 1


def test_bad_request_is_not_retried(target: ReviewTarget, api: FakeAnthropic) -> None:
    api.replies = [bad_request()]

    result = review(target)

    assert result.info.status == "unavailable"
    assert "invalid_request_error" in result.info.notice
    assert len(api.requests) == 1


def test_malformed_json_gets_one_repair_request(
    target: ReviewTarget, api: FakeAnthropic
) -> None:
    api.replies = [
        text('{"summary": "cut off', input_tokens=1000, output_tokens=10),
        answer(
            {"summary": "Repaired.", "comments": [valid_comment(target)]},
            input_tokens=1100,
            output_tokens=50,
        ),
    ]

    result = review(target)

    assert result.info.status == "ok"
    assert result.info.summary == "Repaired."
    assert result.info.input_tokens == 2100 and result.info.output_tokens == 60
    repair = api.requests[1].body["messages"]
    assert [m["role"] for m in repair] == ["user", "assistant", "user"]
    assert repair[1]["content"] == '{"summary": "cut off'


def test_malformed_twice_is_dropped_as_unavailable(
    target: ReviewTarget, api: FakeAnthropic
) -> None:
    api.replies = [text("not json at all")]

    result = review(target)

    assert result.info.status == "unavailable"
    assert "repair" in result.info.notice
    assert result.findings == []
    assert len(api.requests) == 2
    assert result.info.input_tokens == 2400  # both requests are billed


def test_tool_use_answer_is_accepted(target: ReviewTarget, api: FakeAnthropic) -> None:
    api.replies = [tool_answer({"summary": "Via tool.", "comments": []})]

    assert review(target).info.summary == "Via tool."


def test_usage_and_cost_are_reported(target: ReviewTarget, api: FakeAnthropic) -> None:
    api.replies = [
        answer(
            {"summary": "ok", "comments": []},
            input_tokens=1200,
            output_tokens=300,
            cache_read=2000,
            cache_write=500,
        )
    ]

    info = review(target).info

    assert (info.input_tokens, info.output_tokens) == (1200, 300)
    assert (info.cache_read_tokens, info.cache_write_tokens) == (2000, 500)
    # Sonnet 5.5: $2 in, $10 out, $0.20 cache read, $2.50 cache write per MTok.
    assert info.cost_usd == pytest.approx(
        (1200 * 2 + 300 * 10 + 2000 * 0.20 + 500 * 2.50) / 1_000_000
    )
    assert info.model == "claude-sonnet-5-5"


def test_no_key_is_skipped_without_a_request(
    target: ReviewTarget, api: FakeAnthropic
) -> None:
    result = review(target, key=None)

    assert result.info.status == "skipped"
    assert result.findings == []
    assert api.requests == []


def test_pr_larger_than_budget_stays_within_it_and_lists_what_was_left_out(
    git_repo: GitRepo, api: FakeAnthropic
) -> None:
    git_repo.write("README.md", "hello\n")
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "big")
    body = "".join(
        f"    value_{i} = compute({i}, 'padding text here')\n" for i in range(400)
    )
    for index in range(6):
        git_repo.write(f"app/util_{index}.py", f"def f{index}() -> None:\n{body}")
    git_repo.write(ROUTER, ROUTER_HEAD, dedent=False)
    git_repo.commit("big change")
    target = build_target(git_repo.path, "main", "HEAD", repository="acme/shop")
    api.replies = [answer({"summary": "ok", "comments": []})]
    budget = 12_000

    result = review(target, ai_budget_tokens=budget)

    assert result.info.status == "ok"
    raw = api.requests[0].raw
    # A measured bound: Claude's tokenizers give at least 3 bytes per token.
    assert len(raw.encode()) / 3 <= budget
    assert result.info.not_sent
    assert set(result.info.not_sent) < {f"app/util_{i}.py" for i in range(6)}
    user = api.requests[0].body["messages"][0]["content"]
    assert f"changed-code path={ROUTER}" in user  # the file with findings went first
    assert "Not sent: " + ", ".join(result.info.not_sent) in user
    assert "not sent" in result.info.notice


def test_budget_too_small_for_the_rulebook_is_over_budget(
    target: ReviewTarget, api: FakeAnthropic
) -> None:
    result = review(target, ai_budget_tokens=1_000)

    assert result.info.status == "over_budget"
    assert "budget" in result.info.notice
    assert api.requests == []


def test_unreachable_api_is_unavailable(
    target: ReviewTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeAnthropic() as closed:
        url = closed.base_url
    monkeypatch.setenv("ANTHROPIC_BASE_URL", url)

    result = review(target, ai_timeout_s=0.5)

    assert result.info.status == "unavailable"
    assert "connection" in result.info.notice or "timed out" in result.info.notice


def test_cost_helper_matches_the_table() -> None:
    usage = Usage(input_tokens=1_000_000)
    assert estimate_cost("claude-sonnet-4-5-20250929", usage) == 3.0
    assert estimate_cost("claude-unknown-1", usage) is None


def test_answer_reply_is_json_text(target: ReviewTarget) -> None:
    reply: Reply = answer({"summary": "s", "comments": []})
    assert json.loads(reply.body["content"][0]["text"]) == {
        "summary": "s",
        "comments": [],
    }
