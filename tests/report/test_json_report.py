"""The JSON report: the documented schema, its key order, and a lossless round trip."""

from __future__ import annotations

import json
import random
from typing import Any

import jsonschema

from pattern_review.models import AiInfo, CheckResult, Finding, Report, TargetInfo
from pattern_review.report import render
from pattern_review.report.json_report import render_json
from pattern_review.rulebook.agent_file import builtin_agent_file
from tests.report_schema import REPORT_SCHEMA

DOCUMENTED_KEY_ORDER = ["version", "conclusion", "base", "head", "target", "findings"]


def _finding(rule: str, severity: str, path: str, line: int, **extra: Any) -> Finding:
    return Finding.model_validate(
        {
            "rule": rule,
            "pattern": extra.pop("pattern", "router-pattern"),
            "source": extra.pop("source", "convention"),
            "severity": severity,
            "path": path,
            "line": line,
            "message": f"{rule} at {path}:{line}",
            "fingerprint": f"fp-{rule}-{path}",
            **extra,
        }
    )


def _report() -> Report:
    return Report(
        conclusion="failure",
        base="a" * 40,
        head="b" * 40,
        target=TargetInfo(repository="octo/app", pr=7, event="pull_request"),
        findings=[
            _finding("D103", "note", "src/app/b.py", 4, source="ruff"),
            _finding("RTR001", "error", "src/app/routers/items.py", 12, end_line=14),
            _finding(
                "mypy:arg-type",
                "warning",
                "src/app/a.py",
                9,
                source="mypy",
                pattern="completion-checklist",
                suggestion="x: int = 1\n",
            ),
            _finding("SVC001", "error", "src/app/services/s.py", 3, column=5),
        ],
        checks=[
            CheckResult(name="ruff-format", status="passed", duration_s=0.12),
            CheckResult(name="pytest", status="error", detail="timed out after 600 s"),
        ],
        ai=AiInfo(status="over_budget", model="claude-sonnet-4-5", input_tokens=10),
        skipped_files={"logo.png": "binary"},
        diff_hunks={"src/app/a.py": [(1, 20)]},
        safe_mode=True,
    )


def test_output_validates_against_the_spec_schema() -> None:
    data = json.loads(render_json(_report()))
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(data)


def test_schema_rejects_what_the_spec_forbids() -> None:
    # The schema above must have teeth, or the validation test proves nothing.
    data = json.loads(render_json(_report()))
    data["findings"][0]["severity"] = "fatal"
    errors = list(jsonschema.Draft202012Validator(REPORT_SCHEMA).iter_errors(data))
    assert errors


def test_keys_follow_the_spec_order() -> None:
    data = json.loads(render_json(_report()))
    assert list(data)[: len(DOCUMENTED_KEY_ORDER)] == DOCUMENTED_KEY_ORDER
    assert list(data)[6:8] == ["checks", "ai"]
    assert list(data["ai"])[:5] == [
        "status",
        "model",
        "input_tokens",
        "output_tokens",
        "cache_read_tokens",
    ]


def test_findings_most_severe_first_and_bytes_stable() -> None:
    report = _report()
    output = render_json(report)
    severities = [f["severity"] for f in json.loads(output)["findings"]]
    assert severities == ["error", "error", "warning", "note"]
    shuffled = report.model_copy(update={"findings": list(report.findings)})
    random.Random(3).shuffle(shuffled.findings)
    assert render_json(shuffled) == output


def test_round_trip_loses_nothing() -> None:
    report = _report()
    again = Report.model_validate_json(render_json(report))
    key = lambda f: f.fingerprint  # noqa: E731
    assert sorted(again.findings, key=key) == sorted(report.findings, key=key)
    assert again.model_dump(exclude={"findings"}) == report.model_dump(
        exclude={"findings"}
    )


def test_non_ascii_messages_stay_readable() -> None:
    report = _report()
    report.findings[0].message = "schéma — ✓"
    assert "schéma — ✓" in render_json(report)


def test_render_dispatches_json() -> None:
    report = _report()
    assert render(report, "json", builtin_agent_file()) == render_json(report)
