"""The PyGithub client and the one-line classification of its failures.

Retries: 5xx answers are retried with exponential backoff for reads and
idempotent writes (GET, PATCH, PUT, DELETE), but not for POST, because a 502
on a POST can hide a comment GitHub did create and a retry would post it
twice. A check run's PATCH is not idempotent either (its annotations are
appended): it is not retried here, and its caller checks what landed. A 403
or 429 carrying ``Retry-After`` (the secondary rate limit) is retried for
every method after the time GitHub asks for: GitHub did not act on it. After
the last retry, ``requests`` raises ``RetryError``.

Pacing: PyGithub waits 0.25 s between requests and 1 s between writes; those
defaults are kept in production and can be changed (tests set 0) with
``PATTERN_REVIEW_GITHUB_THROTTLE_S``; ``PATTERN_REVIEW_GITHUB_BACKOFF_S`` sets
the retry backoff factor the same way.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from types import TracebackType

import requests
import urllib3
from github import Auth, Github, GithubException, GithubRetry
from urllib3.connectionpool import ConnectionPool
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

THROTTLE_ENV = "PATTERN_REVIEW_GITHUB_THROTTLE_S"
BACKOFF_ENV = "PATTERN_REVIEW_GITHUB_BACKOFF_S"
DEFAULT_SECONDS_BETWEEN_REQUESTS = 0.25
DEFAULT_SECONDS_BETWEEN_WRITES = 1.0
DEFAULT_BACKOFF_S = 1.0
DEFAULT_RETRIES = 3
SECONDARY_RATE_WAIT_S = 60.0
MAX_RATE_LIMIT_WAIT_S = 120.0
DEFAULT_TIMEOUT_S = 30
READ_ONLY_MESSAGE = "Resource not accessible by integration"
_RATE_LIMIT_STATUSES = frozenset({403, 429})
# Writes that append rather than replace: a retry could do them twice.
_APPENDING_PATCH = re.compile(r"/check-runs/\d+/?(?:\?|$)")


class PublishRetry(GithubRetry):
    """GitHub's retry policy, except for writes that may have been done.

    A POST, and a check run's PATCH (which appends annotations), are not
    sent again after a 5xx or after going unanswered.
    """

    def parse_retry_after(self, retry_after: str) -> float:
        """Return the wait GitHub asks for, capped so a run cannot hang.

        Args:
            retry_after: The ``Retry-After`` header value.

        Returns:
            Seconds to wait, at most MAX_RATE_LIMIT_WAIT_S.
        """
        return min(super().parse_retry_after(retry_after), MAX_RATE_LIMIT_WAIT_S)

    def is_retry(
        self, method: str, status_code: int, has_retry_after: bool = False
    ) -> bool:
        """Return whether to retry a response.

        Args:
            method: HTTP method of the request.
            status_code: Status answered.
            has_retry_after: Whether the answer carries ``Retry-After``.

        Returns:
            False for a POST answered 5xx (it may have been done), else
            urllib3's (and PyGithub's) decision.
        """
        if method.upper() == "POST" and status_code >= 500:
            return False
        if has_retry_after and status_code in _RATE_LIMIT_STATUSES:
            return self.total is None or self.total > 0
        return super().is_retry(method, status_code, has_retry_after)

    def increment(  # type: ignore[override]
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Retry:
        """Count a retry, or give a write that may have been done back at once.

        A POST or a check run's PATCH that was sent but got no answer (a read
        timeout, a dropped connection) may have been carried out: sending it
        again could post a comment or 50 annotations twice. One that never
        reached GitHub (the connection failed) is retried as usual.

        Args:
            method: HTTP method of the request.
            url: Its URL.
            response: The answer, when there was one.
            error: The connection error, when there was none.
            _pool: urllib3's connection pool.
            _stacktrace: urllib3's traceback.

        Returns:
            The retry state for the next attempt.

        Raises:
            GithubException: A check run's PATCH answered 5xx.
            Exception: ``error`` itself, for such a write left unanswered.
        """
        verb = (method or "").upper()
        check_run_patch = verb == "PATCH" and bool(_APPENDING_PATCH.search(url or ""))
        if error is not None and (verb == "POST" or check_run_patch):
            if not self._is_connection_error(error):  # sent, answer lost
                raise error
        if check_run_patch and response is not None and response.status >= 500:
            content = self.get_content(response, url or "")  # type: ignore[arg-type]
            try:
                data = json.loads(content)
            except ValueError:
                data = content.decode("utf-8", "replace")
            raise GithubException(response.status, data, dict(response.headers))
        return super().increment(method, url, response, error, _pool, _stacktrace)  # type: ignore[arg-type]


def _seconds_from_env(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {raw!r}")
    return value


def make_client(
    token: str,
    api_url: str,
    *,
    retries: int = DEFAULT_RETRIES,
    timeout_s: int = DEFAULT_TIMEOUT_S,
    throttle_s: float | None = None,
    backoff_s: float | None = None,
) -> Github:
    """Return a PyGithub client for one API URL.

    Args:
        token: The token (the job's ``GITHUB_TOKEN`` or a PAT).
        api_url: The REST API root (``GITHUB_API_URL``), e.g.
            ``https://api.github.com`` or ``https://ghes.example/api/v3``.
        retries: Retries of a failed request before giving up.
        timeout_s: Socket timeout of each request.
        throttle_s: Seconds between requests and between writes; None reads
            THROTTLE_ENV, else keeps PyGithub's 0.25 s / 1 s.
        backoff_s: Retry backoff factor; None reads BACKOFF_ENV, else 1 s.

    Returns:
        A client that retries as the module docstring says.

    Raises:
        ValueError: A throttle/backoff environment variable is not a number.
    """
    throttle = (
        _seconds_from_env(THROTTLE_ENV, -1.0) if throttle_s is None else throttle_s
    )
    backoff = (
        _seconds_from_env(BACKOFF_ENV, DEFAULT_BACKOFF_S)
        if backoff_s is None
        else backoff_s
    )
    retry = PublishRetry(
        total=retries,
        backoff_factor=backoff,
        allowed_methods=frozenset({"GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"}),
        # GitHub asks for a minute's pause after a secondary limit without
        # Retry-After; the backoff factor scales it (0 in tests).
        secondary_rate_wait=SECONDARY_RATE_WAIT_S * backoff,
        max_rate_limit_wait=MAX_RATE_LIMIT_WAIT_S,
        respect_retry_after_header=True,
    )
    return Github(
        auth=Auth.Token(token),
        base_url=api_url.rstrip("/"),
        timeout=timeout_s,
        retry=retry,
        lazy=True,
        seconds_between_requests=(
            DEFAULT_SECONDS_BETWEEN_REQUESTS if throttle < 0 else throttle
        ),
        seconds_between_writes=(
            DEFAULT_SECONDS_BETWEEN_WRITES if throttle < 0 else throttle
        ),
    )


@dataclass
class GitHubError(Exception):
    """A GitHub API call that failed, in one line.

    Attributes:
        reason: One line for a human.
        status: The HTTP status, when there was an answer.
        read_only: True when the token may not write here (a fork's token).
        rate_limited: True when GitHub's rate limit stopped the call.
    """

    reason: str
    status: int | None = None
    read_only: bool = False
    rate_limited: bool = False

    def __str__(self) -> str:
        """Return the one-line reason."""
        return self.reason


def _github_message(exc: GithubException) -> str:
    data = exc.data
    if isinstance(data, dict):
        message = str(data.get("message") or "").strip()
        details = [
            str(e.get("message") if isinstance(e, dict) else e)
            for e in data.get("errors") or []
        ]
        details = [d for d in details if d and d != "None"]
        if details:
            message = (
                f"{message}: {'; '.join(details)}" if message else "; ".join(details)
            )
        return " ".join(message.split())[:300]
    return " ".join(str(data or "").split())[:300]


def classify(exc: BaseException, *, writing: bool = False) -> GitHubError:
    """Turn a failure of a GitHub call into a one-line GitHubError.

    Args:
        exc: What PyGithub or requests raised.
        writing: Whether the call was a write (a 404 on a write means the
            token may not write there).

    Returns:
        The error, with ``read_only`` / ``rate_limited`` set where they apply.
    """
    if isinstance(exc, GitHubError):
        return exc
    if isinstance(exc, GithubException):
        status = exc.status
        message = _github_message(exc)
        headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
        if status == 401:
            return GitHubError(
                f"GitHub rejected the token (401 {message or 'Bad credentials'})", 401
            )
        if status in _RATE_LIMIT_STATUSES and (
            "retry-after" in headers or "rate limit" in message.lower()
        ):
            wait = headers.get("retry-after")
            after = f", retry after {wait} s" if wait else ""
            return GitHubError(
                f"GitHub rate limit hit ({status}{after}): {message}",
                status,
                rate_limited=True,
            )
        if status == 403:
            # Only GitHub's own words mean a read-only token (fork PRs,
            # Dependabot); a 403 for another reason (a locked conversation)
            # must not stop the other parts from being posted.
            read_only = READ_ONLY_MESSAGE.lower() in message.lower()
            hint = " (the token has no write access here)" if read_only else ""
            return GitHubError(f"GitHub refused (403 {message}){hint}", 403, read_only)
        if status == 404:
            if writing:
                return GitHubError(
                    f"GitHub answered 404 to a write ({message}): "
                    "the token has no write access here",
                    404,
                    read_only=True,
                )
            return GitHubError(f"GitHub has no such resource (404 {message})", 404)
        if status == 422:
            return GitHubError(f"GitHub rejected the request (422 {message})", 422)
        return GitHubError(
            f"GitHub answered {status}: {message or 'no message'}", status
        )
    if isinstance(exc, requests.exceptions.RetryError):
        return GitHubError(f"GitHub kept failing after retries: {_last_line(exc)}")
    if isinstance(exc, requests.exceptions.Timeout) or _timed_out(exc):
        return GitHubError("GitHub did not answer in time (timeout)")
    if isinstance(exc, requests.exceptions.ConnectionError):
        return GitHubError(f"cannot reach GitHub: {_last_line(exc)}")
    if isinstance(exc, requests.exceptions.RequestException):
        return GitHubError(f"GitHub request failed: {_last_line(exc)}")
    return GitHubError(f"GitHub call failed: {type(exc).__name__}: {_last_line(exc)}")


def _timed_out(exc: BaseException) -> bool:
    # requests wraps urllib3's MaxRetryError, whose reason is the real cause.
    # (NewConnectionError, a refusal, subclasses urllib3's timeout for history.)
    cause = exc.args[0] if exc.args else None
    reason = getattr(cause, "reason", None)
    return isinstance(reason, urllib3.exceptions.TimeoutError) and not isinstance(
        reason, urllib3.exceptions.NewConnectionError
    )


def _last_line(exc: BaseException) -> str:
    # Prefer urllib3's underlying reason over requests' nested wrapper text.
    cause = exc.args[0] if exc.args else None
    reason = getattr(cause, "reason", None)
    text = str(reason if isinstance(reason, BaseException) else exc)
    return " ".join(text.split())[:300]
