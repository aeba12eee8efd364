"""The AI review: deterministic findings in, advisory findings and a summary out.

It runs after the deterministic findings are final and never changes them or
the conclusion. It never raises: no key gives ``skipped``; a prompt that does
not fit gives ``over_budget``; every other failure gives ``unavailable`` with a
one-line notice, and the review is published without AI.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from pattern_review.ai.client import (
    AiUnavailableError,
    ModelReply,
    RetryPolicy,
    ReviewClient,
)
from pattern_review.ai.pricing import Usage, estimate_cost
from pattern_review.ai.prompt import (
    MAX_OUTPUT_TOKENS,
    OverBudgetError,
    Prompt,
    build_prompt,
)
from pattern_review.ai.sanitize import (
    MAX_SUMMARY_CHARS,
    sanitize_markdown,
    sanitize_replacement,
)
from pattern_review.ai.validate import validate_comments
from pattern_review.config import Config
from pattern_review.models import AiInfo, Finding, ReviewTarget
from pattern_review.rulebook.agent_file import AgentFile

log = logging.getLogger(__name__)

DEFAULT_SERVER_URL = "https://github.com"


@dataclass(frozen=True)
class AiRequest:
    """Everything one AI review needs.

    Attributes:
        target: What changed.
        findings: The deterministic findings, already filtered to the diff.
        agent: The rulebook the comments cite.
        config: Model, budget, deadline and filter mode.
        api_key: The Anthropic key; None or empty skips the review.
        pr_title: The pull request's title (untrusted).
        pr_body: The pull request's body (untrusted).
        secrets: Values that must never reach the model or the comment.
        server_url: GitHub's web URL, for the links model text may keep;
            None reads ``GITHUB_SERVER_URL``.
        retry: Backoff settings of the API client.
        uncovered: (slug, sentence) of each agent-file rule no static check
            covers: the rules the model must check (``rulebook/binding.py``); None
            works them out from the agent file and the built-in rules.
        check_suggestions: The review's safe-suggestion check
            (``checks/safe_suggestions.py``): the model's replacements pass it
            like the checks' own, or are dropped; None offers none of them.
    """

    target: ReviewTarget
    findings: list[Finding]
    agent: AgentFile
    config: Config
    api_key: str | None
    pr_title: str = ""
    pr_body: str = ""
    secrets: tuple[str, ...] = ()
    server_url: str | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    uncovered: tuple[tuple[str, str], ...] | None = None
    check_suggestions: Callable[[list[Finding]], list[Finding]] | None = None


@dataclass(frozen=True)
class AiResult:
    """What the AI review adds to the report.

    Attributes:
        info: The report's AI section.
        findings: Advisory findings (``source="ai"``), on changed lines.
    """

    info: AiInfo
    findings: list[Finding] = field(default_factory=list)


def allowed_link_prefixes(request: AiRequest) -> list[str]:
    """Return the URL prefixes model text may link to.

    The agent file lives in the repository, so the repository prefix covers it.

    Args:
        request: The review request.

    Returns:
        The repository's web URL with a trailing slash, or nothing for a local
        review.
    """
    if not request.target.repository:
        return []
    server = request.server_url or os.environ.get(
        "GITHUB_SERVER_URL", DEFAULT_SERVER_URL
    )
    return [f"{server.rstrip('/')}/{request.target.repository}/"]


def _leaked(prompt: Prompt, values: tuple[str, ...]) -> bool:
    sent = json.dumps({"system": prompt.system, "user": prompt.user})
    sent_raw = "\n".join([*(b["text"] for b in prompt.system), prompt.user])
    return any(v and (v in sent or v in sent_raw) for v in values)


def _info(
    request: AiRequest,
    status: str,
    usage: Usage,
    notice: str = "",
    **extra: object,
) -> AiInfo:
    model = request.config.model
    cost = estimate_cost(model, usage)
    if cost is None and usage.input_tokens:
        notice = (notice + " " if notice else "") + f"(no price known for {model})"
    return AiInfo.model_validate(
        {
            "status": status,
            "model": model,
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cache_read_tokens": usage.cache_read_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
            "cost_usd": cost or 0.0,
            "notice": notice,
            **extra,
        }
    )


def _findings(request: AiRequest, reply: ModelReply, prompt: Prompt) -> AiResult:
    validated = validate_comments(
        reply.answer.comments,
        request.target,
        request.config.filter_mode,
        prompt.line_counts,
    )
    secrets = (*request.secrets, *([request.api_key] if request.api_key else []))
    links = allowed_link_prefixes(request)
    findings: list[Finding] = []
    for comment in validated.kept:
        body = sanitize_markdown(
            comment.body, allowed_link_prefixes=links, known_secrets=secrets
        )
        if not body:
            validated.dropped["empty"] = validated.dropped.get("empty", 0) + 1
            continue
        replacement = None
        if comment.replacement is not None:
            replacement = sanitize_replacement(comment.replacement, secrets)
        findings.append(
            Finding(
                rule=f"AI:{comment.pattern}",
                pattern=comment.pattern,
                source="ai",
                severity="note" if comment.severity == "note" else "warning",
                path=comment.path,
                line=comment.line,
                message=body,
                suggestion=replacement,
            )
        )
    findings = _safe_suggestions(request, findings)
    summary = sanitize_markdown(
        reply.answer.summary,
        allowed_link_prefixes=links,
        known_secrets=secrets,
        max_chars=MAX_SUMMARY_CHARS,
    )
    left_out = []
    if prompt.not_sent:
        left_out.append(f"{len(prompt.not_sent)} changed file(s) not sent")
    if prompt.clipped:
        left_out.append(f"{len(prompt.clipped)} clipped")
    notice = f"{', '.join(left_out)} (token budget)" if left_out else ""
    info = _info(
        request,
        "ok",
        reply.usage,
        notice,
        summary=summary,
        dropped=validated.dropped,
        not_sent=prompt.not_sent,
    )
    return AiResult(info, findings)


def _safe_suggestions(request: AiRequest, findings: list[Finding]) -> list[Finding]:
    """Keep a model's replacement only if it leaves ruff as clean as before.

    A suggestion block is one click to commit whoever wrote it; the model's
    pass the same check as the checks' own, and with no check to run none
    is offered.
    """
    if all(f.suggestion is None for f in findings):
        return findings
    if request.check_suggestions is None:
        return [f.model_copy(update={"suggestion": None}) for f in findings]
    return request.check_suggestions(findings)


def _review(request: AiRequest, api_key: str) -> AiResult:
    config = request.config
    secrets = (*request.secrets, api_key)
    try:
        prompt = build_prompt(
            request.target,
            request.findings,
            request.agent,
            config,
            request.pr_title,
            request.pr_body,
            known_secrets=secrets,
            uncovered=request.uncovered,
        )
    except OverBudgetError as exc:
        return AiResult(_info(request, "over_budget", Usage(), str(exc)))
    if _leaked(prompt, secrets):
        # build_prompt redacts these; reaching here means a bug, so send nothing.
        notice = "not sent: the request would have contained a secret"
        return AiResult(_info(request, "unavailable", Usage(), notice))
    client = ReviewClient(
        api_key,
        config.model,
        config.ai_timeout_s,
        request.retry,
        MAX_OUTPUT_TOKENS,
    )
    try:
        reply = client.review(prompt.system, prompt.user)
    except AiUnavailableError as exc:
        notice = str(exc)
        return AiResult(
            _info(request, "unavailable", exc.usage, notice, not_sent=prompt.not_sent)
        )
    return _findings(request, reply, prompt)


def run_ai_review(request: AiRequest) -> AiResult:
    """Run the AI review of one target.

    Args:
        request: The target, its deterministic findings, rulebook, config,
            key and PR text.

    Returns:
        The AI section and advisory findings. Never raises: failures end as
        ``status="unavailable"`` with a one-line notice.
    """
    if not request.api_key:
        return AiResult(
            AiInfo(status="skipped", notice="no Anthropic API key configured")
        )
    try:
        return _review(request, request.api_key)
    # pattern-review: ignore[ERR002] fault boundary: never crash
    except Exception as exc:  # noqa: BLE001 - the AI review is optional: no failure may end the review
        log.warning("AI review failed: %s", type(exc).__name__)
        notice = f"internal error ({type(exc).__name__})"
        return AiResult(
            AiInfo(status="unavailable", model=request.config.model, notice=notice)
        )
