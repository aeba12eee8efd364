"""The terminal format: one line per finding, grouped by file, then the verdict."""

from __future__ import annotations

import re
from typing import Any

import pytest

from pattern_review.models import AiInfo, CheckResult, Finding, Report
from pattern_review.report import render
from pattern_review.report.text import render_text
from pattern_review.rulebook.agent_file import builtin_agent_file, parse_agent_file

_FINDING_LINE = re.compile(
    r"^  (?P<path>\S+):(?P<line>\d+):(?P<col>\d+)  (?P<sev>[A-Z]+) +"
    r"(?P<rule>\S+)  (?P<msg>.*)  \[(?P<slug>\S+) — (?P<heading>.*)\]$"
)


def _finding(rule: str, severity: str, path: str, line: int, **extra: Any) -> Finding:
    return Finding.model_validate(
        {
            "rule": rule,
            "pattern": extra.pop("pattern", "router-pattern"),
            "source": extra.pop("source", "convention"),
            "severity": severity,
            "path": path,
            "line": line,
            "message": extra.pop("message", f"{rule} fired"),
            **extra,
        }
    )


def _report(**update: Any) -> Report:
    report = Report(
        conclusion="failure",
        base="a" * 40,
        head="b" * 40,
        findings=[
            _finding(
                "E501",
                "warning",
                "src/b.py",
                30,
                source="ruff",
                pattern="style-rules#4",
                column=89,
            ),
            _finding("RTR001", "error", "src/a.py", 12),
            _finding(
                "mypy:arg-type",
                "note",
                "src/b.py",
                2,
                source="mypy",
                pattern="completion-checklist",
            ),
            _finding("SVC002", "error", "src/a.py", 3, pattern="service-pattern"),
        ],
        checks=[
            CheckResult(
                name="ruff", status="failed", duration_s=0.25, detail="1 finding"
            ),
            CheckResult(
                name="pytest", status="error", duration_s=3.5, detail="timed out"
            ),
            CheckResult(name="mypy", status="skipped", detail="not requested"),
        ],
        ai=AiInfo(status="unavailable", notice="rate limited (429); retried 2 times"),
        skipped_files={"logo.png": "binary"},
    )
    return report.model_copy(update=update)


def _finding_lines(text: str) -> list[re.Match[str]]:
    return [m for line in text.splitlines() if (m := _FINDING_LINE.match(line))]


def test_each_finding_is_one_parseable_line_citing_its_pattern() -> None:
    text = render_text(_report(), builtin_agent_file())
    parsed = {m["rule"]: m for m in _finding_lines(text)}
    assert set(parsed) == {"E501", "RTR001", "mypy:arg-type", "SVC002"}
    e501 = parsed["E501"]
    assert (e501["path"], e501["line"], e501["col"], e501["sev"]) == (
        "src/b.py",
        "30",
        "89",
        "WARNING",
    )
    assert e501["slug"] == "style-rules#4"
    assert e501["heading"] == "Style Rules (MANDATORY) #4"
    assert parsed["SVC002"]["heading"] == "Service Pattern"


def test_findings_grouped_by_file_in_line_order() -> None:
    text = render_text(_report(), builtin_agent_file())
    order = [(m["path"], int(m["line"])) for m in _finding_lines(text)]
    assert order == [
        ("src/a.py", 3),
        ("src/a.py", 12),
        ("src/b.py", 2),
        ("src/b.py", 30),
    ]
    headers = [line for line in text.splitlines() if line.startswith("src/")]
    assert headers == ["src/a.py (2 errors)", "src/b.py (1 warning, 1 note)"]


def test_headings_come_from_the_teams_own_file() -> None:
    team = parse_agent_file(
        "# Agent\n\n## Router pattern (our way)\n\n- Routers need tags\n",
        ".claude/agents/api.md",
    )
    text = render_text(_report(), team)
    rtr = next(m for m in _finding_lines(text) if m["rule"] == "RTR001")
    assert rtr["heading"] == "Router pattern (our way)"
    assert "agent file .claude/agents/api.md" in text
    # The sections the file lacks are named once, so no citation misleads.
    assert (
        ".claude/agents/api.md has no section for completion-checklist, "
        "service-pattern, style-rules#4: those findings cite the pattern by its "
        "standard heading."
    ) in text
    assert "has no section" not in render_text(_report(), builtin_agent_file())


def test_checks_ai_skipped_files_and_conclusion() -> None:
    text = render_text(_report(safe_mode=True), builtin_agent_file())
    lines = text.splitlines()
    pytest_line = next(line for line in lines if line.strip().startswith("pytest"))
    assert pytest_line.split() == ["pytest", "error", "3.50s", "timed", "out"]
    assert any(line.split()[:2] == ["mypy", "skipped"] for line in lines)
    assert "AI review: unavailable" in text
    assert "rate limited (429); retried 2 times" in text
    assert "logo.png: binary" in text
    assert "Safe mode" in text
    assert lines[-1].startswith("Conclusion: failure (2 errors, 1 warning, 1 note;")


def test_multiline_message_stays_on_one_line() -> None:
    report = _report(
        findings=[
            _finding("RTR001", "error", "src/a.py", 1, message="one\ntwo\r\nthree")
        ]
    )
    (match,) = _finding_lines(render_text(report, builtin_agent_file()))
    assert match["msg"] == "one two three"


def test_no_findings_says_so() -> None:
    report = _report(
        findings=[],
        conclusion="success",
        checks=[CheckResult(name="ruff", status="passed", duration_s=0.1)],
    )
    text = render_text(report, builtin_agent_file())
    assert text.startswith("No findings.\n")
    assert text.splitlines()[-1].startswith("Conclusion: success (no findings;")


def test_render_dispatches_text_and_rejects_unknown_formats() -> None:
    report = _report()
    agent = builtin_agent_file()
    assert render(report, "text", agent) == render_text(report, agent)
    with pytest.raises(ValueError, match="unknown format 'html'"):
        render(report, "html", agent)


def test_checks_that_could_not_run_come_first_and_are_counted() -> None:
    report = _report(
        findings=[],
        conclusion="neutral",
        checks=[
            CheckResult(name="ruff", status="passed", duration_s=0.1),
            CheckResult(name="mypy", status="error", detail="no environment"),
            CheckResult(name="pytest", status="error", detail="timed out"),
        ],
    )
    lines = render_text(report, builtin_agent_file()).splitlines()
    assert lines[0] == (
        "2 checks could not run: mypy, pytest. Their results are unknown, not"
        " passed (see Checks below)."
    )
    assert "No findings." not in lines
    assert "No findings from the checks that ran." in lines


def test_one_check_that_could_not_run_is_named_in_the_singular() -> None:
    text = render_text(_report(), builtin_agent_file())
    assert text.startswith("1 check could not run: pytest.")
    # Findings still follow, grouped by file.
    assert "src/a.py (2 errors)" in text


def test_files_that_are_not_python_are_counted_not_listed() -> None:
    skipped = {
        "README.md": "not a Python file",
        "app/big.py": "too large to review",
    }
    lines = render_text(_report(skipped_files=skipped), builtin_agent_file()).split(
        "\n"
    )

    start = lines.index("Not reviewed (1 file(s)):")
    assert lines[start + 1 : start + 3] == [
        "  app/big.py: too large to review",
        "1 other changed file is not Python, and not reviewed.",
    ]
    assert not any("README.md" in line for line in lines)


def test_only_files_that_are_not_python_give_one_line() -> None:
    skipped = {"README.md": "not a Python file", "uv.lock": "not a Python file"}
    text = render_text(_report(skipped_files=skipped), builtin_agent_file())

    assert "Not reviewed" not in text
    assert "2 other changed files are not Python, and not reviewed.\n" in text
