"""SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

``tool.driver.rules`` carries the whole convention catalog (so a viewer can
show each rule's rationale even for rules that did not fire) plus one entry
per other rule id the findings use (ruff, mypy, pytest, AI).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import quote

from pattern_review import __version__
from pattern_review.conventions.registry import all_rules
from pattern_review.models import Finding, Report
from pattern_review.report.shared import ordered, pattern_title
from pattern_review.rulebook.agent_file import AgentFile
from pattern_review.rulebook.catalog import cite_ruff_code

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
    "sarif-schema-2.1.0.json"
)
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "patternReview/v1"
_LEVEL = {"error": "error", "warning": "warning", "note": "note"}


@dataclass(frozen=True)
class _Citation:
    """What a rule entry says about the pattern it cites."""

    title: str
    words: str
    url: str | None


def _citations(agent: AgentFile, blob_base: str | None) -> Callable[[str], _Citation]:
    # Findings repeat a handful of slugs; look each up in the agent file once.
    @cache
    def cite(slug: str) -> _Citation:
        return _Citation(
            pattern_title(agent, slug),
            agent.rule_text(slug),
            agent.url_for(slug, blob_base),
        )

    return cite


def _rule_entry(
    rule_id: str,
    name: str,
    short: str,
    full: str,
    pattern: str,
    level: str,
    url: str | None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": rule_id,
        "name": name,
        "shortDescription": {"text": short},
        "fullDescription": {"text": full or short},
        "defaultConfiguration": {"level": _LEVEL[level]},
        "properties": {"pattern": pattern, "tags": [pattern]},
    }
    if url is not None:
        entry["helpUri"] = url
    return entry


def _catalog_rules(cite: Callable[[str], _Citation]) -> list[dict[str, Any]]:
    entries = []
    for rule in all_rules():
        doc = inspect.cleandoc(rule.__doc__ or "")
        citation = cite(rule.PATTERN)
        entry = _rule_entry(
            rule.ID,
            rule.__name__,
            rule.SUMMARY or rule.MESSAGE or rule.ID,
            rule.AGENT_TEXT or citation.words,
            rule.PATTERN,
            rule.SEVERITY,
            citation.url,
        )
        if rule.MESSAGE or doc:
            entry["help"] = {"text": rule.MESSAGE or doc}
        entries.append(entry)
    return entries


def _other_rule(finding: Finding, cite: Callable[[str], _Citation]) -> dict[str, Any]:
    citation = cite(finding.pattern)
    short = f"{finding.source} {finding.rule}, cited to {citation.title}"
    level: str = finding.severity
    if finding.source == "ruff":
        short = f"ruff {finding.rule}, cited to {citation.title}"
        level = cite_ruff_code(finding.rule).severity
    return _rule_entry(
        finding.rule,
        finding.rule,
        short,
        citation.words or citation.title,
        finding.pattern,
        level if level in _LEVEL else "error",
        citation.url,
    )


def _result(finding: Finding, index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": _LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    # A relative URI reference: spaces, "#" and "%" in file
                    # names must be percent-encoded.
                    "artifactLocation": {
                        "uri": quote(finding.path),
                        "uriBaseId": SRCROOT,
                    },
                    "region": {
                        "startLine": finding.line,
                        "startColumn": finding.column,
                        "endLine": finding.end_line,
                    },
                }
            }
        ],
        "properties": {"pattern": finding.pattern, "source": finding.source},
        # Compared with the base version of the code (baseline/).
        "baselineState": "new" if finding.introduced else "unchanged",
    }
    if finding.fingerprint:
        result["partialFingerprints"] = {FINGERPRINT_KEY: finding.fingerprint}
    return result


def render_sarif(
    report: Report, agent: AgentFile, *, blob_base: str | None = None
) -> str:
    """Render the report as a SARIF 2.1.0 log.

    Args:
        report: The review.
        agent: The agent file the citations point to.
        blob_base: ``https://host/owner/repo/blob/<sha>`` so each rule's
            ``helpUri`` links its pattern section, or None.

    Returns:
        The SARIF JSON text, ending in a newline.
    """
    cite = _citations(agent, blob_base)
    rules = _catalog_rules(cite)
    index = {entry["id"]: position for position, entry in enumerate(rules)}
    findings = ordered(report.findings)
    for finding in findings:
        if finding.rule not in index:
            index[finding.rule] = len(rules)
            rules.append(_other_rule(finding, cite))
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "pattern-review",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": rules,
            }
        },
        "results": [_result(finding, index[finding.rule]) for finding in findings],
        "columnKind": "unicodeCodePoints",
        "properties": {"conclusion": report.conclusion, "base": report.base},
    }
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    # Compact: logs of thousands of results are uploaded, not read by eye.
    return json.dumps(log, ensure_ascii=False, separators=(",", ":")) + "\n"
