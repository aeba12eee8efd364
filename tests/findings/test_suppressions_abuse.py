"""Suppressions a pull request cannot abuse, and the ones it adds are listed."""

from __future__ import annotations

import pytest

from pattern_review.config import Config
from pattern_review.findings.suppressions import (
    UNUSED_IGNORE_RULE,
    rule_matches,
    suppress,
)
from pattern_review.models import Finding, Source
from tests.cli import review_json
from tests.gitrepo import GitRepo

PATH = "app/service.py"


def _finding(rule: str, line: int = 1, source: Source = "ruff") -> Finding:
    return Finding(
        rule=rule,
        pattern="completion-checklist",
        source=source,
        severity="error",
        path=PATH,
        line=line,
        message=f"{rule} here",
    )


@pytest.mark.parametrize(
    ("rule", "entry", "matches"),
    [
        ("RTR001", "RTR001", True),
        ("RTR001", "rtr", True),
        ("E501", "E", True),
        ("mypy:arg-type", "mypy", True),
        ("mypy:arg-type", "mypy:", True),
        ("RTR001", "R", False),  # one letter of a longer family
        ("RTR001", "RT", False),
        ("E501", "E5", False),  # a partial code
        ("RTR001", "*", False),
        ("RTR001", "", False),
        ("invalid-syntax", "invalid", False),
    ],
)
def test_comment_entries_name_an_id_or_a_whole_family(
    rule: str, entry: str, matches: bool
) -> None:
    assert rule_matches(rule, entry) is matches


def test_an_alphabet_of_prefixes_silences_nothing_of_a_file() -> None:
    letters = ",".join("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    source = f"# pattern-review: ignore-file[{letters}]\nimport os\n"
    found = [_finding("RTR001", 2, "convention"), _finding("UP006", 2)]

    kept = suppress(found, {PATH: source}, Config()).kept

    assert [f.rule for f in kept if f.rule != UNUSED_IGNORE_RULE] == ["RTR001", "UP006"]


@pytest.mark.parametrize(
    ("rule", "source"),
    [
        ("PR000", "convention"),  # does not parse
        ("invalid-syntax", "ruff"),
        ("mypy:syntax", "mypy"),
        ("ruff-format:syntax", "ruff-format"),
        ("PR001", "convention"),  # not UTF-8
        ("PR004", "convention"),  # unreadable
        ("PR005", "convention"),  # could not be analysed
        ("pytest:test-failed", "pytest"),  # a failing test
    ],
)
def test_what_can_never_be_suppressed_by_comment_or_config(
    rule: str, source: Source
) -> None:
    text = f"x = 1  # pattern-review: ignore-file[{rule}] trust me\n"
    finding = _finding(rule, 1, source)
    config = Config(ignore=[rule], per_file_ignores={"*.py": [rule]})

    kept = suppress([finding], {PATH: text}, config).kept

    assert finding in kept
    notes = [f for f in kept if f.rule == UNUSED_IGNORE_RULE]
    assert len(notes) == 1 and "cannot suppress" in notes[0].message


def test_the_findings_the_prs_own_comments_silence_are_listed_with_reasons() -> None:
    source = (
        "import os  # pattern-review: ignore[F401] kept for the plugin loader\n"
        "import sys  # pattern-review: ignore[F401]\n"
        "x = 1  # pattern-review: ignore[E501] legacy, not this PR's\n"
    )
    found = [_finding("F401", 1), _finding("F401", 2), _finding("E501", 3)]

    done = suppress(
        found, {PATH: source}, Config(), added_lines={PATH: frozenset({1, 2})}
    )

    assert done.kept == []
    assert [(s.rule, s.line, s.comment_line, s.reason) for s in done.added_by_pr] == [
        ("F401", 1, 1, "kept for the plugin loader"),
        ("F401", 2, 2, ""),
    ]


def test_the_review_lists_suppressions_the_pr_adds(git_repo: GitRepo) -> None:
    git_repo.write("pkg/__init__.py", "")
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.write(
        "pkg/mod.py",
        "from __future__ import annotations\n\n"
        "import json  # pattern-review: ignore[F401] re-exported\n"
        "import os  # pattern-review: ignore[F] nobody will look\n"
        "import sys  # pattern-review: ignore[F401]\n",
    )
    git_repo.commit("quiet")

    code, report = review_json(git_repo, "--checks", "ruff,conventions")

    assert code == 0, report["findings"]
    listed = report["added_suppressions"]
    assert [(s["rule"], s["line"], s["reason"]) for s in listed] == [
        ("F401", 3, "re-exported"),
        ("F401", 4, "nobody will look"),
        ("F401", 5, ""),
    ]


def test_text_and_markdown_show_the_suppressions_the_pr_adds() -> None:
    from pattern_review.models import AddedSuppression, Report
    from pattern_review.report.markdown import render_markdown
    from pattern_review.report.text import render_text
    from pattern_review.rulebook.agent_file import builtin_agent_file

    agent = builtin_agent_file()
    listed = [
        AddedSuppression(
            path=PATH, line=n, rule="E722", message="bare except", comment_line=n,
            reason="legacy" if n == 1 else "",
        )
        for n in (1, 2, 3)
    ]  # fmt: skip
    report = Report(conclusion="success", base="a", head="b", added_suppressions=listed)

    text = render_text(report, agent)
    body = render_markdown(report, agent)

    assert "3 findings suppressed by comments this PR adds:" in text
    assert f"{PATH}:1  E722  bare except  (reason: legacy)" in text
    assert "(reason: none given)" in text
    assert "3 findings suppressed by comments this PR adds" in body
    assert "reason: legacy" in body and "*no reason given*" in body
