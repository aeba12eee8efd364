"""The model's suggestions pass the same ruff check as the checks' own.

Real ruff on a real git repo, the real anthropic SDK against the loopback
fake Messages API.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pattern_review.ai.review import AiRequest, run_ai_review
from pattern_review.config import Config
from pattern_review.models import Finding, ReviewTarget
from pattern_review.review import AiOptions, run_review
from pattern_review.rulebook.agent_file import builtin_agent_file
from tests.ai.test_review import API_KEY, FAST, ROUTER, ROUTER_BASE, ROUTER_HEAD
from tests.fakes.anthropic_server import FakeAnthropic, answer
from tests.gitrepo import GitRepo

SAFE_LINE = "    price = len(name) * 3"
UNSAFE_LINE = "    if price > 10:"


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
        yield fake


@pytest.fixture
def target(git_repo: GitRepo) -> ReviewTarget:
    git_repo.write(ROUTER, ROUTER_BASE, dedent=False)
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.write(ROUTER, ROUTER_HEAD, dedent=False)
    git_repo.commit("feature")
    from pattern_review.target import build_target

    return build_target(git_repo.path, "main", "HEAD", repository="acme/shop", pr=7)


def _line(target: ReviewTarget, text: str) -> int:
    lines = (target.repo / ROUTER).read_text().splitlines()
    return lines.index(text) + 1


def _comment(target: ReviewTarget, line: str, replacement: str) -> dict[str, Any]:
    return {
        "path": ROUTER,
        "line": _line(target, line),
        "pattern": "router-pattern",
        "severity": "warning",
        "body": f"Consider changing line {_line(target, line)}.",
        "replacement": replacement,
    }


def _reply(target: ReviewTarget) -> dict[str, Any]:
    return {
        "summary": "Two suggestions.",
        "comments": [
            # Safe: ruff check and ruff format find nothing new.
            _comment(target, SAFE_LINE, "    price = len(name) * 4\n"),
            # Unsafe: an import nothing uses (F401) once committed.
            _comment(target, UNSAFE_LINE, "    import os\n\n    if price > 10:\n"),
        ],
    }


def _advisory(findings: list[Finding]) -> dict[str, Finding]:
    return {f.message.split(".")[0]: f for f in findings if f.source == "ai"}


def test_a_model_suggestion_that_breaks_lint_is_dropped_with_what_to_do(
    target: ReviewTarget, api: FakeAnthropic
) -> None:
    api.replies = [answer(_reply(target))]
    config = Config(checks=["ruff", "conventions"], model="claude-sonnet-5-5")

    report = run_review(target, config, builtin_agent_file(), ai=AiOptions(API_KEY))

    assert report.ai.status == "ok"
    advisory = _advisory(report.findings)
    safe = advisory[f"Consider changing line {_line(target, SAFE_LINE)}"]
    unsafe = advisory[f"Consider changing line {_line(target, UNSAFE_LINE)}"]
    assert safe.suggestion == "    price = len(name) * 4\n"
    assert unsafe.suggestion is None
    assert "No one-click fix" in unsafe.message and "F401" in unsafe.message
    assert safe.project == "."  # checked in its project


def test_with_no_check_to_run_no_model_suggestion_is_offered(
    target: ReviewTarget, api: FakeAnthropic
) -> None:
    api.replies = [answer(_reply(target))]
    request = AiRequest(
        target=target,
        findings=[],
        agent=builtin_agent_file(),
        config=Config(model="claude-sonnet-5-5"),
        api_key=API_KEY,
        retry=FAST,
    )

    result = run_ai_review(request)

    assert result.info.status == "ok" and len(result.findings) == 2
    assert all(f.suggestion is None for f in result.findings)
