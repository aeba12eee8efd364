"""Which findings count: the filter to what the PR changed, and unreadable files.

A review reports what the PR introduces: by default a finding counts when it
touches a line the PR added and the base version did not have it already;
the filter modes widen that to the diff's hunks, the changed files, or
everything.
"""

from __future__ import annotations

from collections.abc import Iterable

from pattern_review.findings.failures import file_failure
from pattern_review.findings.rules import (
    BINARY_FILE_RULE,
    DECODE_ERROR_RULE,
    FILE_LEVEL_RULES,
    UNREADABLE_RULE,
)
from pattern_review.models import NOT_PYTHON, FilterMode, Finding, ReviewTarget

# Findings of these sources are kept whatever the line: a related test that
# fails is the PR's fault even when the test file itself did not change.
_LINE_INDEPENDENT_SOURCES = frozenset({"pytest"})


def in_scope(finding: Finding, target: ReviewTarget, mode: FilterMode) -> bool:
    """Return whether a finding counts under a filter mode.

    Args:
        finding: The finding.
        target: The reviewed change.
        mode: ``added`` (a line of the finding was added, and the finding
            is ``introduced``: see baseline/base_run.py), ``diff_context``
            (a line lies in a diff hunk), ``file`` (the file changed) or
            ``nofilter`` (everything).

    Returns:
        True when the finding is kept.
    """
    if mode == "nofilter" or finding.source in _LINE_INDEPENDENT_SOURCES:
        return True
    changed = target.file(finding.path)
    if finding.rule in FILE_LEVEL_RULES:
        return changed is not None and changed.status != "deleted"
    if changed is None or not changed.reviewed:
        return False
    if mode == "file":
        return True
    lines = range(finding.line, finding.end_line + 1)
    if mode == "added":
        # ``introduced`` is False where the base version already had it.
        return finding.introduced and any(line in changed.added_lines for line in lines)
    return any(changed.in_hunk(line) for line in lines)


def count_pre_existing(findings: Iterable[Finding], target: ReviewTarget) -> int:
    """Count the findings in changed files that the PR did not introduce.

    The ``added`` filter mode leaves them out; ``file`` lists them.

    Args:
        findings: Findings after suppression, ``introduced`` set.
        target: The reviewed change.

    Returns:
        How many are not introduced yet lie in a changed file.
    """
    return sum(1 for f in findings if not f.introduced and in_scope(f, target, "file"))


def filter_findings(
    findings: Iterable[Finding], target: ReviewTarget, mode: FilterMode
) -> list[Finding]:
    """Keep the findings that count under ``mode``.

    Args:
        findings: Every finding of the checks.
        target: The reviewed change.
        mode: The filter mode.

    Returns:
        The kept findings, in their original order.
    """
    return [f for f in findings if in_scope(f, target, mode)]


# Skip reasons of files left out on purpose: everything else a review cannot
# read is an error, so a PR cannot pass by making its file unreadable.
_INTENDED_SKIPS = frozenset({"deleted", "submodule", "symlink", NOT_PYTHON})
_INTENDED_SKIP_PREFIXES = ("generated", "excluded")


def _skipped_on_purpose(reason: str) -> bool:
    return reason in _INTENDED_SKIPS or reason.startswith(_INTENDED_SKIP_PREFIXES)


def unreadable_files(target: ReviewTarget) -> list[Finding]:
    """Report changed Python files that no check can read.

    The target skips them (a tool would crash or misread them); this makes
    the skip a finding, so such a PR is not reported as clean. Files left
    out on purpose (deleted, a symlink or submodule, generated, excluded by
    the config) are not findings.

    Args:
        target: The reviewed change.

    Returns:
        An error per Python file that was not reviewed for any other reason.
    """
    findings: list[Finding] = []
    for changed in target.files:
        reason = changed.skip_reason
        if (
            reason is None
            or not changed.path.endswith((".py", ".pyi"))
            or changed.skip_kind is not None  # generated, excluded by config
            or _skipped_on_purpose(reason)
        ):
            continue
        if reason.startswith("not valid UTF-8"):
            rule = DECODE_ERROR_RULE
            message = (
                f"File is {reason}: Python source must be UTF-8 (PEP 3120),"
                " and no check could read it."
            )
        elif reason == "binary file":
            rule = BINARY_FILE_RULE
            message = (
                "File holds binary content (a NUL byte), not Python source"
                " that Python would run: no check could read it."
            )
        else:
            rule = UNREADABLE_RULE
            message = f"File was not reviewed: it {reason}."
        findings.append(file_failure(rule, changed.path, message))
    return findings
