"""Workflow-command annotations: escaping, order, per-level caps."""

from __future__ import annotations

import re

from pattern_review.models import Finding, Report, Severity
from pattern_review.report import render
from pattern_review.report.workflow_commands import render_workflow_commands
from pattern_review.rulebook.agent_file import builtin_agent_file

_COMMAND = re.compile(r"^::(\w+)(?: (.*?))?::(.*)$")


def _unescape(text: str) -> str:
    # The Actions runner's decoding, in the order it applies it.
    for encoded, plain in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ",")):
        text = text.replace(encoded, plain)
    return text.replace("%25", "%")


def _parse(line: str) -> tuple[str, dict[str, str], str]:
    """Split a command as the runner does: properties at ',' then at '='."""
    match = _COMMAND.match(line)
    assert match, line
    level, props, message = match.groups()
    properties: dict[str, str] = {}
    for pair in (props or "").split(","):
        if pair:
            key, value = pair.split("=", 1)
            properties[key] = _unescape(value)
    return level, properties, _unescape(message)


def _finding(severity: Severity, n: int, **extra: str) -> Finding:
    fields: dict[str, str] = {
        "path": f"src/app/f{n:03}.py",
        "message": f"{severity} number {n}",
    }
    fields.update(extra)
    return Finding(
        rule=f"R{n:03}",
        pattern="router-pattern",
        source="convention",
        severity=severity,
        line=n + 1,
        column=3,
        end_line=n + 2,
        path=fields["path"],
        message=fields["message"],
    )


def _report(findings: list[Finding]) -> Report:
    return Report(conclusion="failure", base="a" * 40, head="b" * 40, findings=findings)


def test_hostile_path_and_message_survive_the_runner_decoding() -> None:
    finding = _finding(
        "error",
        1,
        path="src/a,b:c%d.py",
        message="100% wrong\r\nsecond line: ::error::injected",
    )
    output = render_workflow_commands(_report([finding]))
    lines = output.splitlines()
    assert len(lines) == 1  # the CR/LF in the message did not start a new command
    level, properties, message = _parse(lines[0])
    assert level == "error"
    assert properties == {
        "file": "src/a,b:c%d.py",
        "line": "2",
        "endLine": "3",
        "col": "3",
        "title": "R001 (router-pattern)",
    }
    assert message == finding.message


def test_most_severe_first_and_notes_become_notices() -> None:
    findings = [_finding("note", 1), _finding("error", 2), _finding("warning", 3)]
    levels = [
        _parse(line)[0]
        for line in render_workflow_commands(_report(findings)).splitlines()
    ]
    assert levels == ["error", "warning", "notice"]


def test_each_level_is_capped_and_the_rest_are_counted() -> None:
    findings = [_finding("error", n) for n in range(14)]
    findings += [_finding("warning", n) for n in range(100, 103)]
    lines = render_workflow_commands(_report(findings), per_level=10).splitlines()
    parsed = [_parse(line) for line in lines]
    assert [level for level, _, _ in parsed].count("error") == 10
    assert [level for level, _, _ in parsed].count("warning") == 3
    level, properties, message = parsed[-1]
    assert level == "notice" and properties == {}
    assert "4 more annotations left out" in message
    # The shown errors are the first ones in file order.
    shown = [props["file"] for lvl, props, _ in parsed if lvl == "error"]
    assert shown == [f"src/app/f{n:03}.py" for n in range(10)]


def test_closing_notice_keeps_room_within_the_notice_cap() -> None:
    findings = [_finding("error", n) for n in range(3)]
    findings += [_finding("note", n) for n in range(10, 13)]
    lines = render_workflow_commands(_report(findings), per_level=2).splitlines()
    notices = [line for line in lines if line.startswith("::notice")]
    # GitHub keeps `per_level` notices: one finding and the closing count.
    assert len(notices) == 2
    assert "3 more annotations left out" in notices[-1]


def test_nothing_to_annotate_gives_no_output() -> None:
    assert render_workflow_commands(_report([])) == ""


def test_render_dispatches_github_format() -> None:
    report = _report([_finding("warning", 7)])
    assert render(report, "github", builtin_agent_file()) == render_workflow_commands(
        report
    )
