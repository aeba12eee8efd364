"""The base-version run: which base files are read and checked."""

from __future__ import annotations

from pathlib import Path

from pattern_review.baseline.base_run import (
    base_paths,
    files_to_check,
    introduced_early,
    mark_introduced,
    start_early,
    started_early,
)
from pattern_review.checks.schedule import run_per_project
from pattern_review.config import Config
from pattern_review.context import CheckContext
from pattern_review.models import ChangedFile, Finding, ReviewTarget
from pattern_review.target import build_target
from tests.gitrepo import GitRepo

TARGET = ReviewTarget(
    repo=Path("/repo"),
    base="a" * 40,
    head="b" * 40,
    files=(
        ChangedFile(path="app/edited.py", status="modified"),
        ChangedFile(path="app/new_name.py", status="renamed", old_path="app/old.py"),
        ChangedFile(path="app/gone.py", status="deleted", skip_reason="deleted"),
        ChangedFile(path="app/added.py", status="added"),
        ChangedFile(path="README.md", status="modified", skip_reason="not Python"),
    ),
)


def _finding(path: str, line: int) -> Finding:
    return Finding(
        rule="E501",
        pattern="style-rules#4",
        source="ruff",
        severity="error",
        path=path,
        line=line,
        message="Line too long",
    )


def test_base_paths_are_the_old_paths_of_changed_python_files() -> None:
    assert base_paths(TARGET) == {
        "app/edited.py": "app/edited.py",
        "app/old.py": "app/new_name.py",
        "app/gone.py": "app/gone.py",  # moved code may come from it
    }


def test_another_file_is_checked_only_when_it_held_the_flagged_line() -> None:
    moved = "result = compute_the_total(items)\n"
    head = {"app/edited.py": f"x = 1\n{moved}"}
    base = {
        "app/edited.py": "x = 1\n",
        "app/gone.py": f"import os\n{moved}",
        "app/other.py": "y = 2\n",
    }
    chosen = files_to_check([_finding("app/edited.py", 2)], head, base, {})
    assert chosen == {"app/edited.py", "app/gone.py"}
    # A short line (``)``, ``pass``) is everywhere: no sign of moved code.
    short = {"app/edited.py": "x = 1\npass\n"}
    base["app/gone.py"] = "pass\n"
    assert files_to_check([_finding("app/edited.py", 2)], short, base, {}) == {
        "app/edited.py"
    }


LONG = "x = '" + "a" * 100 + "'\n"
HEADER = '"""Module."""\n\nfrom __future__ import annotations\n\n'


def _pr_rewording_an_old_long_line(git_repo: GitRepo) -> GitRepo:
    """A PR whose only ruff finding (E501) the base already had."""
    git_repo.write("pkg/mod.py", HEADER + LONG)
    git_repo.write("pkg/other.py", HEADER)
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.write("pkg/mod.py", HEADER + LONG.replace("a", "b"))
    git_repo.write("pkg/other.py", HEADER + "y = 1\n")
    git_repo.commit("pr")
    return git_repo


def _context(repo: GitRepo, tmp_path: Path, checks: list[str]) -> CheckContext:
    config = Config.model_validate(
        {"checks": checks, "cache_dir": str(tmp_path / "cache")}
    )
    target = build_target(repo.path, "main", "HEAD")
    return CheckContext(target, config, tmp_path / "cache")


def test_a_compared_check_starts_its_base_run_as_it_ends_and_it_is_used(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    context = _context(_pr_rewording_an_old_long_line(git_repo), tmp_path, ["ruff"])

    outcomes = run_per_project(["ruff"], context)
    early = started_early(context)
    found = outcomes["ruff"].findings
    sources = {p: (git_repo.path / p).read_text() for p in ("pkg/mod.py",)}
    marked = mark_introduced(found, context.target, context, sources, {"ruff"})

    # Started before the comparison, on the flagged file alone...
    assert early == {"ruff": ["pkg/mod.py"]}
    # ... used by it (the base had the long line), then forgotten.
    assert [(f.rule, f.introduced) for f in marked] == [("E501", False)]
    assert started_early(context) == {}
    # One base run: its outcome is kept once in the result cache.
    assert len(list((tmp_path / "cache" / "results").glob("base-ruff-*"))) == 1


def test_the_early_answer_leaves_out_what_the_base_had_before_the_comparison(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    repo = _pr_rewording_an_old_long_line(git_repo)
    repo.write("pkg/other.py", HEADER + LONG)  # a long line of the PR's own
    repo.commit("new long line")
    context = _context(repo, tmp_path, ["ruff"])

    found = run_per_project(["ruff"], context)["ruff"].findings
    new = introduced_early("ruff", found, context)

    assert sorted((f.rule, f.path) for f in found) == [
        ("E501", "pkg/mod.py"),
        ("E501", "pkg/other.py"),
    ]
    assert [(f.rule, f.path) for f in new] == [("E501", "pkg/other.py")]
    # Without an early run (none for mypy) every finding in scope stays.
    assert introduced_early("mypy", found, context) == found


def test_no_base_run_starts_for_a_check_that_is_not_compared_or_found_nothing(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    repo = _pr_rewording_an_old_long_line(git_repo)
    repo.write("pkg/mod.py", HEADER + 'x = "short"\n')
    repo.commit("fixed")
    context = _context(repo, tmp_path, ["ruff-format", "ruff"])
    ruff_finding = _finding("pkg/other.py", 4)

    run_per_project(["ruff-format", "ruff"], context)
    start_early("mypy", [ruff_finding], context, 0)

    assert started_early(context) == {}
