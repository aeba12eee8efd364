"""The ``rules`` and ``explain`` verbs, run through their own argument parsers."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pattern_review.commands import add_verb, explain, rules
from pattern_review.conventions.registry import all_rules
from pattern_review.rulebook.agent_file import builtin_agent_file
from pattern_review.rulebook.catalog import REVIEW_RULES, RUFF_MAPPINGS
from tests.conftest import SEED_AGENT_FILE


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="pattern-review")
    subparsers = parser.add_subparsers(dest="verb", required=True)
    add_verb(subparsers, rules)
    add_verb(subparsers, explain)
    args = parser.parse_args(argv)
    status = args.handler(args)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_rules_lists_every_convention_rule_and_every_cited_ruff_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = _run(["rules", "--agent-file", str(SEED_AGENT_FILE)], capsys)
    assert status == 0
    # Each entry's line; the sentence it matched is indented on the next.
    lines = [line for line in out.splitlines()[1:] if not line.startswith(" ")]
    rows = {line.split()[0]: line.split() for line in lines}
    assert all_rules(), "the catalog has convention rules"
    for rule in all_rules():
        assert rows[rule.ID][1:4] == [rule.PATTERN, rule.SEVERITY, "on"]
        assert lines[list(rows).index(rule.ID)].endswith(rule.SUMMARY)
    for mapping in RUFF_MAPPINGS:
        row = rows[mapping.prefix]
        assert row[1:6] == [mapping.pattern, mapping.severity, "on", "via", "ruff:"]
    assert out.splitlines()[0].split() == ["ID", "PATTERN", "SEVERITY", "ON", "SUMMARY"]
    router = out.split("\nRTR001", 1)[1].splitlines()[1].strip()
    assert router == "↳ line 129 (1.00): Use `APIRouter` with `prefix` and `tags`"


def test_rules_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(
        ["rules", "--format", "json", "--agent-file", str(SEED_AGENT_FILE)], capsys
    )
    assert status == 0
    entries = json.loads(out)
    convention = [e for e in entries if e["via"] == "convention"]
    ruff = [e for e in entries if e["via"] == "ruff"]
    review = [e for e in entries if e["via"] == "review"]
    assert [e["id"] for e in convention] == [rule.ID for rule in all_rules()]
    assert [e["id"] for e in review] == [rule.id for rule in REVIEW_RULES]
    assert [e["id"] for e in ruff] == [m.prefix for m in RUFF_MAPPINGS]
    e501 = next(e for e in ruff if e["id"] == "E501")
    assert e501 == {
        "id": "E501",
        "pattern": "style-rules#4",
        "severity": "error",
        "summary": "via ruff: PEP 8 - Enforced by Ruff (line length 88)",
        "via": "ruff",
        "on": True,
        "reason": "style rule found",
        "matches": ["line 314 (1.00): **PEP 8** - Enforced by Ruff (line length 88)"],
        "variants": [],
    }


def _section(text: str, title: str) -> str:
    return text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_explain_reads_like_ruff_rule_docs_for_every_rule(
    capsys: pytest.CaptureFixture[str],
) -> None:
    agent = builtin_agent_file()
    for rule in all_rules():
        status, out, _ = _run(["explain", rule.ID.lower()], capsys)
        assert status == 0, rule.ID
        assert out.startswith(f"# {rule.ID} ({rule.__name__})\n")
        assert _section(out, "What it does").strip()
        why = _section(out, "Why is this bad?")
        for line in agent.rule_text(rule.PATTERN).splitlines():
            assert f"> {line}" in why
        if rule.INVALID:
            invalid = textwrap.dedent(rule.INVALID[0].code).strip("\n")
            assert invalid in _section(out, "Example")
        if rule.VALID:
            valid = textwrap.dedent(rule.VALID[0].code).strip("\n")
            assert valid in _section(out, "Use instead")
        assert (rule.MESSAGE or rule.SUMMARY) in _section(out, "Fix")


def test_explain_uses_the_given_agent_files_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rule = all_rules()[0]
    team_text = SEED_AGENT_FILE.read_text(encoding="utf-8")
    agent = builtin_agent_file()
    first_words = agent.rule_text(rule.PATTERN).splitlines()[0]
    team_file = tmp_path / "team.md"
    team_file.write_text(team_text.replace(first_words, "Our team's own words here"))
    status, out, _ = _run(["explain", rule.ID, "--agent-file", str(team_file)], capsys)
    assert status == 0
    why = _section(out, "Why is this bad?")
    assert f"{team_file} ›" in why
    assert "> Our team's own words here" in why


def test_explain_falls_back_to_the_builtin_words_when_the_section_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    team_file = tmp_path / "bare.md"
    team_file.write_text("# Agent\n\nNo sections here.\n")
    status, out, _ = _run(["explain", "E501", "--agent-file", str(team_file)], capsys)
    assert status == 0
    assert f"{team_file} has no section for style-rules#4" in out
    assert "> PEP 8 - Enforced by Ruff (line length 88)" in out


@pytest.mark.parametrize(
    ("code", "pattern"),
    [
        ("E501", "style-rules#4"),
        ("ann001", "style-rules#2"),
        ("BLE001", "error-handling"),
    ],
)
def test_explain_a_ruff_code_gives_its_citation_and_points_to_ruff(
    code: str, pattern: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = _run(["explain", code], capsys)
    assert status == 0
    assert out.startswith(f"# {code.upper()} (via ruff)\n")
    assert f"Pattern: {pattern}" in out
    assert f"`ruff rule {code.upper()}`" in out
    words = builtin_agent_file().rule_text(pattern).splitlines()[0]
    assert f"> {words}" in _section(out, "Why is this bad?")
    what = _section(out, "What it does")
    if code.upper() == "BLE001":
        assert "convention rule ERR002 checks the same" in what
    else:
        assert "runs ruff with it selected" in what


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        ("PR000", "A changed Python file does not parse."),
        ("pr100", "ignores nothing"),
        ("mypy:return-value", "mypy reported an error with code `return-value`"),
        ("pytest:failed", "ended as `failed`"),
        ("ruff-format", "`ruff format` would change these lines"),
        ("invalid-syntax", "ruff found a syntax error"),
        ("F401", "ruff's Pyflakes rule `unused-import`"),
    ],
)
def test_explain_knows_every_id_a_review_can_report(
    rule: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _run(["explain", rule], capsys)
    assert (status, err) == (0, "")
    assert out.startswith("# ") and says in out
    assert "Pattern: " in out


def _review_rule_ids_in_the_source() -> set[str]:
    """Every ``PRnnn`` id written as a string anywhere in the source."""
    source = Path(explain.__file__).parents[1]
    found: set[str] = set()
    for path in source.rglob("*.py"):
        found |= set(re.findall(r"[\"'](PR\d{3})[\"']", path.read_text()))
    return found


def test_explain_knows_every_review_rule_id_the_code_can_report(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ids = _review_rule_ids_in_the_source()
    assert {"PR000", "PR005", "PR100"} <= ids
    for rule in sorted(ids):
        status, out, err = _run(["explain", rule], capsys)
        assert (status, err) == (0, ""), rule
        assert out.startswith(f"# {rule}")


def test_explain_cites_annotation_errors_to_style_rule_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, out, _ = _run(["explain", "mypy:no-untyped-def"], capsys)
    assert "Pattern: style-rules#2" in out


@pytest.mark.parametrize(
    "unknown", ["NOPE999", "PR999", "mypy", "pytest:", "select * from x", ""]
)
def test_explain_unknown_id_is_exit_2_with_one_line(
    unknown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _run(["explain", unknown], capsys)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and "unknown rule" in err


def test_explain_unreadable_agent_file_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.md"
    status, out, err = _run(["explain", "E501", "--agent-file", str(missing)], capsys)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and f"cannot read agent file {missing}" in err
    latin = tmp_path / "latin1.md"
    latin.write_bytes("# Agent caf\xe9\n".encode("latin-1"))
    status, _, err = _run(["explain", "E501", "--agent-file", str(latin)], capsys)
    assert status == 2 and err.count("\n") == 1


def test_registering_the_verbs_loads_nothing_heavy() -> None:
    # Start-up time: the CLI imports every verb module to build its parser.
    probe = (
        "import sys, argparse\n"
        "from pattern_review.commands import add_verb, explain, rules\n"
        "sub = argparse.ArgumentParser().add_subparsers()\n"
        "add_verb(sub, rules); add_verb(sub, explain)\n"
        "heavy = ('libcst', 'pydantic', 'pattern_review.conventions.registry')\n"
        "print([name for name in heavy if name in sys.modules])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
