"""What happens to findings between the checks and the report.

Filter them to what the PR introduces (SPEC principle 2), give each a
fingerprint that survives line moves (principle 4), order them, and decide
the conclusion from the deterministic ones alone (principles 1 and 3).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from pattern_review.findings.failures import file_failure
from pattern_review.lines import split_lines
from pattern_review.models import (
    NOT_PYTHON,
    SEVERITY_RANK,
    CheckResult,
    Conclusion,
    FailOn,
    FilterMode,
    Finding,
    ReviewTarget,
)

# Findings of these sources are kept whatever the line: a related test that
# fails is the PR's fault even when the test file itself did not change.
_LINE_INDEPENDENT_SOURCES = frozenset({"pytest"})

PARSE_ERROR_RULE = "PR000"
DECODE_ERROR_RULE = "PR001"
BINARY_FILE_RULE = "PR002"
RULE_CRASH_RULE = "PR003"
UNREADABLE_RULE = "PR004"
# The convention engine could not analyse a file: it crashed the parser, ran
# out of its time budget, or is too large to parse.
ANALYSIS_FAILED_RULE = "PR005"
# Findings about a whole file (it does not parse, or cannot be read as
# Python): a changed file is in that state because of the PR, whichever line
# the parser stopped at, and a pure deletion adds no line to anchor it to.
FILE_LEVEL_RULES = frozenset(
    {
        PARSE_ERROR_RULE,
        DECODE_ERROR_RULE,
        BINARY_FILE_RULE,
        RULE_CRASH_RULE,
        UNREADABLE_RULE,
        ANALYSIS_FAILED_RULE,
        "invalid-syntax",
        "mypy:syntax",
        "ruff-format:syntax",
    }
)
# The same syntax error as each tool words it, in the order the one shown is
# chosen when several point at the same place: ruff's and mypy's messages say
# what is wrong, the formatter's and our parser's only that something is.
SYNTAX_ERROR_RULES: tuple[str, ...] = (
    "invalid-syntax",
    "mypy:syntax",
    "ruff-format:syntax",
    PARSE_ERROR_RULE,
)
_PARSE_FAILURE_RULES = frozenset(
    {"mypy:syntax", "ruff-format:syntax", PARSE_ERROR_RULE}
)
_SPACE = re.compile(r"\s+")


def one_syntax_error_per_file(findings: list[Finding]) -> list[Finding]:
    """Keep one syntax-error finding per file, where every tool reports its own.

    A file that does not parse stops ruff, the formatter, mypy and the
    convention engine alike, and each says so (ruff and mypy often twice, as
    the parser recovers). The first error in the file is the cause; the one
    kept is the first by position, worded by the tool that says most. In a
    file that parses, ruff's other ``invalid-syntax`` errors are all kept.

    Args:
        findings: Findings of every check.

    Returns:
        The same findings, minus the other syntax errors of each file.
    """
    # ruff also files errors that do not stop the parser (a duplicate
    # parameter) as invalid-syntax: those are all kept unless the file
    # really does not parse.
    broken = {f.path for f in findings if f.rule in _PARSE_FAILURE_RULES}
    first: dict[str, Finding] = {}
    for finding in findings:
        if finding.rule not in SYNTAX_ERROR_RULES or finding.path not in broken:
            continue
        kept = first.get(finding.path)
        if kept is None or _syntax_rank(finding) < _syntax_rank(kept):
            first[finding.path] = finding
    return [
        f
        for f in findings
        if f.rule not in SYNTAX_ERROR_RULES
        or f.path not in broken
        or f is first[f.path]
    ]


def _syntax_rank(finding: Finding) -> tuple[int, int, int]:
    return (finding.line, finding.column, SYNTAX_ERROR_RULES.index(finding.rule))


def in_scope(finding: Finding, target: ReviewTarget, mode: FilterMode) -> bool:
    """Return whether a finding counts under a filter mode.

    Args:
        finding: The finding.
        target: The reviewed change.
        mode: ``added`` (a line of the finding was added, and the finding
            is ``introduced``: see baseline.py), ``diff_context``
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


def _normalized_code(sources: Mapping[str, str], finding: Finding) -> str:
    text = sources.get(finding.path)
    if text is None:
        return ""
    lines = split_lines(text)
    picked = lines[finding.line - 1 : finding.end_line]
    return _SPACE.sub(" ", " ".join(picked)).strip()


def fingerprint(
    findings: Sequence[Finding], sources: Mapping[str, str]
) -> list[Finding]:
    """Give each finding a fingerprint that does not depend on its line number.

    The fingerprint hashes the rule, the path and the finding's code with
    white space folded; identical ones in a file are told apart by order.

    Args:
        findings: Findings to fingerprint.
        sources: File text by path, for the code under each finding.

    Returns:
        Copies of the findings with ``fingerprint`` set.
    """
    seen: Counter[str] = Counter()
    result: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (f.path, f.line, f.column)):
        code = _normalized_code(sources, finding) or finding.message
        key = "\0".join((finding.rule, finding.path, code))
        seen[key] += 1
        digest = hashlib.sha256(f"{key}\0{seen[key]}".encode()).hexdigest()[:16]
        result.append(finding.model_copy(update={"fingerprint": digest}))
    return result


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Order findings most severe first, then by path, line and column.

    Args:
        findings: Findings in any order.

    Returns:
        A new sorted list.
    """
    return sorted(
        findings,
        key=lambda f: (-SEVERITY_RANK[f.severity], f.path, f.line, f.column, f.rule),
    )


def fails(finding: Finding, fail_on: FailOn) -> bool:
    """Return whether a finding fails the review.

    Args:
        finding: The finding.
        fail_on: The lowest failing severity, or ``never``.

    Returns:
        True for a deterministic finding at or above ``fail_on``.
    """
    if fail_on == "never" or finding.source == "ai":
        return False
    return SEVERITY_RANK[finding.severity] >= SEVERITY_RANK[fail_on]


def conclude(
    findings: Iterable[Finding], checks: Iterable[CheckResult], fail_on: FailOn
) -> Conclusion:
    """Decide the review's conclusion from deterministic results only.

    A requested check that could not run fails the review: it must never
    look like a pass (and ``neutral`` would satisfy a required status check).

    Args:
        findings: The kept findings (AI ones are ignored).
        checks: The check results.
        fail_on: The lowest failing severity.

    Returns:
        ``failure`` or ``success``.
    """
    if any(check.status == "error" for check in checks):
        return "failure"
    return "failure" if any(fails(f, fail_on) for f in findings) else "success"
