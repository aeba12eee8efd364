"""Fingerprints of findings that survive the lines moving.

A re-run on the same PR tells new findings from old ones by them, whatever
lines were added above.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Mapping, Sequence

from pattern_review.lines import split_lines
from pattern_review.models import Finding

_SPACE = re.compile(r"\s+")


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
