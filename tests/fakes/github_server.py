"""A loopback fake of the GitHub REST API, for tests that drive real PyGithub.

The server runs on ``127.0.0.1`` on a free port, keeps one repository's pull
requests, issue comments, reviews, review comments and check runs in memory,
and answers in the shapes of the recorded exchanges in
``tests/fixtures/github/api`` (every absolute URL rebuilt on its own base, as
PyGithub refuses URLs of another host or port). It validates writes the way
GitHub does (review lines inside a RIGHT-side hunk, at most 50 annotations per
check-run request, body and summary lengths) and can inject faults. Its
``/graphql`` endpoint knows the two review-thread operations, in the real
API's shapes: the ``pullRequest.reviewThreads`` query (each root review
comment is a thread) and the ``resolveReviewThread`` mutation, which a
read-only token (or ``refuse_resolve``) gets refused with GraphQL's
``FORBIDDEN`` error inside a 200 answer, as GitHub does.

Usage::

    with FakeGitHub() as gh:
        gh.add_pull(7, head_sha="a" * 40, hunks={"app/x.py": [(1, 20)]})
        gh.fail("POST", r"/reviews$", 422)          # next review gets a 422
        gh.fail("GET", r"/pulls/7$", 502, times=None)  # every pull read: 502
        gh.secondary_rate_limit("POST", r"/comments$", retry_after=1)
        gh.read_only = True                         # writes -> 403
        ... Github(base_url=gh.base_url, ...) ...
        gh.calls("POST", r"/check-runs$")           # recorded requests

To use the pytest fixture ``fake_github`` (a started server, stopped after the
test), import it from this module into the test module.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

API_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "github" / "api"
TOKEN = "fake-token"
BOT_LOGIN = "github-actions[bot]"
MAX_COMMENT_BODY = 65_536
MAX_OUTPUT_TEXT = 65_535
MAX_ANNOTATIONS_PER_REQUEST = 50
READ_ONLY_MESSAGE = "Resource not accessible by integration"
SECONDARY_RATE_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. "
    "Please wait a few minutes before you try again."
)
DOCS = "https://docs.github.com/rest"

Json = Any


@dataclass
class Recorded:
    """One request the fake received.

    Attributes:
        method: HTTP method.
        path: Path without the query.
        query: Parsed query string.
        body: The JSON body, or None.
        status: The status answered.
    """

    method: str
    path: str
    query: dict[str, list[str]]
    body: Json
    status: int = 0


@dataclass
class Canned:
    """A response to give instead of the real one.

    Attributes:
        method: HTTP method it applies to.
        path: Regex searched in the request path.
        status: Status to answer.
        body: JSON body to answer.
        headers: Extra response headers.
        times: How many requests it answers; None for every one.
        after_acting: Carry the request out first, then answer so: an
            answer lost on the way back, after GitHub did the work.
        stall_s: Seconds to wait before answering (past a client's timeout,
            the answer never arrives).
    """

    method: str
    path: re.Pattern[str]
    status: int
    body: Json
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = 1
    after_acting: bool = False
    stall_s: float = 0.0


@dataclass
class FakePull:
    """A pull request of the fake repository.

    Attributes:
        number: PR number.
        head_sha: Current head commit; change it to simulate a new push.
        base_sha: Base commit.
        hunks: path -> inclusive (start, end) RIGHT-side line ranges of hunks.
        head_ref: The PR's branch.
        base_ref: The branch it merges into.
    """

    number: int
    head_sha: str
    base_sha: str
    hunks: dict[str, list[tuple[int, int]]]
    head_ref: str = "feature"
    base_ref: str = "main"


def _template(name: str) -> Json:
    data = json.loads((API_FIXTURES / name).read_text(encoding="utf-8"))
    return data["response_body"]


class FakeGitHub:
    """The fake server and its in-memory state.

    Attributes:
        repository: ``owner/name`` of the one repository served.
        token: The token requests must carry, else 401.
        user_login: Login ``GET /user`` answers; None answers 403 as for an
            Actions installation token.
        comment_login: Author of comments, reviews and check runs created
            through the API.
        read_only: When True, every write answers 403 as for a fork's token.
        refuse_resolve: When True, ``resolveReviewThread`` is refused
            (FORBIDDEN) as for a token that may not resolve threads.
        threads_page_size: Most threads one ``reviewThreads`` page holds
            (GitHub: the query's ``first``, at most 100).
        pulls: PR number -> pull.
        issue_comments: Every issue comment, in creation order.
        reviews: Every review, in creation order.
        review_comments: Every review (inline) comment, in creation order.
        check_runs: Check run id -> check run (with its ``annotations``).
        requests: Every request received, in order.
    """

    def __init__(
        self,
        repository: str = "octo-org/app",
        *,
        token: str = TOKEN,
        user_login: str | None = None,
        comment_login: str = BOT_LOGIN,
    ) -> None:
        """Prepare the state; the server starts with :meth:`start`.

        Args:
            repository: ``owner/name`` served.
            token: Token the client must send.
            user_login: Login for ``GET /user`` (None: 403 like GITHUB_TOKEN).
            comment_login: Author of what the client creates.
        """
        self.repository = repository
        self.token = token
        self.user_login = user_login
        self.comment_login = comment_login
        self.read_only = False
        self.refuse_resolve = False
        self.threads_page_size = 100
        self.pulls: dict[int, FakePull] = {}
        self.issue_comments: list[dict[str, Json]] = []
        self.reviews: list[dict[str, Json]] = []
        self.review_comments: list[dict[str, Json]] = []
        self.check_runs: dict[int, dict[str, Json]] = {}
        self.requests: list[Recorded] = []
        self._canned: list[Canned] = []
        self._ids = itertools.count(1000)
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``: the API URL to give the client."""
        if self._server is None:
            raise RuntimeError("FakeGitHub is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeGitHub:
        """Start serving on a free loopback port.

        Returns:
            The fake itself.
        """
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        # A short poll interval keeps shutdown (each test's teardown) quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> FakeGitHub:
        """Start the server."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server."""
        self.stop()

    # -- state set-up -------------------------------------------------------

    def add_pull(
        self,
        number: int,
        *,
        head_sha: str,
        base_sha: str = "b" * 40,
        hunks: dict[str, list[tuple[int, int]]] | None = None,
        head_ref: str = "feature",
        base_ref: str = "main",
    ) -> FakePull:
        """Add an open pull request.

        Args:
            number: PR number.
            head_sha: Its head commit.
            base_sha: Its base commit.
            hunks: path -> RIGHT-side hunk ranges review comments may target.
            head_ref: Its branch.
            base_ref: The branch it merges into.

        Returns:
            The pull, whose ``head_sha`` a test may change later.
        """
        pull = FakePull(
            number, head_sha, base_sha, dict(hunks or {}), head_ref, base_ref
        )
        with self._lock:
            self.pulls[number] = pull
        return pull

    def add_issue_comment(self, number: int, body: str, *, login: str) -> int:
        """Add an issue comment written by someone, as if posted earlier.

        Args:
            number: PR number.
            body: Comment text.
            login: Its author.

        Returns:
            The comment id.
        """
        with self._lock:
            return self._new_issue_comment(number, body, login)["id"]  # type: ignore[no-any-return]

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        body: Json = None,
        *,
        headers: dict[str, str] | None = None,
        times: int | None = 1,
        after_acting: bool = False,
        stall_s: float = 0.0,
    ) -> None:
        """Answer matching requests with a canned response instead.

        Canned responses are used in the order they were added.

        Args:
            method: HTTP method.
            path: Regex searched in the request path.
            status: Status to answer.
            body: JSON body (a GitHub-like message by default).
            headers: Extra headers (``Retry-After`` ...).
            times: How many requests to answer so; None for all.
            after_acting: Carry each request out before answering so.
            stall_s: Seconds to wait before answering.
        """
        if body is None:
            body = {"message": HTTPStatus(status).phrase, "documentation_url": DOCS}
        canned = Canned(
            method, re.compile(path), status, body, dict(headers or {}), times
        )
        canned.after_acting = after_acting
        canned.stall_s = stall_s
        with self._lock:
            self._canned.append(canned)

    def secondary_rate_limit(
        self, method: str, path: str, *, retry_after: int = 1, times: int | None = 1
    ) -> None:
        """Answer matching requests with GitHub's secondary rate limit 403.

        Args:
            method: HTTP method.
            path: Regex searched in the request path.
            retry_after: Seconds in the ``Retry-After`` header.
            times: How many requests to answer so; None for all.
        """
        self.fail(
            method,
            path,
            403,
            {"message": SECONDARY_RATE_LIMIT_MESSAGE, "documentation_url": DOCS},
            headers={"Retry-After": str(retry_after)},
            times=times,
        )

    def calls(self, method: str, path: str = "") -> list[Recorded]:
        """Return the recorded requests of a method whose path matches a regex.

        Args:
            method: HTTP method.
            path: Regex searched in the path.

        Returns:
            The matching requests, in order.
        """
        with self._lock:
            return [
                r
                for r in self.requests
                if r.method == method and re.search(path, r.path) is not None
            ]

    def graphql_calls(self, operation: str) -> list[Recorded]:
        """Return the recorded GraphQL requests whose document names an operation.

        Args:
            operation: A field name, e.g. ``resolveReviewThread``.

        Returns:
            The matching requests, in order.
        """
        return [
            r
            for r in self.calls("POST", r"^/graphql$")
            if isinstance(r.body, dict) and operation in str(r.body.get("query"))
        ]

    def thread_resolved(self, comment_id: int) -> bool:
        """Return whether the thread a review comment starts is resolved.

        Args:
            comment_id: The review comment's id.

        Returns:
            The thread's ``isResolved``.
        """
        with self._lock:
            comment = next(c for c in self.review_comments if c["id"] == comment_id)
            return bool(comment["_resolved"])

    def writes(self) -> list[Recorded]:
        """Return every recorded request that is not a read."""
        with self._lock:
            return [r for r in self.requests if r.method not in ("GET", "HEAD")]

    # -- shapes -------------------------------------------------------------

    def _rebase(self, value: Json, fixture_repo: str) -> Json:
        text = json.dumps(value)
        for host in ("https://api.github.com", "https://github.com"):
            text = text.replace(host, self.base_url)
        return json.loads(text.replace(fixture_repo, self.repository))

    def _user(self, login: str) -> dict[str, Json]:
        return {
            "login": login,
            "id": abs(hash(login)) % 10**8,
            "url": f"{self.base_url}/users/{login}",
            "html_url": f"{self.base_url}/{login}",
            "type": "Bot" if login.endswith("[bot]") else "User",
            "site_admin": False,
        }

    @property
    def _repo_url(self) -> str:
        return f"{self.base_url}/repos/{self.repository}"

    def _repo_json(self) -> dict[str, Json]:
        owner, name = self.repository.split("/", 1)
        return {
            "id": 4242,
            "name": name,
            "full_name": self.repository,
            "owner": self._user(owner),
            "private": False,
            "url": self._repo_url,
            "html_url": f"{self.base_url}/{self.repository}",
            "default_branch": "main",
        }

    def _pull_json(self, pull: FakePull) -> dict[str, Json]:
        body = self._rebase(
            copy.deepcopy(_template("PullRequest.setUp.02.GET.200.json")),
            "PyGithub/PyGithub",
        )
        url = f"{self._repo_url}/pulls/{pull.number}"
        issue = f"{self._repo_url}/issues/{pull.number}"
        body.update(
            url=url,
            number=pull.number,
            state="open",
            merged=False,
            issue_url=issue,
            comments_url=f"{issue}/comments",
            review_comments_url=f"{url}/comments",
            commits_url=f"{url}/commits",
            html_url=f"{self.base_url}/{self.repository}/pull/{pull.number}",
            head={
                "ref": pull.head_ref,
                "sha": pull.head_sha,
                "repo": self._repo_json(),
            },
            base={
                "ref": pull.base_ref,
                "sha": pull.base_sha,
                "repo": self._repo_json(),
            },
        )
        return body  # type: ignore[no-any-return]

    def _new_issue_comment(self, number: int, text: str, login: str) -> dict[str, Json]:
        comment_id = next(self._ids)
        body = self._rebase(
            copy.deepcopy(_template("IssueComment.setUp.03.GET.200.json")),
            "PyGithub/PyGithub",
        )
        body.update(
            id=comment_id,
            url=f"{self._repo_url}/issues/comments/{comment_id}",
            html_url=(
                f"{self.base_url}/{self.repository}/pull/{number}"
                f"#issuecomment-{comment_id}"
            ),
            issue_url=f"{self._repo_url}/issues/{number}",
            user=self._user(login),
            body=text,
        )
        self.issue_comments.append(body)
        return body  # type: ignore[no-any-return]

    # -- routing ------------------------------------------------------------

    def _canned_for(self, method: str, path: str) -> Canned | None:
        for canned in self._canned:
            if canned.method == method and canned.path.search(path):
                if canned.times is not None:
                    canned.times -= 1
                    if canned.times == 0:
                        self._canned.remove(canned)
                return canned
        return None

    def handle(
        self, method: str, path: str, query: dict[str, list[str]], body: Json
    ) -> tuple[int, Json, dict[str, str]]:
        """Answer one request: canned fault, read-only refusal, or the real thing.

        Args:
            method: HTTP method.
            path: Path without the query.
            query: Parsed query string.
            body: Parsed JSON body, or None.

        Returns:
            Status, JSON body and extra headers.
        """
        status, payload, headers, _ = self._answer(method, path, query, body)
        return status, payload, headers

    def _answer(
        self, method: str, path: str, query: dict[str, list[str]], body: Json
    ) -> tuple[int, Json, dict[str, str], float]:
        with self._lock:
            canned = self._canned_for(method, path)
            if canned is not None:
                if canned.after_acting:
                    self._route(method, path, query, body)
                return canned.status, canned.body, canned.headers, canned.stall_s
            # GraphQL refuses inside a 200 answer, operation by operation.
            graphql = path == "/graphql"
            if self.read_only and method not in ("GET", "HEAD") and not graphql:
                refusal = {"message": READ_ONLY_MESSAGE, "documentation_url": DOCS}
                return 403, refusal, {}, 0.0
            return (*self._route(method, path, query, body), 0.0)

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], body: Json
    ) -> tuple[int, Json, dict[str, str]]:
        if path == "/user" and method == "GET":
            if self.user_login is None:
                return (
                    403,
                    {"message": READ_ONLY_MESSAGE, "documentation_url": DOCS},
                    {},
                )
            return 200, self._user(self.user_login), {}
        if path == "/graphql" and method == "POST":
            return (*self._graphql(body), {})
        prefix = f"/repos/{self.repository}"
        if not path.startswith(prefix):
            return _not_found()
        rest = path[len(prefix) :]
        routes: list[tuple[str, str, Any]] = [
            ("GET", r"", lambda m: (200, self._repo_json())),
            ("GET", r"/pulls", lambda m: self._list_pulls(query)),
            ("GET", r"/pulls/(\d+)", self._get_pull),
            ("GET", r"/commits/(\w+)", self._get_commit),
            ("GET", r"/issues/(\d+)/comments", self._list_issue_comments),
            ("POST", r"/issues/(\d+)/comments", lambda m: self._post_comment(m, body)),
            ("GET", r"/issues/comments/(\d+)", self._get_comment),
            ("PATCH", r"/issues/comments/(\d+)", lambda m: self._edit_comment(m, body)),
            ("GET", r"/pulls/(\d+)/comments", self._list_review_comments),
            ("GET", r"/pulls/comments/(\d+)", self._get_review_comment),
            (
                "PATCH",
                r"/pulls/comments/(\d+)",
                lambda m: self._edit_review_comment(m, body),
            ),
            ("GET", r"/pulls/(\d+)/reviews", self._list_reviews),
            ("POST", r"/pulls/(\d+)/reviews", lambda m: self._post_review(m, body)),
            ("POST", r"/check-runs", lambda m: self._post_check_run(body)),
            ("GET", r"/check-runs/(\d+)", self._get_check_run),
            ("PATCH", r"/check-runs/(\d+)", lambda m: self._edit_check_run(m, body)),
            ("GET", r"/check-runs/(\d+)/annotations", self._list_annotations),
        ]
        for route_method, pattern, action in routes:
            match = re.fullmatch(pattern, rest)
            if match is not None and route_method == method:
                status, payload = action(match)
                if isinstance(payload, list) and method == "GET":
                    return self._paginate(path, query, payload)
                return status, payload, {}
        return _not_found()

    def _paginate(
        self, path: str, query: dict[str, list[str]], items: list[Json]
    ) -> tuple[int, Json, dict[str, str]]:
        per_page = min(int(query.get("per_page", ["30"])[0]), 100)
        page = int(query.get("page", ["1"])[0])
        chunk = items[(page - 1) * per_page : page * per_page]
        headers: dict[str, str] = {}
        if page * per_page < len(items):
            nxt = f"{self.base_url}{path}?per_page={per_page}&page={page + 1}"
            headers["Link"] = f'<{nxt}>; rel="next"'
        return 200, chunk, headers

    def _pull(self, match: re.Match[str]) -> FakePull | None:
        return self.pulls.get(int(match.group(1)))

    def _get_pull(self, match: re.Match[str]) -> tuple[int, Json]:
        pull = self._pull(match)
        if pull is None:
            return 404, _message("Not Found")
        return 200, self._pull_json(pull)

    def _list_pulls(self, query: dict[str, list[str]]) -> tuple[int, Json]:
        # GitHub's filter: ``head`` is ``owner:branch``; every pull here is open.
        owner = self.repository.split("/")[0]
        head = query.get("head", [""])[0]
        found: list[Json] = [
            self._pull_json(pull)
            for pull in self.pulls.values()
            if head in ("", f"{owner}:{pull.head_ref}")
        ]
        return 200, found

    def _get_commit(self, match: re.Match[str]) -> tuple[int, Json]:
        sha = match.group(1)
        return 200, {"sha": sha, "url": f"{self._repo_url}/commits/{sha}"}

    def _list_issue_comments(self, match: re.Match[str]) -> tuple[int, Json]:
        issue = f"{self._repo_url}/issues/{match.group(1)}"
        return 200, [c for c in self.issue_comments if c["issue_url"] == issue]

    def _find_comment(self, match: re.Match[str]) -> dict[str, Json] | None:
        wanted = int(match.group(1))
        return next((c for c in self.issue_comments if c["id"] == wanted), None)

    def _get_comment(self, match: re.Match[str]) -> tuple[int, Json]:
        comment = self._find_comment(match)
        return (404, _message("Not Found")) if comment is None else (200, comment)

    def _post_comment(self, match: re.Match[str], body: Json) -> tuple[int, Json]:
        if int(match.group(1)) not in self.pulls:
            return 404, _message("Not Found")
        error = _check_body(body, "IssueComment")
        if error is not None:
            return 422, error
        return 201, self._new_issue_comment(
            int(match.group(1)), body["body"], self.comment_login
        )

    def _edit_comment(self, match: re.Match[str], body: Json) -> tuple[int, Json]:
        comment = self._find_comment(match)
        if comment is None:
            return 404, _message("Not Found")
        error = _check_body(body, "IssueComment")
        if error is not None:
            return 422, error
        comment["body"] = body["body"]
        return 200, comment

    def _list_review_comments(self, match: re.Match[str]) -> tuple[int, Json]:
        number = int(match.group(1))
        return 200, [c for c in self.review_comments if c["_pull"] == number]

    def _list_reviews(self, match: re.Match[str]) -> tuple[int, Json]:
        number = int(match.group(1))
        return 200, [r for r in self.reviews if r["_pull"] == number]

    def _post_review(self, match: re.Match[str], body: Json) -> tuple[int, Json]:
        pull = self._pull(match)
        if pull is None:
            return 404, _message("Not Found")
        if not isinstance(body, dict):
            return 400, _message("Problems parsing JSON")
        if body.get("event") not in (None, "COMMENT", "APPROVE", "REQUEST_CHANGES"):
            return 422, _validation("PullRequestReview", "event", "invalid event")
        comments = body.get("comments") or []
        for comment in comments:
            problem = _review_comment_problem(comment, pull)
            if problem is not None:
                return 422, _validation("PullRequestReviewComment", "line", problem)
        review_id = next(self._ids)
        url = f"{self._repo_url}/pulls/{pull.number}"
        review = self._rebase(
            copy.deepcopy(_template("PullRequestReview.setUp.01.POST.200.json")),
            "PyGithub/PyGithub",
        )
        review.update(
            id=review_id,
            user=self._user(self.comment_login),
            body=body.get("body", ""),
            state="COMMENTED" if body.get("event") else "PENDING",
            commit_id=body.get("commit_id", pull.head_sha),
            pull_request_url=url,
            html_url=f"{self.base_url}/{self.repository}/pull/{pull.number}"
            f"#pullrequestreview-{review_id}",
            _pull=pull.number,
        )
        self.reviews.append(review)
        for comment in comments:
            self.review_comments.append(self._review_comment(pull, review, comment))
        return 200, review

    def _review_comment(
        self, pull: FakePull, review: dict[str, Json], comment: dict[str, Json]
    ) -> dict[str, Json]:
        comment_id = next(self._ids)
        url = f"{self._repo_url}/pulls/comments/{comment_id}"
        return {
            "id": comment_id,
            "url": url,
            "pull_request_review_id": review["id"],
            "pull_request_url": f"{self._repo_url}/pulls/{pull.number}",
            "html_url": f"{self.base_url}/{self.repository}/pull/{pull.number}"
            f"#discussion_r{comment_id}",
            "path": comment["path"],
            "line": comment["line"],
            "start_line": comment.get("start_line"),
            "side": comment.get("side", "RIGHT"),
            "body": comment["body"],
            "commit_id": review["commit_id"],
            "original_commit_id": review["commit_id"],
            "user": self._user(self.comment_login),
            "_pull": pull.number,
            "_resolved": False,
        }

    def _find_review_comment(self, match: re.Match[str]) -> dict[str, Json] | None:
        wanted = int(match.group(1))
        return next((c for c in self.review_comments if c["id"] == wanted), None)

    def _get_review_comment(self, match: re.Match[str]) -> tuple[int, Json]:
        comment = self._find_review_comment(match)
        return (404, _message("Not Found")) if comment is None else (200, comment)

    def _edit_review_comment(
        self, match: re.Match[str], body: Json
    ) -> tuple[int, Json]:
        comment = self._find_review_comment(match)
        if comment is None:
            return 404, _message("Not Found")
        error = _check_body(body, "PullRequestReviewComment")
        if error is not None:
            return 422, error
        comment["body"] = body["body"]
        return 200, comment

    # -- GraphQL ------------------------------------------------------------

    def _graphql(self, body: Json) -> tuple[int, Json]:
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return 400, _message("Problems parsing JSON")
        query: str = body["query"]
        variables = body.get("variables") or {}
        if re.search(r"\bresolveReviewThread\s*\(", query):
            return 200, self._resolve_thread(variables)
        if re.search(r"\breviewThreads\s*\(", query):
            return 200, self._review_threads(variables)
        return 200, _graphql_error(
            "undefinedField", "This fake serves only the review-thread operations"
        )

    def _thread_node(self, comment: dict[str, Json]) -> dict[str, Json]:
        login = comment["user"]["login"]
        return {
            "id": f"PRRT_{comment['id']}",
            "isResolved": comment["_resolved"],
            "isOutdated": False,
            "path": comment["path"],
            "line": comment["line"],
            "comments": {
                "nodes": [
                    {
                        "id": f"PRRC_{comment['id']}",
                        "databaseId": comment["id"],
                        "body": comment["body"],
                        # GraphQL names a bot without REST's "[bot]".
                        "author": {"login": login.removesuffix("[bot]")},
                    }
                ]
            },
        }

    def _review_threads(self, variables: dict[str, Json]) -> Json:
        owner, name = self.repository.split("/", 1)
        if (variables.get("owner"), variables.get("name")) != (owner, name):
            return {
                "data": {"repository": None},
                **_graphql_error(
                    "NOT_FOUND",
                    "Could not resolve to a Repository with the name "
                    f"'{variables.get('owner')}/{variables.get('name')}'.",
                    ["repository"],
                ),
            }
        number = variables.get("number")
        if number not in self.pulls:
            return {
                "data": {"repository": {"pullRequest": None}},
                **_graphql_error(
                    "NOT_FOUND",
                    f"Could not resolve to a PullRequest with the number of {number}.",
                    ["repository", "pullRequest"],
                ),
            }
        roots = [c for c in self.review_comments if c["_pull"] == number]
        start = int(variables.get("cursor") or 0)
        page = roots[start : start + self.threads_page_size]
        end = start + len(page)
        threads = {
            "pageInfo": {"hasNextPage": end < len(roots), "endCursor": str(end)},
            "nodes": [self._thread_node(c) for c in page],
        }
        pull = {"reviewThreads": threads}
        return {"data": {"repository": {"pullRequest": pull}}}

    def _resolve_thread(self, variables: dict[str, Json]) -> Json:
        thread_id = str((variables.get("input") or {}).get("threadId"))
        if self.read_only or self.refuse_resolve:
            return {
                "data": {"resolveReviewThread": None},
                **_graphql_error(
                    "FORBIDDEN", READ_ONLY_MESSAGE, ["resolveReviewThread"]
                ),
            }
        comment = next(
            (c for c in self.review_comments if f"PRRT_{c['id']}" == thread_id), None
        )
        if comment is None:
            return {
                "data": {"resolveReviewThread": None},
                **_graphql_error(
                    "NOT_FOUND",
                    f"Could not resolve to a node with the global id of '{thread_id}'",
                    ["resolveReviewThread"],
                ),
            }
        comment["_resolved"] = True
        thread = {"id": thread_id, "isResolved": True}
        return {"data": {"resolveReviewThread": {"thread": thread}}}

    def _post_check_run(self, body: Json) -> tuple[int, Json]:
        if (
            not isinstance(body, dict)
            or not body.get("name")
            or not body.get("head_sha")
        ):
            return 422, _validation(
                "CheckRun", "name", "name and head_sha are required"
            )
        problem = _output_problem(body.get("output"))
        if problem is not None:
            return 422, _validation("CheckRun", "output", problem)
        run_id = next(self._ids)
        run = self._rebase(
            copy.deepcopy(
                _template("CheckRun.testCreateCheckRunCompleted.01.POST.201.json")
            ),
            "dhruvmanila/pygithub-testing",
        )
        url = f"{self._repo_url}/check-runs/{run_id}"
        run.update(
            id=run_id,
            url=url,
            html_url=f"{self.base_url}/{self.repository}/runs/{run_id}",
            name=body["name"],
            head_sha=body["head_sha"],
            status=body.get("status", "queued"),
            conclusion=body.get("conclusion"),
            annotations=[],
        )
        run["output"] = {
            "title": None,
            "summary": None,
            "text": None,
            "annotations_count": 0,
            "annotations_url": f"{url}/annotations",
        }
        self._apply_output(run, body.get("output"))
        self.check_runs[run_id] = run
        return 201, _public(run)

    def _apply_output(self, run: dict[str, Json], output: Json) -> None:
        if not output:
            return
        for key in ("title", "summary", "text"):
            if key in output:
                run["output"][key] = output[key]
        run["annotations"].extend(output.get("annotations") or [])
        run["output"]["annotations_count"] = len(run["annotations"])

    def _get_check_run(self, match: re.Match[str]) -> tuple[int, Json]:
        run = self.check_runs.get(int(match.group(1)))
        return (404, _message("Not Found")) if run is None else (200, _public(run))

    def _edit_check_run(self, match: re.Match[str], body: Json) -> tuple[int, Json]:
        run = self.check_runs.get(int(match.group(1)))
        if run is None:
            return 404, _message("Not Found")
        problem = _output_problem(body.get("output"))
        if problem is not None:
            return 422, _validation("CheckRun", "output", problem)
        for key in ("name", "status", "conclusion", "completed_at"):
            if key in body:
                run[key] = body[key]
        self._apply_output(run, body.get("output"))
        return 200, _public(run)

    def _list_annotations(self, match: re.Match[str]) -> tuple[int, Json]:
        run = self.check_runs.get(int(match.group(1)))
        if run is None:
            return 404, _message("Not Found")
        return 200, list(run["annotations"])


def _public(run: dict[str, Json]) -> dict[str, Json]:
    return {k: v for k, v in run.items() if k != "annotations"}


def _graphql_error(
    kind: str, message: str, path: list[str] | None = None
) -> dict[str, Json]:
    # GitHub's GraphQL error entry: type, path, locations, message.
    error: dict[str, Json] = {
        "type": kind,
        "locations": [{"line": 2, "column": 3}],
        "message": message,
    }
    if path is not None:
        error["path"] = path
    return {"errors": [error]}


def _message(text: str) -> dict[str, str]:
    return {"message": text, "documentation_url": DOCS}


def _not_found() -> tuple[int, Json, dict[str, str]]:
    return 404, _message("Not Found"), {}


def _validation(resource: str, field_name: str, message: str) -> dict[str, Json]:
    # The shape of Exceptions.testInvalidInput.01.POST.422.json.
    return {
        "message": "Validation Failed",
        "errors": [
            {
                "resource": resource,
                "field": field_name,
                "message": message,
                "code": "custom",
            }
        ],
        "documentation_url": DOCS,
    }


def _check_body(body: Json, resource: str) -> dict[str, Json] | None:
    if not isinstance(body, dict) or not isinstance(body.get("body"), str):
        return _validation(resource, "body", "body is missing")
    if len(body["body"]) > MAX_COMMENT_BODY:
        return _validation(
            resource,
            "body",
            f"body is too long (maximum is {MAX_COMMENT_BODY} characters)",
        )
    return None


def _review_comment_problem(comment: Json, pull: FakePull) -> str | None:
    if (
        not isinstance(comment, dict)
        or not comment.get("path")
        or not comment.get("body")
    ):
        return "path and body are required"
    if "position" in comment or not isinstance(comment.get("line"), int):
        return "line is required"
    if comment.get("side", "RIGHT") != "RIGHT":
        return "only RIGHT-side comments are served by this fake"
    line: int = comment["line"]
    start: int = comment.get("start_line") or line
    hunk = next(
        (h for h in pull.hunks.get(comment["path"], []) if h[0] <= line <= h[1]), None
    )
    if hunk is None:
        return (
            "Line could not be resolved: "
            "pull request review thread line must be part of the diff"
        )
    if not hunk[0] <= start <= line:
        return "start_line must be part of the same hunk as the line"
    return None


def _output_problem(output: Json) -> str | None:
    if output is None:
        return None
    if not isinstance(output, dict):
        return "output must be an object"
    for key in ("summary", "text"):
        if len(output.get(key) or "") > MAX_OUTPUT_TEXT:
            return f"{key} is too long (maximum is {MAX_OUTPUT_TEXT} characters)"
    annotations = output.get("annotations") or []
    if len(annotations) > MAX_ANNOTATIONS_PER_REQUEST:
        return f"Only {MAX_ANNOTATIONS_PER_REQUEST} annotations are allowed per request"
    for annotation in annotations:
        missing = {"path", "start_line", "end_line", "annotation_level", "message"}
        missing -= set(annotation)
        if missing:
            return f"annotation is missing {sorted(missing)}"
        if annotation["annotation_level"] not in ("notice", "warning", "failure"):
            return "annotation_level must be notice, warning or failure"
    return None


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGitHub

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Json = json.loads(raw) if raw else None
        query = parse_qs(parts.query)
        record = Recorded(self.command, parts.path, query, body)
        with self.fake._lock:
            self.fake.requests.append(record)
        auth = self.headers.get("Authorization", "")
        headers: dict[str, str]
        stall = 0.0
        if auth not in (f"token {self.fake.token}", f"Bearer {self.fake.token}"):
            status, payload, headers = 401, _message("Bad credentials"), {}
        else:
            status, payload, headers, stall = self.fake._answer(
                self.command, parts.path, query, body
            )
        if stall:
            time.sleep(stall)  # outside the lock: other requests go on
        record.status = status
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve  # noqa: N815


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    """A started FakeGitHub, stopped after the test."""
    with FakeGitHub() as fake:
        yield fake
