"""Threads follow the code: the inline comment of a fixed finding is closed.

On a new push, each inline comment the bot posted for a finding that is gone
is resolved with GraphQL ``resolveReviewThread`` (a PR that requires
conversation resolution is not blocked by findings that no longer exist).
The thread of a comment is found by the comment's database id, which the
REST listing and GraphQL share; GraphQL names the Actions bot
``github-actions`` where REST says ``github-actions[bot]``, so authorship is
checked on the REST side only. Where resolving is refused (the token may not,
or GraphQL is not there), the comment is edited to start with
"✅ fixed in <sha>" instead. A thread someone already resolved is left alone.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field

from github import GithubException
from github.PullRequest import PullRequest
from github.PullRequestComment import PullRequestComment
from github.Requester import Requester

FIXED_PREFIX = "✅ fixed in"
# A PR with more threads than this is not walked further: the rest are marked.
MAX_THREAD_PAGES = 10
THREADS_QUERY = """
query($owner: String!, $name: String!, $number: Int!, $cursor: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviewThreads(first: 100, after: $cursor) {
        pageInfo { hasNextPage endCursor }
        nodes {
          id
          isResolved
          comments(first: 1) { nodes { databaseId } }
        }
      }
    }
  }
}
"""


@dataclass
class ThreadsResult:
    """What became of the threads of fixed findings.

    Attributes:
        resolved: Threads resolved through GraphQL.
        marked: Comments edited to say they are fixed.
        errors: One line per comment neither could be done to.
    """

    resolved: int = 0
    marked: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReviewThread:
    """One review thread, as GraphQL lists it.

    Attributes:
        node_id: Its GraphQL id (what ``resolveReviewThread`` takes).
        resolved: Whether someone resolved it already.
        first_comment: Database id of its first comment (REST's ``id``).
    """

    node_id: str
    resolved: bool
    first_comment: int | None


def _nodes(data: object, *keys: str) -> object:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def review_threads(
    requester: Requester, repository: str, number: int
) -> Iterator[ReviewThread]:
    """Yield the review threads of a pull request, page by page.

    Args:
        requester: The client's requester (it knows the GraphQL URL).
        repository: ``owner/name``.
        number: The PR number.

    Yields:
        Each thread: its node id, whether it is resolved, its first comment.

    Raises:
        GithubException: GraphQL refused the query.
    """
    owner, name = repository.split("/", 1)
    cursor: str | None = None
    for _ in range(MAX_THREAD_PAGES):
        variables = {"owner": owner, "name": name, "number": number, "cursor": cursor}
        _, data = requester.graphql_query(THREADS_QUERY, variables)
        page = _nodes(data, "data", "repository", "pullRequest", "reviewThreads")
        if not isinstance(page, dict):
            return
        for node in page.get("nodes") or []:
            first = _nodes(node, "comments", "nodes")
            head = first[0] if isinstance(first, list) and first else None
            database_id = _nodes(head, "databaseId")
            yield ReviewThread(
                str(node.get("id")),
                node.get("isResolved") is True,
                database_id if isinstance(database_id, int) else None,
            )
        info = page.get("pageInfo") or {}
        if not info.get("hasNextPage") or not info.get("endCursor"):
            return
        cursor = str(info["endCursor"])


def resolve_thread(requester: Requester, thread_id: str) -> bool:
    """Resolve one review thread.

    Args:
        requester: The client's requester.
        thread_id: The thread's GraphQL node id.

    Returns:
        Whether GraphQL answers that the thread is now resolved.

    Raises:
        GithubException: GraphQL refused (FORBIDDEN, NOT_FOUND, ...).
    """
    _, payload = requester.graphql_named_mutation(
        "resolveReviewThread", {"threadId": thread_id}, "thread { id isResolved }"
    )
    return _nodes(payload, "thread", "isResolved") is True


def fixed_body(body: str, head: str) -> str:
    """Return a fixed comment's body: the fix noted above the original text.

    The original text (and its fingerprint tag, at the end) is kept, so the
    next run still knows the comment as the bot's.

    Args:
        body: The comment's body.
        head: The commit where the finding is gone.

    Returns:
        The new body.
    """
    return f"{FIXED_PREFIX} {head[:12]}\n\n{body}"


def follow_threads(
    pull: PullRequest,
    repository: str,
    gone: Mapping[str, PullRequestComment],
    head: str,
) -> ThreadsResult:
    """Resolve (or mark fixed) the inline comments of findings that are gone.

    Args:
        pull: The pull request.
        repository: ``owner/name``.
        gone: Fingerprint -> the bot's inline comment of a finding that is gone.
        head: The reviewed head SHA.

    Returns:
        How many threads were resolved and comments marked.
    """
    result = ThreadsResult()
    waiting = {c.id: c for c in gone.values() if not _is_marked(c)}
    if not waiting:
        return result
    requester = pull.requester
    try:
        threads = list(review_threads(requester, repository, pull.number))
    except GithubException:
        threads = []  # GraphQL refused the query: every comment is marked instead
    for thread in threads:
        comment = waiting.get(thread.first_comment or -1)
        if comment is None:
            continue
        if thread.resolved or _resolved(requester, thread.node_id):
            del waiting[comment.id]
            result.resolved += 0 if thread.resolved else 1
    for comment in waiting.values():
        try:
            comment.edit(fixed_body(comment.body or "", head))
        except GithubException as exc:
            result.errors.append(f"comment {comment.id}: GitHub answered {exc.status}")
            continue
        result.marked += 1
    return result


def _resolved(requester: Requester, thread_id: str) -> bool:
    try:
        return resolve_thread(requester, thread_id)
    except GithubException:
        return False  # not allowed here: the comment is marked instead


def _is_marked(comment: PullRequestComment) -> bool:
    return (comment.body or "").startswith(FIXED_PREFIX)


def gone_comments(
    tagged: Mapping[str, PullRequestComment],
    current: Collection[str],
    checked: Collection[str],
) -> dict[str, PullRequestComment]:
    """Return the bot's comments whose finding is gone.

    Args:
        tagged: Fingerprint -> the bot's inline comment carrying it.
        current: Fingerprints of this run's findings.
        checked: Fingerprints whose check ran this time (a finding of a
            check that could not run is not fixed, only unseen).

    Returns:
        Fingerprint -> comment, for findings gone although their check ran.
    """
    return {
        fp: comment
        for fp, comment in tagged.items()
        if fp not in current and fp in checked
    }
