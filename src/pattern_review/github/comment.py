"""The one sticky PR comment: find it, compare with it, rewrite it in place.

Only a comment that starts with the marker AND was written by the bot itself
counts, so anyone imitating the marker in their own comment cannot steer
what the next run reports as fixed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from github.IssueComment import IssueComment
from github.PullRequest import PullRequest

from pattern_review.github.marker import (
    MarkerData,
    build_marker,
    finding_delta,
    has_marker,
    parse_marker,
)
from pattern_review.models import FindingDelta, Report
from pattern_review.report.markdown import COMMENT_LIMIT, render_markdown
from pattern_review.rulebook.agent_file import AgentFile

ACTIONS_BOT = "github-actions[bot]"


def find_sticky(
    comments: Iterable[IssueComment], authors: Collection[str]
) -> IssueComment | None:
    """Return the oldest comment that is ours and carries the marker.

    Args:
        comments: The PR's issue comments, oldest first.
        authors: Logins the bot posts as.

    Returns:
        The sticky comment, or None when there is none yet.
    """
    for comment in comments:
        if comment.user is not None and comment.user.login in authors:
            if has_marker(comment.body or ""):
                return comment
    return None


def render_body(
    report: Report,
    agent: AgentFile,
    *,
    blob_base: str | None,
    delta: FindingDelta | None,
    notes: Iterable[str] = (),
) -> str:
    """Return the sticky comment's body: marker, notes, then the review.

    Args:
        report: The review.
        agent: The agent file the citations point to.
        blob_base: Base of links into the repo, or None.
        delta: Comparison with the previous run, or None on a first run.
        notes: Lines for the reader put above the review (fallbacks).

    Returns:
        At most COMMENT_LIMIT characters.
    """
    header = build_marker(report.head, report.findings) + "\n"
    for note in notes:
        header += f"> [!NOTE]\n> {note}\n\n"
    return render_markdown(
        report,
        agent,
        blob_base=blob_base,
        delta=delta,
        max_chars=COMMENT_LIMIT,
        header=header,
    )


def previous_run(sticky: IssueComment | None) -> MarkerData | None:
    """Return what the sticky comment remembers of the previous run.

    Args:
        sticky: The existing sticky comment, or None.

    Returns:
        The marker's data, or None.
    """
    return None if sticky is None else parse_marker(sticky.body or "")


@dataclass(frozen=True)
class Sticky:
    """The sticky comment as found before this run writes anything.

    Attributes:
        comment: The bot's sticky comment, or None when there is none yet.
        previous: What its marker remembers of the previous run, or None.
    """

    comment: IssueComment | None
    previous: MarkerData | None


def read_sticky(pull: PullRequest, authors: Collection[str]) -> Sticky:
    """Find the sticky comment and read what it remembers.

    Args:
        pull: The pull request.
        authors: Logins the bot posts as.

    Returns:
        The comment and its marker's data.
    """
    comment = find_sticky(pull.get_issue_comments(), authors)
    return Sticky(comment, previous_run(comment))


def upsert_comment(
    pull: PullRequest,
    report: Report,
    agent: AgentFile,
    *,
    authors: Collection[str],
    blob_base: str | None,
    notes: Iterable[str] = (),
    found: Sticky | None = None,
) -> tuple[str, FindingDelta | None]:
    """Edit the sticky comment in place, or create it.

    Args:
        pull: The pull request.
        report: The review.
        agent: The agent file the citations point to.
        authors: Logins the bot posts as.
        blob_base: Base of links into the repo, or None.
        notes: Lines for the reader put above the review.
        found: The sticky comment as read earlier in this run; None reads it.

    Returns:
        The comment's URL and the comparison with the previous run.
    """
    found = read_sticky(pull, authors) if found is None else found
    sticky = found.comment
    delta = finding_delta(found.previous, report.findings)
    body = render_body(report, agent, blob_base=blob_base, delta=delta, notes=notes)
    if sticky is None:
        created = pull.create_issue_comment(body)
        return created.html_url, delta
    sticky.edit(body)
    return sticky.html_url, delta
