"""A loopback fake of the Anthropic Messages API, for tests that drive the real SDK.

The server runs on ``127.0.0.1`` on a free port and answers ``POST
/v1/messages`` from a scripted queue of replies, in the shapes of the recorded
responses in ``tests/fixtures/anthropic/extracted``: a 200 message (its
content and usage replaced), a 429 ``rate_limit_error`` with
``x-should-retry``, a 400 ``invalid_request_error``, and a 529
``overloaded_error`` in the same error envelope. When the queue runs dry the
last reply repeats (so "529 forever" is one scripted reply). Every request's
headers and JSON body are recorded.

Usage::

    with FakeAnthropic([overloaded(), overloaded(), answer({...})]) as api:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
        ... real anthropic.Anthropic(...) ...
        api.requests[0].body["system"]
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from tests.conftest import FIXTURES

EXTRACTED = FIXTURES / "anthropic" / "extracted"
OK_FIXTURE = (
    "test_runners__TestSyncRunTools__f59a9391-643b-422c-96dc-1f28bc7ea4d7"
    ".01.200.message_stop-tool_use.json"
)
RATE_LIMIT_FIXTURE = (
    "test_messages__TestAsyncParse__d743d628-16aa-4c9f-ae78-51deb578f746"
    ".01.429.error_rate_limit_error.json"
)
BAD_REQUEST_FIXTURE = (
    "test_runners__TestSyncRunTools__f59a9391-643b-422c-96dc-1f28bc7ea4d7"
    ".02.400.error_invalid_request_error.json"
)
# Hop-by-hop and length headers are the server's own business.
_DROPPED_HEADERS = frozenset({"content-length", "connection", "transfer-encoding"})


@cache
def _fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXTRACTED / name).read_text())
    return data


@dataclass
class Reply:
    """One scripted HTTP answer.

    Attributes:
        status: HTTP status.
        body: JSON body.
        headers: Response headers.
    """

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Received:
    """One request the fake received.

    Attributes:
        path: Request path.
        headers: Request headers, names lower-cased.
        body: The JSON body.
        raw: The body exactly as sent.
    """

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    raw: str


def _from_fixture(name: str) -> Reply:
    recorded = _fixture(name)
    headers = {
        key: value
        for key, value in recorded["headers"].items()
        if key.lower() not in _DROPPED_HEADERS
    }
    return Reply(recorded["status_code"], copy.deepcopy(recorded["body"]), headers)


def message(
    content: list[dict[str, Any]],
    *,
    input_tokens: int = 1200,
    output_tokens: int = 300,
    cache_read: int = 0,
    cache_write: int = 0,
    stop_reason: str = "end_turn",
    model: str = "claude-sonnet-5-5",
) -> Reply:
    """Return a 200 message reply built on the recorded one.

    Args:
        content: Content blocks.
        input_tokens: Usage: uncached input tokens.
        output_tokens: Usage: output tokens.
        cache_read: Usage: tokens read from the prompt cache.
        cache_write: Usage: tokens written to the prompt cache.
        stop_reason: Why the model stopped.
        model: The model the reply names.

    Returns:
        The reply.
    """
    reply = _from_fixture(OK_FIXTURE)
    reply.body.update(content=content, stop_reason=stop_reason, model=model)
    reply.body["usage"].update(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cache_read_input_tokens=cache_read,
        cache_creation_input_tokens=cache_write,
    )
    reply.body["usage"]["cache_creation"]["ephemeral_5m_input_tokens"] = cache_write
    return reply


def answer(data: dict[str, Any], **usage: Any) -> Reply:
    """Return a structured-output reply: the JSON answer as a text block.

    Args:
        data: The answer object (summary, comments).
        **usage: Passed to :func:`message`.

    Returns:
        The reply.
    """
    return message([{"type": "text", "text": json.dumps(data)}], **usage)


def text(raw: str, **usage: Any) -> Reply:
    """Return a reply whose only text block is ``raw`` (e.g. malformed JSON).

    Args:
        raw: The text.
        **usage: Passed to :func:`message`.

    Returns:
        The reply.
    """
    return message([{"type": "text", "text": raw}], **usage)


def tool_answer(data: dict[str, Any], name: str = "submit_review") -> Reply:
    """Return a reply carrying the answer as a ``tool_use`` block's input.

    Args:
        data: The answer object.
        name: The tool's name.

    Returns:
        The reply.
    """
    block = {"type": "tool_use", "id": "toolu_01Fake", "name": name, "input": data}
    return message([block], stop_reason="tool_use")


def rate_limited(retry_after: float | None = None) -> Reply:
    """Return the recorded 429 ``rate_limit_error``.

    Args:
        retry_after: A ``retry-after`` header value in seconds, if any.

    Returns:
        The reply.
    """
    reply = _from_fixture(RATE_LIMIT_FIXTURE)
    if retry_after is not None:
        reply.headers["retry-after"] = str(retry_after)
    return reply


def overloaded() -> Reply:
    """Return a 529 ``overloaded_error`` in the 429's envelope.

    Returns:
        The reply.
    """
    reply = _from_fixture(RATE_LIMIT_FIXTURE)
    reply.status = 529
    reply.body["error"] = {"type": "overloaded_error", "message": "Overloaded"}
    return reply


def bad_request() -> Reply:
    """Return the recorded 400 ``invalid_request_error``.

    Returns:
        The reply.
    """
    return _from_fixture(BAD_REQUEST_FIXTURE)


class FakeAnthropic:
    """A threaded HTTP server answering ``/v1/messages`` from a script."""

    def __init__(self, replies: Iterable[Reply] = ()) -> None:
        """Create the server (not yet listening).

        Args:
            replies: Answers in order; the last one repeats.
        """
        self.replies = list(replies)
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        self._last: Reply | None = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def base_url(self) -> str:
        """The URL to give the SDK (``ANTHROPIC_BASE_URL``)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def _next(self) -> Reply:
        with self._lock:
            if self.replies:
                self._last = self.replies.pop(0)
            if self._last is None:
                raise AssertionError("FakeAnthropic has no scripted reply")
            return self._last

    def _record(self, received: Received) -> None:
        with self._lock:
            self.requests.append(received)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length).decode("utf-8")
                headers = {k.lower(): v for k, v in self.headers.items()}
                fake._record(Received(self.path, headers, json.loads(raw), raw))
                if self.path.split("?")[0] != "/v1/messages":
                    self._send(Reply(404, {"type": "error", "error": {}}))
                    return
                self._send(fake._next())

            def _send(self, reply: Reply) -> None:
                payload = json.dumps(reply.body).encode("utf-8")
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler

    def __enter__(self) -> FakeAnthropic:
        """Start serving."""
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
