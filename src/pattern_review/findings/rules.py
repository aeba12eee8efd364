"""The review's own rule ids, and the rules about a whole file.

``PR0xx`` findings are the review's own (a file it could not read or
analyse); they and the syntax errors every tool reports are about a whole
file, so no line filter drops them and no comment suppresses them.
"""

from __future__ import annotations

from pattern_review.models import Finding

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
