"""SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

``tool.driver.rules`` carries the whole convention catalog (so a viewer can
show each rule's rationale even for rules that did not fire) plus one entry
per other rule id the findings use (ruff, mypy, pytest, AI).
"""

from __future__ import annotations

import inspect
import json
from typing import Any

from pattern_review import __version__
from pattern_review.agent_file import AgentFile
from pattern_review.catalog import cite_ruff_code
from pattern_review.conventions.registry import all_rules
from pattern_review.models import Finding, Report
from pattern_review.report import ordered, pattern_title

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
    "sarif-schema-2.1.0.json"
)
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "patternReview/v1"
_LEVEL = {"error": "error", "warning": "warning", "note": "note"}


def _rule_entry(
    rule_id: str,
    name: str,
    short: str,
    full: str,
    pattern: str,
    level: str,
    agent: AgentFile,
    blob_base: str | None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": rule_id,
        "name": name,
        "shortDescription": {"text": short},
        "fullDescription": {"text": full or short},
        "defaultConfiguration": {"level": _LEVEL[level]},
        "properties": {"pattern": pattern, "tags": [pattern]},
    }
    url = agent.url_for(pattern, blob_base)
    if url is not None:
        entry["helpUri"] = url
    return entry


def _catalog_rules(agent: AgentFile, blob_base: str | None) -> list[dict[str, Any]]:
    entries = []
    for rule in all_rules():
        doc = inspect.cleandoc(rule.__doc__ or "")
        entry = _rule_entry(
            rule.ID,
            rule.__name__,
            rule.SUMMARY or rule.MESSAGE or rule.ID,
            rule.AGENT_TEXT or agent.rule_text(rule.PATTERN),
            rule.PATTERN,
            rule.SEVERITY,
            agent,
            blob_base,
        )
        if rule.MESSAGE or doc:
            entry["help"] = {"text": rule.MESSAGE or doc}
        entries.append(entry)
    return entries


def _other_rule(
    finding: Finding, agent: AgentFile, blob_base: str | None
) -> dict[str, Any]:
    title = pattern_title(agent, finding.pattern)
    if finding.source == "ruff":
        short = f"ruff {finding.rule}, cited to {title}"
        level = cite_ruff_code(finding.rule).severity
    else:
        short = f"{finding.source} {finding.rule}, cited to {title}"
        level = finding.severity
    return _rule_entry(
        finding.rule,
        finding.rule,
        short,
        agent.rule_text(finding.pattern) or title,
        finding.pattern,
        level if level in _LEVEL else "error",
        agent,
        blob_base,
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
                    "artifactLocation": {"uri": finding.path, "uriBaseId": SRCROOT},
                    "region": {
                        "startLine": finding.line,
                        "startColumn": finding.column,
                        "endLine": finding.end_line,
                    },
                }
            }
        ],
        "properties": {"pattern": finding.pattern, "source": finding.source},
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
    rules = _catalog_rules(agent, blob_base)
    index = {entry["id"]: position for position, entry in enumerate(rules)}
    findings = ordered(report.findings)
    for finding in findings:
        if finding.rule not in index:
            index[finding.rule] = len(rules)
            rules.append(_other_rule(finding, agent, blob_base))
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
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
