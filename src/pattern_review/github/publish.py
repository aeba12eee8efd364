"""Post a review to its pull request: inline review, sticky comment, check run.

``publish`` never raises for an API fault: each part either succeeds or adds
a one-line error to the result, and the others still go out. A token that
may not write (a fork's ``pull_request`` token, Dependabot) sets
``read_only`` so the caller can fall back to the job summary and workflow
annotations. Before posting on a PR, the PR's head is compared with the
reviewed SHA: a review of a commit that is no longer the head is not posted
on the PR (a newer run will post); its check run still goes on the reviewed
SHA, where it is true.

Each finding has one home per line: the inline comments go to the findings
that matter most and are new in this push; the check run annotates the rest,
never a line an inline comment covers. On a new push, the inline comments of
findings that are gone are resolved (github/threads.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from github import Github
from github.PullRequest import PullRequest
from github.PullRequestComment import PullRequestComment
from github.Repository import Repository

from pattern_review.checks.registry import check_spec
from pattern_review.config import Config
from pattern_review.github.check_run import publish_check_run
from pattern_review.github.client import GitHubError, classify
from pattern_review.github.comment import (
    ACTIONS_BOT,
    Sticky,
    read_sticky,
    upsert_comment,
)
from pattern_review.github.review_comments import (
    InlinePlan,
    plan_inline,
    post_review,
    tagged_comments,
)
from pattern_review.github.threads import follow_threads, gone_comments
from pattern_review.models import Finding, FindingDelta, Report
from pattern_review.rulebook.agent_file import AgentFile

DEFAULT_MAX_INLINE: int = Config.model_fields["max_inline_comments"].default
# One review of many comments still trips GitHub's secondary rate limit.
MAX_INLINE = 50


@dataclass
class PublishRequest:
    """What to publish and where.

    Attributes:
        report: The review; ``target.repository``, ``target.pr`` and ``head``
            say where it goes.
        agent: The agent file the citations point to.
        blob_base: ``https://host/owner/repo/blob/<sha>`` for links, or None.
        comment: Post/edit the sticky PR comment.
        inline_comments: Post inline comments as one review.
        check_run: Create the ``pattern-review`` check run.
        max_inline_comments: At most this many inline comments per run
            (never more than MAX_INLINE).
    """

    report: Report
    agent: AgentFile
    blob_base: str | None = None
    comment: bool = True
    inline_comments: bool = True
    check_run: bool = True
    max_inline_comments: int = DEFAULT_MAX_INLINE


@dataclass
class PublishResult:
    """What was published, and what was not and why.

    Attributes:
        comment_url: URL of the sticky comment, when posted.
        check_run_url: URL of the check run, when created.
        review_posted: Inline comments posted in this run's review.
        inline_skipped: Findings in the diff not posted inline (over the cap
            or rejected); they are in the sticky comment.
        delta: New / fixed compared with the previous run, when known.
        threads_resolved: Threads of fixed findings resolved in this run.
        threads_marked: Comments of fixed findings edited to say so, where
            resolving was refused.
        fallbacks: One line per part that fell back to another channel.
        errors: One line per part that failed.
        read_only: The token may not write: use the job summary instead.
        stale: The PR head moved past the reviewed SHA: nothing posted on the PR.
    """

    comment_url: str | None = None
    check_run_url: str | None = None
    review_posted: int = 0
    inline_skipped: int = 0
    delta: FindingDelta | None = None
    threads_resolved: int = 0
    threads_marked: int = 0
    fallbacks: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    read_only: bool = False
    stale: bool = False

    @property
    def ok(self) -> bool:
        """Whether every requested part went out."""
        return not self.errors and not self.read_only and not self.stale


class _Publisher:
    """One publish run: the client, the request, and the result it fills."""

    def __init__(self, client: Github, request: PublishRequest) -> None:
        self.client = client
        self.request = request
        self.report = request.report
        self.result = PublishResult()
        self.notes: list[str] = []
        self.plan = InlinePlan()

    def fail(self, part: str, exc: BaseException, *, writing: bool) -> None:
        error = classify(exc, writing=writing)
        if error.read_only:
            self.result.read_only = True
        self.result.errors.append(f"{part}: {error.reason}")

    def authors(self) -> frozenset[str]:
        # An Actions token cannot read /user (403); it posts as github-actions[bot].
        # PyGithub logs that expected 403 as a failed request: keep it quiet.
        # pattern-review: ignore[ERR003] PyGithub's own logger, by its name
        retry_log = logging.getLogger("github.GithubRetry")
        was_disabled, retry_log.disabled = retry_log.disabled, True
        try:
            return frozenset({ACTIONS_BOT, self.client.get_user().login})
        # pattern-review: ignore[ERR002] fault boundary: never crash
        except Exception:  # noqa: BLE001 - any failure just means "the default bot"
            return frozenset({ACTIONS_BOT})
        finally:
            retry_log.disabled = was_disabled

    def head_is_current(self, pull: PullRequest) -> bool:
        try:
            head = pull.head.sha
        # pattern-review: ignore[ERR002] fault boundary: never crash
        except Exception as exc:  # noqa: BLE001 - classified into a one-line error
            self.fail("pull request", exc, writing=False)
            return False
        if head != self.report.head:
            self.result.stale = True
            self.result.fallbacks.append(
                f"pull request: head moved to {head[:12]} after the review of "
                f"{self.report.head[:12]}; nothing posted on the PR"
            )
            return False
        return True

    def sticky(self, pull: PullRequest, authors: frozenset[str]) -> Sticky | None:
        # Read once, before anything is written: the inline comments need to
        # know what the previous run reviewed, and the comment edits it.
        try:
            return read_sticky(pull, authors)
        # pattern-review: ignore[ERR002] fault boundary: never crash
        except Exception as exc:  # noqa: BLE001 - classified into a one-line error
            if self.request.comment:
                self.fail("comment", exc, writing=False)
            return None

    def review(
        self, pull: PullRequest, authors: frozenset[str], sticky: Sticky | None
    ) -> None:
        plan = InlinePlan()
        previous = sticky.previous if sticky is not None else None
        try:
            tagged = tagged_comments(pull.get_review_comments(), authors)
            plan = plan_inline(
                self.report,
                self.request.agent,
                blob_base=self.request.blob_base,
                max_inline=min(self.request.max_inline_comments, MAX_INLINE),
                already=tagged.keys(),
                reviewed=None if previous is None else previous.findings.keys(),
            )
            self.result.inline_skipped = len(plan.over_cap)
            self.result.review_posted = post_review(pull, self.report.head, plan)
            self.plan = plan
        # pattern-review: ignore[ERR002] fault boundary: never crash
        except Exception as exc:  # noqa: BLE001 - classified into a one-line error
            error = classify(exc, writing=True)
            if error.status == 422:
                self.result.inline_skipped += len(plan.posted)
                where = "the PR comment" if self.request.comment else "the report"
                self.result.fallbacks.append(
                    f"review: GitHub rejected the inline comments ({error.reason}); "
                    f"their {len(plan.posted)} findings are in {where}"
                )
                self.notes.append(
                    "Inline comments could not be placed (GitHub answered 422); "
                    "every finding is listed below."
                )
                self.plan = InlinePlan(already_posted=plan.already_posted)
                return
            self.fail("review", exc, writing=True)
            return
        if previous is not None:
            self.follow(pull, tagged, previous.findings)

    def follow(
        self,
        pull: PullRequest,
        tagged: dict[str, PullRequestComment],
        reviewed: dict[str, Finding],
    ) -> None:
        """Resolve the threads of findings gone since the previous run."""
        ran = {
            check_spec(c.name).source
            for c in self.report.checks
            if c.status in ("passed", "failed")
        }
        checked = {fp for fp, f in reviewed.items() if f.source in ran}
        current = {f.fingerprint for f in self.report.findings}
        gone = gone_comments(tagged, current, checked)
        if not gone:
            return
        try:
            done = follow_threads(
                pull, self.report.target.repository or "", gone, self.report.head
            )
        # pattern-review: ignore[ERR002] fault boundary: never crash
        except Exception as exc:  # noqa: BLE001 - classified into a one-line error
            self.fail("threads", exc, writing=True)
            return
        self.result.threads_resolved = done.resolved
        self.result.threads_marked = done.marked
        self.result.errors += [f"threads: {error}" for error in done.errors]

    def comment(
        self, pull: PullRequest, authors: frozenset[str], sticky: Sticky
    ) -> None:
        try:
            url, delta = upsert_comment(
                pull,
                self.report,
                self.request.agent,
                authors=authors,
                blob_base=self.request.blob_base,
                notes=self.notes,
                found=sticky,
            )
        # pattern-review: ignore[ERR002] fault boundary: never crash
        except Exception as exc:  # noqa: BLE001 - classified into a one-line error
            self.fail("comment", exc, writing=True)
            return
        self.result.comment_url, self.result.delta = url, delta

    def check_run(self, repo: Repository) -> None:
        try:
            run = publish_check_run(
                repo,
                self.report,
                self.request.agent,
                blob_base=self.request.blob_base,
                comment_url=self.result.comment_url,
                threaded_lines=self.plan.threaded_lines(),
            )
        # pattern-review: ignore[ERR002] fault boundary: never crash
        except Exception as exc:  # noqa: BLE001 - classified into a one-line error
            self.fail("check run", exc, writing=True)
            return
        self.result.check_run_url = run.html_url

    def run(self) -> PublishResult:
        target = self.report.target
        if not target.repository:
            self.result.errors.append("publish: the report names no repository")
            return self.result
        repo = self.client.get_repo(target.repository)
        wants_pr = self.request.comment or self.request.inline_comments
        if target.pr is not None and wants_pr:
            pull = repo.get_pull(target.pr)
            if self.head_is_current(pull):
                authors = self.authors()
                sticky = self.sticky(pull, authors)
                if self.request.inline_comments:
                    self.review(pull, authors, sticky)
                # An unreadable sticky comment is already an error: no
                # second comment beside it.
                can_write = not self.result.read_only
                if self.request.comment and sticky is not None and can_write:
                    self.comment(pull, authors, sticky)
        if self.request.check_run and not self.result.read_only:
            self.check_run(repo)
        return self.result


def publish(client: Github, request: PublishRequest) -> PublishResult:
    """Publish a review to GitHub; never raises for API faults.

    Order: the inline review first (so a rejected review can be noted in the
    comment), then the sticky comment, then the check run. Once the token
    proves read-only, no further write is tried.

    Args:
        client: A client from :func:`pattern_review.github.client.make_client`.
        request: What to publish.

    Returns:
        What went out, what fell back, and one line per failure.
    """
    return _Publisher(client, request).run()


__all__ = ["GitHubError", "PublishRequest", "PublishResult", "publish"]
