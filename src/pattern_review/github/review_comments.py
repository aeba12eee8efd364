"""Inline comments: one batched review on lines GitHub can place.

GitHub rejects a whole review (422) when any comment's line is outside a
RIGHT-side diff hunk or a multi-line range spans two hunks, and creating
comments one by one trips the secondary rate limit. So the findings are
filtered to ``report.diff_hunks`` first, the ``max_inline`` that matter most
(by impact: failing tests, type errors, unanalysable files, architecture,
then style) go in one review, and each body carries a hidden fingerprint tag
so a re-run does not post the same comment again. Only findings new since
the last reviewed commit are posted: an old one the cap cut stays in the
sticky comment, rather than arriving as a fresh comment pushes later.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from github.PullRequest import PullRequest
from github.PullRequestComment import PullRequestComment

from pattern_review.findings.impact import by_impact
from pattern_review.lines import split_lines
from pattern_review.models import Finding, Report
from pattern_review.report.markdown import citation_md, escape_md, message_md
from pattern_review.report.shared import pattern_title
from pattern_review.rulebook.agent_file import AgentFile

FP_TAG = "<!-- pattern-review:fp={} -->"
# Only the tag that ends a comment counts: a message or suggestion quoting PR
# text could hold one too, and must not pass for a finding already posted.
_FP_TAG = re.compile(r"<!-- pattern-review:fp=([^\s<>]{1,128}) -->\s*\Z")


@dataclass
class InlinePlan:
    """Which findings become inline comments.

    Attributes:
        comments: Review comment payloads (path, line, body...).
        posted: The findings those comments carry.
        over_cap: Findings in the diff left out by ``max_inline``.
        outside_diff: Findings on lines GitHub cannot comment on.
        already_posted: Findings an earlier run already commented on.
        not_new: Findings the previous run reviewed without an inline
            comment (the cap cut them): they stay in the sticky comment.
    """

    comments: list[dict[str, object]] = field(default_factory=list)
    posted: list[Finding] = field(default_factory=list)
    over_cap: list[Finding] = field(default_factory=list)
    outside_diff: list[Finding] = field(default_factory=list)
    already_posted: list[Finding] = field(default_factory=list)
    not_new: list[Finding] = field(default_factory=list)

    def threaded_lines(self) -> frozenset[tuple[str, int]]:
        """Return the (path, line) places an inline comment covers.

        Returns:
            The lines of the comments posted now and of the findings whose
            comment an earlier run posted: annotations stay off them.
        """
        return frozenset(
            (f.path, line)
            for f in (*self.posted, *self.already_posted)
            for line in range(f.line, f.end_line + 1)
        )


def _hunk(report: Report, path: str, line: int) -> tuple[int, int] | None:
    for start, end in report.diff_hunks.get(path, []):
        if start <= line <= end:
            return (start, end)
    return None


# A suggestion's fence must be longer than any run of backticks inside it.
_FENCE_RUN = re.compile(r"`{3,}")


def _fence(text: str) -> str:
    longest = max((len(run) for run in _FENCE_RUN.findall(text)), default=2)
    return "`" * max(3, longest + 1)


def inline_body(finding: Finding, agent: AgentFile, blob_base: str | None) -> str:
    """Return the markdown of one inline comment.

    Args:
        finding: The finding.
        agent: The agent file the citation points to.
        blob_base: Base of links into the repo, or None.

    Returns:
        Rule, severity, message and cited pattern, the suggestion block when
        the finding has one, and the hidden fingerprint tag.
    """
    title = escape_md(pattern_title(agent, finding.pattern))
    url = agent.url_for(finding.pattern, blob_base)
    cited = f"[{title}]({url})" if url else title
    lines = [
        f"**{escape_md(finding.rule)}** ({finding.severity}): "
        f"{message_md(finding.message)}",
        "",
        f"Pattern: {cited}",
    ]
    sentence = citation_md(agent, finding, blob_base)
    if sentence:  # the one sentence its rule is bound to, linked to its line
        lines += [f"> {sentence}"]
    if finding.suggestion is not None:
        fence = _fence(finding.suggestion)
        # One block line per replacement line: a deletion is an empty block
        # (a blank line in it would replace the code with a blank line).
        block = split_lines(finding.suggestion)
        lines += ["", f"{fence}suggestion", *block, fence]
    if finding.fingerprint:
        lines += ["", FP_TAG.format(finding.fingerprint)]
    return "\n".join(lines)


def tagged_comments(
    comments: Iterable[PullRequestComment], authors: Collection[str]
) -> dict[str, PullRequestComment]:
    """Return the bot's inline comments by the fingerprint they carry.

    Args:
        comments: The PR's review comments, oldest first.
        authors: Logins the bot posts as.

    Returns:
        Fingerprint -> the first comment of the bot's that carries it.
    """
    found: dict[str, PullRequestComment] = {}
    for comment in comments:
        if comment.user is not None and comment.user.login in authors:
            tag = _FP_TAG.search(comment.body or "")
            if tag:
                found.setdefault(tag.group(1), comment)
    return found


def posted_fingerprints(
    comments: Iterable[PullRequestComment], authors: Collection[str]
) -> set[str]:
    """Return fingerprints of inline comments the bot already posted.

    Args:
        comments: The PR's review comments.
        authors: Logins the bot posts as.

    Returns:
        Fingerprints found in the bot's comment tags.
    """
    return set(tagged_comments(comments, authors))


def plan_inline(
    report: Report,
    agent: AgentFile,
    *,
    blob_base: str | None,
    max_inline: int,
    already: Collection[str] = frozenset(),
    reviewed: Collection[str] | None = None,
) -> InlinePlan:
    """Choose the inline comments of a review.

    Args:
        report: The review (its ``diff_hunks`` say where comments may go).
        agent: The agent file the citations point to.
        blob_base: Base of links into the repo, or None.
        max_inline: At most this many comments.
        already: Fingerprints already commented on by an earlier run.
        reviewed: Fingerprints the previous run reviewed (its sticky
            comment's marker), or None on a first run.

    Returns:
        The plan; findings not placed stay in the sticky comment.
    """
    plan = InlinePlan()
    for finding in by_impact(report.findings):
        hunk = _hunk(report, finding.path, finding.line)
        if hunk is None:
            plan.outside_diff.append(finding)
        elif finding.fingerprint and finding.fingerprint in already:
            plan.already_posted.append(finding)
        elif reviewed is not None and finding.fingerprint in reviewed:
            plan.not_new.append(finding)
        elif len(plan.posted) >= max_inline:
            plan.over_cap.append(finding)
        else:
            plan.posted.append(finding)
            plan.comments.append(_comment(finding, hunk, agent, blob_base))
    return plan


def _comment(
    finding: Finding, hunk: tuple[int, int], agent: AgentFile, blob_base: str | None
) -> dict[str, object]:
    start, end = finding.line, finding.end_line
    multi = end > start and hunk[0] <= end <= hunk[1]
    if not multi and end > start and finding.suggestion is not None:
        # A suggestion replaces the commented lines: on one line it would be wrong.
        finding = finding.model_copy(update={"suggestion": None})
    comment: dict[str, object] = {
        "path": finding.path,
        "line": end if multi else start,
        "side": "RIGHT",
        "body": inline_body(finding, agent, blob_base),
    }
    if multi:
        comment["start_line"] = start
        comment["start_side"] = "RIGHT"
    return comment


def post_review(pull: PullRequest, head: str, plan: InlinePlan) -> int:
    """Post the planned comments as one review on the head commit.

    Args:
        pull: The pull request.
        head: The reviewed head SHA (comments are anchored to it).
        plan: The planned comments.

    Returns:
        How many comments were posted (0 when the plan is empty: no request).
    """
    if not plan.comments:
        return 0
    commit = pull.base.repo.get_commit(head)
    count = len(plan.comments)
    pull.create_review(
        commit=commit,
        body=f"pattern-review: {count} inline finding"
        f"{'' if count == 1 else 's'}; the full review is in the PR comment.",
        event="COMMENT",
        comments=plan.comments,  # type: ignore[arg-type]
    )
    return count
