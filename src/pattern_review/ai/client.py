"""Send the review request through the official ``anthropic`` SDK.

The SDK honours ``ANTHROPIC_BASE_URL``. Its own retries are turned off so one
loop here owns them: 408/409/429/5xx (529 ``overloaded_error`` included) and
connection errors are retried with exponential backoff, or after the server's
``retry-after``, all inside one overall deadline. The answer is structured
output (a JSON schema); an answer that cannot be parsed gets one repair
request, then the review goes on without AI.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

import anthropic
from anthropic.types import Message, MessageParam, TextBlockParam
from pydantic import ValidationError

from pattern_review.ai.pricing import Usage
from pattern_review.ai.prompt import ANSWER_SCHEMA
from pattern_review.ai.validate import AiAnswer

RETRY_STATUSES = frozenset({408, 409, 429})
MAX_REPAIR_ECHO_CHARS = 8_000
_JSON_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


class AiUnavailableError(Exception):
    """The model gave no usable answer; the message is the one-line notice.

    Attributes:
        usage: Tokens billed before the failure (a failed repair still costs).
    """

    def __init__(self, notice: str, usage: Usage | None = None) -> None:
        """Create the error.

        Args:
            notice: One line for the reader.
            usage: Tokens billed so far.
        """
        super().__init__(notice)
        self.usage = usage or Usage()


@dataclass(frozen=True)
class RetryPolicy:
    """How failed requests are retried.

    Attributes:
        base_delay_s: First backoff; doubled on each retry, with jitter.
        max_delay_s: Longest backoff of our own (a server's ``retry-after``
            is obeyed as given).
        request_timeout_s: Timeout of one request (never past the deadline).
        min_attempt_s: No request starts with less time than this left.
    """

    base_delay_s: float = 1.0
    max_delay_s: float = 20.0
    request_timeout_s: float = 90.0
    min_attempt_s: float = 2.0


@dataclass(frozen=True)
class ModelReply:
    """A parsed answer and what it cost.

    Attributes:
        answer: The model's summary and comments (still untrusted).
        usage: Tokens billed over every request made, repair included.
        model: The model the API says answered.
        attempts: HTTP requests made, retries and repair included.
        repaired: Whether the answer needed the repair request.
    """

    answer: AiAnswer
    usage: Usage
    model: str
    attempts: int
    repaired: bool


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _retry_after(headers: Iterable[tuple[str, str]]) -> float | None:
    found = {key.lower(): value for key, value in headers}
    try:
        if "retry-after-ms" in found:
            return float(found["retry-after-ms"]) / 1000
        if "retry-after" in found:
            return float(found["retry-after"])
    except ValueError:
        return None
    return None


def _describe(exc: anthropic.APIError) -> str:
    if isinstance(exc, anthropic.APIStatusError):
        body = exc.body if isinstance(exc.body, dict) else {}
        error = body.get("error")
        if not isinstance(error, dict):
            error = {}
        kind = error.get("type") or "error"
        message = error.get("message") or exc.message
        return _one_line(f"HTTP {exc.status_code} {kind}: {message}")
    if isinstance(exc, anthropic.APITimeoutError):
        return "request timed out"
    return _one_line(f"connection error: {exc.message}")


def _retryable(exc: anthropic.APIError) -> bool:
    if not isinstance(exc, anthropic.APIStatusError):
        return isinstance(exc, anthropic.APIConnectionError)
    should = exc.response.headers.get("x-should-retry")
    if should in ("true", "false"):
        return should == "true"
    return exc.status_code in RETRY_STATUSES or exc.status_code >= 500


def _usage(message: Message) -> Usage:
    usage = message.usage
    return Usage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_read_tokens=usage.cache_read_input_tokens or 0,
        cache_write_tokens=usage.cache_creation_input_tokens or 0,
    )


def parse_answer(message: Message) -> AiAnswer:
    """Read the structured answer out of a message.

    Accepts the JSON text of structured output (optionally in a ``json``
    fence) and, for models driven by a tool, a ``tool_use`` block's input.

    Args:
        message: The API's reply.

    Returns:
        The parsed answer.

    Raises:
        ValueError: The answer is not JSON of the expected shape (pydantic's
            ValidationError is a ValueError).
    """
    for block in message.content:
        if block.type == "tool_use" and isinstance(block.input, dict):
            return AiAnswer.model_validate(block.input)
    text = "".join(block.text for block in message.content if block.type == "text")
    if not text.strip():
        raise ValueError("the answer has no text")
    return AiAnswer.model_validate(json.loads(_JSON_FENCE.sub("", text.strip())))


def _answer_text(message: Message) -> str:
    return "".join(b.text for b in message.content if b.type == "text")


class ReviewClient:
    """One review's conversation with the Messages API, bounded by a deadline."""

    def __init__(
        self,
        api_key: str,
        model: str,
        deadline_s: float,
        retry: RetryPolicy,
        max_tokens: int,
    ) -> None:
        """Create the SDK client.

        Args:
            api_key: The Anthropic key (sent only as a header by the SDK).
            model: The model to ask.
            deadline_s: Seconds all requests together may take.
            retry: Backoff settings.
            max_tokens: Output token limit of each request.
        """
        self.model = model
        self.retry = retry
        self.max_tokens = max_tokens
        self.deadline = time.monotonic() + deadline_s
        self.deadline_s = deadline_s
        self.attempts = 0
        self.client = anthropic.Anthropic(
            api_key=api_key, max_retries=0, timeout=retry.request_timeout_s
        )

    def _backoff(self, retry_number: int, exc: anthropic.APIError) -> float:
        if isinstance(exc, anthropic.APIStatusError):
            server = _retry_after(exc.response.headers.items())
            if server is not None:
                # The server knows when it will take us again: waiting less is
                # another refusal, so a wait past the deadline means giving up.
                return max(server, 0.0)
        delay = self.retry.base_delay_s * (2.0**retry_number)
        jitter: float = random.uniform(0.75, 1.0)
        return min(delay, self.retry.max_delay_s) * jitter

    def create(
        self, system: list[TextBlockParam], messages: list[MessageParam]
    ) -> Message:
        """Send one request, retrying transient failures until the deadline.

        Args:
            system: System blocks.
            messages: The conversation.

        Returns:
            The API's reply.

        Raises:
            AiUnavailableError: A permanent error, or the deadline passed.
        """
        retries = 0
        last = ""
        while True:
            remaining = self.deadline - time.monotonic()
            if remaining < self.retry.min_attempt_s:
                raise AiUnavailableError(self._gave_up(last))
            self.attempts += 1
            try:
                return self.client.messages.create(
                    model=self.model,
                    max_tokens=self.max_tokens,
                    system=system,
                    messages=messages,
                    output_config={
                        "format": {"type": "json_schema", "schema": ANSWER_SCHEMA}
                    },
                    timeout=min(self.retry.request_timeout_s, remaining),
                )
            except anthropic.APIError as exc:
                last = _describe(exc)
                if not _retryable(exc):
                    raise AiUnavailableError(last) from exc
                delay = self._backoff(retries, exc)
                if time.monotonic() + delay >= self.deadline:
                    raise AiUnavailableError(self._gave_up(last)) from exc
                time.sleep(delay)
                retries += 1

    def _gave_up(self, last: str) -> str:
        if not self.attempts:
            return f"no time left within the {self.deadline_s:g}s deadline"
        return (
            f"gave up after {self.attempts} attempt(s) within the "
            f"{self.deadline_s:g}s deadline; last: {last}"
        )

    def review(self, system: list[TextBlockParam], user: str) -> ModelReply:
        """Ask for the review; repair an unreadable answer once.

        Args:
            system: System blocks (instructions and rulebook).
            user: The user message.

        Returns:
            The parsed reply.

        Raises:
            AiUnavailableError: No usable answer.
        """
        messages: list[MessageParam] = [{"role": "user", "content": user}]
        message = self.create(system, messages)
        usage = _usage(message)
        if message.stop_reason == "refusal":
            raise AiUnavailableError("the model declined to review this change", usage)
        try:
            answer = parse_answer(message)
            return ModelReply(answer, usage, message.model, self.attempts, False)
        except ValueError as exc:
            problem = _one_line(str(exc).splitlines()[0] if str(exc) else "invalid")
        bad = _answer_text(message)[:MAX_REPAIR_ECHO_CHARS] or "(empty)"
        messages += [
            {"role": "assistant", "content": bad},
            {
                "role": "user",
                "content": (
                    f"That answer could not be read ({problem}). Reply again with "
                    "only the JSON object described in the instructions."
                ),
            },
        ]
        try:
            repaired = self.create(system, messages)
        except AiUnavailableError as exc:
            raise AiUnavailableError(str(exc), usage) from exc
        usage = usage + _usage(repaired)
        try:
            answer = parse_answer(repaired)
        except (ValueError, ValidationError) as exc:
            raise AiUnavailableError(
                "the model's answer was not valid JSON, even after one repair request",
                usage,
            ) from exc
        return ModelReply(answer, usage, repaired.model, self.attempts, True)
