"""Inline ignore comments, config select/ignore/per-file-ignores, unused notes."""

from __future__ import annotations

from pattern_review.config import Config
from pattern_review.conventions.engine import lint_source
from pattern_review.findings.suppressions import (
    UNUSED_IGNORE_RULE,
    parse_directives,
    rule_matches,
    suppress,
)
from pattern_review.models import Finding

PATH = "src/app/routers/items.py"


def _finding(rule: str, line: int, path: str = PATH, source: str = "ruff") -> Finding:
    return Finding(
        rule=rule,
        pattern="completion-checklist",
        source=source,  # type: ignore[arg-type]
        severity="error",
        path=path,
        line=line,
        message=f"{rule} here",
    )


def _rules(findings: list[Finding]) -> list[tuple[str, int]]:
    return [(f.rule, f.line) for f in findings]


def test_directives_are_parsed_with_rules_place_and_kind() -> None:
    source = (
        "x = 1  # pattern-review: ignore[rtr001, E501] legacy router\n"
        "    # pattern-review: ignore[MDL]\n"
        "# pattern-review: ignore-file[SCH001]\n"
        "y = 2  # pattern-review ignore[E501] (no colon: not a directive)\n"
    )
    directives = parse_directives(source)
    assert [
        (d.line, d.column, d.rules, d.whole_file, d.own_line) for d in directives
    ] == [
        (1, 8, ("RTR001", "E501"), False, False),
        (2, 5, ("MDL",), False, True),
        (3, 1, ("SCH001",), True, True),
    ]


def test_rule_matching_takes_ids_and_prefixes_case_insensitively() -> None:
    assert rule_matches("RTR001", "rtr001")
    assert rule_matches("RTR001", "RTR")
    assert rule_matches("mypy:arg-type", "mypy:")
    assert not rule_matches("RTR001", "RTR002")
    assert not rule_matches("E501", "")


def test_ignore_on_the_line_and_on_the_line_above() -> None:
    source = (
        "a = 1  # pattern-review: ignore[E501] long on purpose\n"
        "# pattern-review: ignore[F401]\n"
        "import os\n"
        "b = 2\n"
    )
    findings = [_finding("E501", 1), _finding("F401", 3), _finding("E501", 4)]
    kept = suppress(findings, {PATH: source}, Config()).kept
    assert _rules(kept) == [("E501", 4)]


def test_trailing_ignore_does_not_reach_the_next_line() -> None:
    source = "a = 1  # pattern-review: ignore[E501]\nb = 2\n"
    kept = suppress([_finding("E501", 2)], {PATH: source}, Config()).kept
    assert ("E501", 2) in _rules(kept)
    assert (UNUSED_IGNORE_RULE, 1) in _rules(kept)


def test_ignore_covers_any_line_of_a_multi_line_finding() -> None:
    source = "x = f(\n    1,  # pattern-review: ignore[MDL003]\n)\n"
    finding = _finding("MDL003", 1).model_copy(update={"end_line": 3})
    assert suppress([finding], {PATH: source}, Config()).kept == []


def test_ignore_file_silences_a_rule_everywhere_in_that_file_only() -> None:
    source = "# pattern-review: ignore-file[MDL001]\n\n\nx = 1\n"
    other = "src/app/models/other.py"
    findings = [
        _finding("MDL001", 4),
        _finding("MDL001", 9),
        _finding("MDL001", 2, other),
    ]
    kept = suppress(findings, {PATH: source, other: "x = 1\n"}, Config()).kept
    assert [(f.path, f.line) for f in kept] == [(other, 2)]


def test_unused_inline_entry_gives_a_note_naming_it() -> None:
    source = "a = 1  # pattern-review: ignore[E501,RTR004] both?\n"
    kept = suppress([_finding("E501", 1)], {PATH: source}, Config()).kept
    assert len(kept) == 1
    note = kept[0]
    assert (note.rule, note.severity, note.line, note.column) == (
        UNUSED_IGNORE_RULE,
        "note",
        1,
        8,
    )
    assert note.pattern == "completion-checklist"
    assert "ignore[RTR004]" in note.message


def test_unused_entries_of_checks_that_did_not_run_are_not_reported() -> None:
    source = "a = 1  # pattern-review: ignore[mypy:arg-type]\n"
    kept = suppress(
        [], {PATH: source}, Config(), checked=lambda rule: not rule.startswith("MYPY")
    ).kept
    assert kept == []


def test_config_select_ignore_and_per_file_ignores() -> None:
    findings = [
        _finding("RTR001", 1),
        _finding("E501", 2),
        _finding("MDL001", 3, "src/app/models/legacy.py"),
        _finding("MDL002", 4, "src/app/models/legacy.py"),
        _finding("MDL001", 5, "src/app/models/item.py"),
    ]
    config = Config(
        select=["RTR", "MDL", "E"],
        ignore=["E5"],
        per_file_ignores={"**/legacy.py": ["MDL001"]},
    )
    kept = suppress(findings, {}, config).kept
    assert [(f.rule, f.line) for f in kept] == [
        ("RTR001", 1),
        ("MDL002", 4),
        ("MDL001", 5),
    ]


def test_per_file_ignore_without_a_slash_matches_the_file_name() -> None:
    findings = [_finding("D103", 1, "src/app/conftest.py"), _finding("D103", 1)]
    kept = suppress(findings, {}, Config(per_file_ignores={"conftest.py": ["D"]})).kept
    assert [f.path for f in kept] == [PATH]


def test_unused_notes_can_themselves_be_ignored_by_config() -> None:
    source = "a = 1  # pattern-review: ignore[E501]\n"
    kept = suppress([], {PATH: source}, Config(ignore=["PR100"])).kept
    assert kept == []


def test_suppressing_a_real_convention_finding_end_to_end() -> None:
    source = (
        "from fastapi import APIRouter\n\n"
        "# pattern-review: ignore[RTR001] internal router, mounted by hand\n"
        "router = APIRouter()\n"
    )
    findings = lint_source(PATH, source, Config())
    assert [f.rule for f in findings] == ["RTR001"]
    assert suppress(findings, {PATH: source}, Config()).kept == []


def test_a_directive_quoted_in_a_docstring_or_string_is_not_one() -> None:
    source = (
        '"""Docs: write ``# pattern-review: ignore[E501] reason`` to ignore."""\n'
        'HELP = "# pattern-review: ignore-file[RTR001]"\n'
        "x = 1  # pattern-review: ignore[F841]\n"
    )

    directives = parse_directives(source)

    assert [(d.line, d.rules, d.whole_file) for d in directives] == [
        (3, ("F841",), False)
    ]
    kept = suppress(
        [_finding("E501", 2), _finding("F841", 3)], {PATH: source}, Config()
    ).kept
    assert _rules(kept) == [("E501", 2)]


def test_a_file_that_does_not_parse_still_has_its_directives() -> None:
    source = "def broken(:  # pattern-review: ignore[E501] work in progress\n    pass\n"

    kept = suppress([_finding("E501", 1)], {PATH: source}, Config()).kept

    assert kept == []
    assert [d.rules for d in parse_directives(source)] == [("E501",)]
