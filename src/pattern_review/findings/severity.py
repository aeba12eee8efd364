"""Severity adjustments the whole review agrees on.

A test file's missing docstrings and annotations (style rules 2 and 3: ruff's
``D`` and ``ANN`` codes) are warnings: a pytest fixture without a return
annotation is not a defect of the product, and on real repositories such
findings outnumber all others. A team that wants them as errors names the
codes in ``select``. The conclusion is drawn after this, so the verdict and
every surface agree.
"""

from __future__ import annotations

from collections.abc import Sequence

from pattern_review.config import Config
from pattern_review.conventions.roles import path_roles
from pattern_review.findings.suppressions import config_matches
from pattern_review.models import Finding

# The ruff codes of style rules 2 (annotations) and 3 (docstrings).
TEST_LENIENT_PREFIXES: tuple[str, ...] = ("ANN", "D")


def is_test_style(finding: Finding, config: Config) -> bool:
    """Return whether a finding is a docstring or annotation one on a test file.

    Args:
        finding: Any finding.
        config: Its ``roles`` decide what a test file is.

    Returns:
        True for a ruff ``D``/``ANN`` finding in a file with the test role.
    """
    return (
        finding.source == "ruff"
        and finding.rule.startswith(TEST_LENIENT_PREFIXES)
        and "test" in path_roles(finding.path, config)
    )


def soften_test_style(findings: Sequence[Finding], config: Config) -> list[Finding]:
    """Lower test files' docstring and annotation errors to warnings.

    Args:
        findings: The kept findings.
        config: A rule (or prefix) named in ``select`` keeps its severity.

    Returns:
        The findings, in order, those of test files' style rules 2 and 3
        at most warnings.
    """
    result: list[Finding] = []
    for finding in findings:
        if (
            finding.severity == "error"
            and is_test_style(finding, config)
            and not any(config_matches(finding.rule, entry) for entry in config.select)
        ):
            finding = finding.model_copy(update={"severity": "warning"})
        result.append(finding)
    return result
