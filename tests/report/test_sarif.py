"""SARIF output: valid against the OASIS 2.1.0 schema, rules carry the catalog."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from pattern_review.conventions.registry import all_rules
from pattern_review.models import Finding, Report
from pattern_review.report import render
from pattern_review.report.sarif import FINGERPRINT_KEY, render_sarif
from pattern_review.rulebook.agent_file import (
    AgentFile,
    builtin_agent_file,
    parse_agent_file,
)
from tests.conftest import FIXTURES, SEED_AGENT_FILE

BLOB = "https://github.example/octo/app/blob/" + "b" * 40


def _finding(
    rule: str, source: str, severity: str, pattern: str, **extra: Any
) -> Finding:
    return Finding.model_validate(
        {
            "rule": rule,
            "source": source,
            "severity": severity,
            "pattern": pattern,
            "path": extra.pop("path", "src/app/routers/items.py"),
            "line": extra.pop("line", 12),
            "message": f"{rule} says no",
            "fingerprint": f"fp-{rule}-{extra.get('column', 1)}",
            **extra,
        }
    )


FINDINGS = [
    _finding("E501", "ruff", "warning", "style-rules#4", column=89),
    _finding("E501", "ruff", "warning", "style-rules#4", column=90, line=30),
    _finding("mypy:arg-type", "mypy", "error", "completion-checklist", end_line=14),
    _finding("pytest:failed", "pytest", "error", "completion-checklist", path="t.py"),
    _finding("AI-router", "ai", "note", "router-pattern"),
]


def _report(findings: list[Finding]) -> Report:
    return Report(conclusion="failure", base="a" * 40, head="b" * 40, findings=findings)


def _team_agent() -> AgentFile:
    return parse_agent_file(
        SEED_AGENT_FILE.read_text(encoding="utf-8"),
        ".claude/agents/backend-developer.md",
    )


@pytest.fixture(scope="module")
def validator() -> Any:
    schema = json.loads((FIXTURES / "sarif" / "sarif-schema-2.1.0.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def _log(findings: list[Finding], **kwargs: Any) -> dict[str, Any]:
    agent = kwargs.pop("agent", builtin_agent_file())
    data: dict[str, Any] = json.loads(render_sarif(_report(findings), agent, **kwargs))
    return data


def test_valid_against_the_oasis_schema(validator: Any) -> None:
    validator.validate(_log(FINDINGS, agent=_team_agent(), blob_base=BLOB))
    validator.validate(_log([]))


def test_schema_catches_a_broken_log(validator: Any) -> None:
    data = _log(FINDINGS)
    data["runs"][0]["results"][0]["level"] = "fatal"
    assert list(validator.iter_errors(data))


def test_every_convention_rule_is_in_the_driver() -> None:
    rules = _log([])["runs"][0]["tool"]["driver"]["rules"]
    by_id = {entry["id"]: entry for entry in rules}
    for rule in all_rules():
        entry = by_id[rule.ID]
        assert entry["properties"]["pattern"] == rule.PATTERN
        assert entry["shortDescription"]["text"] == (rule.SUMMARY or rule.MESSAGE)
        assert entry["fullDescription"]["text"]
    assert len(rules) == len(all_rules())


def test_other_rule_ids_get_one_entry_each_and_results_point_at_them() -> None:
    data = _log(FINDINGS)
    run = data["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [entry["id"] for entry in rules]
    assert len(ids) == len(set(ids))
    for extra in ("E501", "mypy:arg-type", "pytest:failed", "AI-router"):
        assert ids.count(extra) == 1
    assert len(run["results"]) == len(FINDINGS)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    e501 = rules[ids.index("E501")]
    assert e501["properties"]["pattern"] == "style-rules#4"
    assert "PEP 8" in e501["fullDescription"]["text"]  # the agent file's words


def test_results_carry_level_location_and_fingerprint() -> None:
    results = _log(FINDINGS)["runs"][0]["results"]
    # Most severe first.
    assert [r["level"] for r in results] == [
        "error",
        "error",
        "warning",
        "warning",
        "note",
    ]
    mypy = next(r for r in results if r["ruleId"] == "mypy:arg-type")
    location = mypy["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {
        "uri": "src/app/routers/items.py",
        "uriBaseId": "%SRCROOT%",
    }
    assert location["region"] == {"startLine": 12, "startColumn": 1, "endLine": 14}
    assert mypy["partialFingerprints"] == {FINGERPRINT_KEY: "fp-mypy:arg-type-1"}
    assert mypy["message"]["text"] == "mypy:arg-type says no"


def test_help_uri_links_the_pattern_section_only_when_one_exists() -> None:
    linked = _log(FINDINGS, agent=_team_agent(), blob_base=BLOB)
    rules = linked["runs"][0]["tool"]["driver"]["rules"]
    e501 = next(entry for entry in rules if entry["id"] == "E501")
    expected = _team_agent().url_for("style-rules#4", BLOB)
    assert expected is not None and e501["helpUri"] == expected
    # The built-in rulebook has no address on GitHub: no link is invented.
    unlinked = _log(FINDINGS, blob_base=BLOB)["runs"][0]["tool"]["driver"]["rules"]
    assert all("helpUri" not in entry for entry in unlinked)


def test_render_dispatches_sarif() -> None:
    report = _report(FINDINGS)
    agent = builtin_agent_file()
    assert render(report, "sarif", agent) == render_sarif(report, agent)


def test_artifact_uris_are_percent_encoded() -> None:
    odd = Finding.model_validate(
        {
            "rule": "E501",
            "pattern": "style-rules#4",
            "source": "ruff",
            "severity": "error",
            "path": "src/app/sp ace#1%.py",
            "line": 1,
            "message": "Line too long",
        }
    )
    report = Report(conclusion="failure", base="a" * 40, head="b" * 40, findings=[odd])

    sarif = json.loads(render_sarif(report, builtin_agent_file()))

    location = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "src/app/sp%20ace%231%25.py"
