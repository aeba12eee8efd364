"""Keep only model comments that cite a catalogued pattern on a changed line.

The model may only add advisory findings, and one that does not cite a
catalogued pattern and anchor to a changed line is dropped. Drops are counted
by reason so the report can say how many were discarded and why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field

from pattern_review.models import FilterMode, ReviewTarget
from pattern_review.rulebook.catalog import is_pattern_slug

MAX_AI_COMMENTS = 40

DropReason = Literal[
    "unknown_pattern", "file_not_in_pr", "line_not_in_diff", "duplicate", "over_cap"
]


class AiComment(BaseModel):
    """One comment as the model wrote it (still untrusted).

    Attributes:
        path: File path relative to the repo root.
        line: 1-based head line.
        pattern: Citation slug.
        severity: ``warning`` or ``note`` (anything else is read as warning).
        body: Markdown explanation.
        replacement: Replacement text for the line, or None.
    """

    path: str
    line: int
    pattern: str
    severity: str = "warning"
    body: str
    replacement: str | None = None


class AiAnswer(BaseModel):
    """The model's whole answer.

    Attributes:
        summary: A short verdict on the PR.
        comments: Advisory comments.
    """

    summary: str = ""
    comments: list[AiComment] = Field(default_factory=list)


@dataclass
class Validated:
    """Comments that passed, and how many were dropped per reason."""

    kept: list[AiComment] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)


def _line_allowed(
    target: ReviewTarget,
    comment: AiComment,
    mode: FilterMode,
    line_counts: Mapping[str, int],
) -> bool:
    changed = target.file(comment.path)
    if changed is None or comment.line < 1:
        return False
    if mode == "added":
        return comment.line in changed.added_lines
    if mode == "diff_context":
        return changed.in_hunk(comment.line) or comment.line in changed.added_lines
    known = line_counts.get(comment.path)
    return known is None or comment.line <= known


def validate_comments(
    comments: Sequence[AiComment],
    target: ReviewTarget,
    filter_mode: FilterMode,
    line_counts: Mapping[str, int] | None = None,
    max_comments: int = MAX_AI_COMMENTS,
) -> Validated:
    """Drop comments that cannot be trusted to point at the PR's own change.

    Args:
        comments: The model's comments.
        target: What is reviewed (changed files, added lines, hunks).
        filter_mode: Which lines count: ``added`` needs an added line,
            ``diff_context`` a line inside a hunk, ``file``/``nofilter`` any
            line of a changed file.
        line_counts: Line count of each changed file at head, to bound
            ``file``/``nofilter`` lines.
        max_comments: Comments kept at most; the rest count as ``over_cap``.

    Returns:
        The kept comments, in the model's order, and the drop counts.
    """
    reviewed = {f.path for f in target.reviewed_files}
    dropped: Counter[str] = Counter()
    kept: list[AiComment] = []
    seen: set[tuple[str, int, str]] = set()
    for comment in comments:
        reason: DropReason | None = None
        key = (comment.path, comment.line, comment.pattern)
        if not is_pattern_slug(comment.pattern):
            reason = "unknown_pattern"
        elif comment.path not in reviewed:
            reason = "file_not_in_pr"
        elif not _line_allowed(target, comment, filter_mode, line_counts or {}):
            reason = "line_not_in_diff"
        elif key in seen:
            reason = "duplicate"
        elif len(kept) >= max_comments:
            reason = "over_cap"
        if reason is not None:
            dropped[reason] += 1
            continue
        seen.add(key)
        kept.append(comment)
    return Validated(kept, dict(dropped))
