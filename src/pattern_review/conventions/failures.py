"""What the convention engine reports about files it could not analyse.

Plain data and one finding factory, without libcst: the review's process
counts and words these findings, the engine's workers produce them.
"""

from __future__ import annotations

from pattern_review.findings import rules as review_rules
from pattern_review.findings.failures import file_failure
from pattern_review.models import Finding, Source

# Engine rule id -> what it means, for check details and ``pattern-review rules``.
ENGINE_RULES: dict[str, str] = {
    review_rules.PARSE_ERROR_RULE: "file(s) that do not parse",
    review_rules.DECODE_ERROR_RULE: "file(s) not UTF-8",
    review_rules.BINARY_FILE_RULE: "binary file(s) skipped",
    review_rules.RULE_CRASH_RULE: "file(s) where a rule crashed",
    review_rules.UNREADABLE_RULE: "unreadable file(s)",
    review_rules.ANALYSIS_FAILED_RULE: "file(s) that could not be analysed",
}


def could_not_analyse(path: str, by: Source, reason: str) -> Finding:
    """Return the error finding for a file a check could not analyse.

    Args:
        path: Path relative to the repo root.
        by: The check: ``convention`` (the rules) or ``ruff``.
        reason: Why, in a few words.

    Returns:
        A file-level error finding: the file is not reported as clean.
    """
    what = "the convention rules" if by == "convention" else by
    return file_failure(
        review_rules.ANALYSIS_FAILED_RULE,
        path,
        f"File could not be analysed by {what}: {reason}. The other checks "
        "still ran on it; simplify the code or split the file so that it can "
        "be reviewed.",
        source=by,
    )
