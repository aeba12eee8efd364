"""The format check: ``ruff format --check --diff`` hunks as findings, read-only."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pattern_review.checks import ruff_format
from pattern_review.config import Config
from pattern_review.errors import CheckError
from pattern_review.projects.process import Deadline, ReviewBudgetError
from pattern_review.projects.ruff_version import bundled_version
from tests.check_context import check_context, tree_state
from tests.gitrepo import GitRepo

# The ruff that runs where a project pins none, as the detail names it.
UNPINNED = f"bundled ruff {bundled_version()}, the project pins none"


def test_formatted_file_passes(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write("app/ok.py", 'x = {"a": 1}\n', dedent=False)
    git_repo.commit()

    outcome = ruff_format.run(check_context(git_repo, tmp_path, "app/ok.py"))

    assert outcome.findings == []
    assert outcome.result.status == "passed"
    assert outcome.result.name == "ruff-format"


def test_each_hunk_is_a_finding_with_the_formatted_text(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    source = (
        "from __future__ import annotations\n"
        "\n"
        "\n"
        "def f() -> int:\n"
        "    return 1\n"
        "\n"
        "\n"
        "x = {'a':1}\n"
        "y = 2\n"
        "z = 3\n"
        "w = 4\n"
        "v = 5\n"
        "u = 6\n"
        "t = 7\n"
        "s = 8\n"
        "def g() -> int:\n"
        "    return 2\n"
    )
    git_repo.write("app/mod.py", source, dedent=False)
    git_repo.write("app/other.py", "a = [1,2]\n", dedent=False)  # not changed
    git_repo.commit()
    before = tree_state(git_repo)

    outcome = ruff_format.run(check_context(git_repo, tmp_path, "app/mod.py"))

    got = [(f.path, f.line, f.end_line, f.suggestion) for f in outcome.findings]
    assert got == [
        ("app/mod.py", 8, 8, 'x = {"a": 1}\n'),
        # Blank lines go in before ``def g``: anchored on the line above.
        ("app/mod.py", 15, 15, "s = 8\n\n\n"),
    ]
    first = outcome.findings[0]
    assert (first.rule, first.source, first.pattern, first.severity) == (
        "ruff-format",
        "ruff-format",
        "completion-checklist",
        "error",
    )
    assert outcome.result.status == "failed"
    assert outcome.result.detail == f"2 hunk(s) to reformat ({UNPINNED})"
    assert tree_state(git_repo) == before
    assert (git_repo.path / "app" / "mod.py").read_text() == source
    assert not list(git_repo.path.rglob(".ruff_cache"))


def test_multi_line_rewrite_spans_its_lines(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write(
        "app/call.py",
        "result = max(\n    1,\n    2\n)\n",
        dedent=False,
    )
    git_repo.commit()

    outcome = ruff_format.run(check_context(git_repo, tmp_path, "app/call.py"))

    assert [(f.line, f.end_line, f.suggestion) for f in outcome.findings] == [
        (1, 4, "result = max(1, 2)\n")
    ]


def test_unparseable_file_is_a_finding_at_the_error(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("app/bad.py", "x = 1\ndef broken(:\n    pass\n", dedent=False)
    git_repo.write("app/mess.py", "a = [1,2]\n", dedent=False)
    git_repo.commit()

    outcome = ruff_format.run(
        check_context(git_repo, tmp_path, "app/bad.py", "app/mess.py")
    )

    got = sorted((f.path, f.rule, f.line, f.suggestion) for f in outcome.findings)
    assert got == [
        ("app/bad.py", "ruff-format:syntax", 2, None),
        ("app/mess.py", "ruff-format", 1, "a = [1, 2]\n"),
    ]
    assert outcome.result.detail == (
        f"1 hunk(s) to reformat, 1 file(s) not parseable ({UNPINNED})"
    )


def test_parse_format_diff_reads_several_files_and_hunks() -> None:
    diff = (
        "--- a.py\n"
        "+++ a.py\n"
        "@@ -1,3 +1,3 @@\n"
        " keep\n"
        "-x=1\n"
        "+x = 1\n"
        " keep\n"
        "--- b.py\n"
        "+++ b.py\n"
        "@@ -10,2 +10,4 @@\n"
        " def f():\n"
        "+\n"
        "+\n"
        " -- not a header\n"
    )

    hunks = ruff_format.parse_format_diff(diff)

    assert [(h.path, h.line, h.end_line, h.replacement) for h in hunks] == [
        ("a.py", 2, 2, "x = 1\n"),
        ("b.py", 10, 10, "def f():\n\n\n"),
    ]


def test_garbled_diff_is_a_check_error() -> None:
    with pytest.raises(CheckError, match="unexpected line in ruff format diff"):
        ruff_format.parse_format_diff("+++ a.py\n@@ -1,2 +1,2 @@\n?what\n")


def test_a_file_formatting_overruns_is_an_error_finding_the_others_are_kept(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    # Formatting is quadratic in comment lines: 20,000 of them take far
    # longer than the 1 s budget set here (a minute on a busy runner).
    comments = "".join(f"    # note {n}\n" for n in range(20_000))
    git_repo.write("app/padded.py", f"def f():\n    x = 1\n{comments}    return x\n")
    git_repo.write("app/one.py", "x = {'a':1}\n", dedent=False)
    git_repo.write("app/two.py", "y = [1,2]\n", dedent=False)
    git_repo.commit()
    paths = ("app/padded.py", "app/one.py", "app/two.py")
    ctx = check_context(git_repo, tmp_path, *paths, config=Config(ruff_timeout_s=1))

    outcome = ruff_format.run(ctx)

    found = sorted((f.path, f.rule, f.line) for f in outcome.findings)
    assert found == [
        ("app/one.py", "ruff-format", 1),
        ("app/padded.py", "PR005", 1),
        ("app/two.py", "ruff-format", 1),
    ]
    overrun = next(f for f in outcome.findings if f.path == "app/padded.py")
    assert overrun.severity == "error" and overrun.source == "ruff-format"
    assert "ruff format took longer than its 1 s budget on this file" in (
        overrun.message
    )
    assert outcome.result.status == "failed"
    assert "1 file(s) over the time budget" in outcome.result.detail


def test_the_reviews_budget_is_a_check_error(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write("app/mod.py", "x = 1\n", dedent=False)
    git_repo.commit()
    ctx = replace(
        check_context(git_repo, tmp_path, "app/mod.py"), deadline=Deadline.start(0)
    )
    with pytest.raises(ReviewBudgetError, match="review's 0 s budget ran out"):
        ruff_format.run(ctx)
