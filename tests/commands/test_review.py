"""`pattern-review review` end to end: real git repo, real ruff/mypy/pytest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.cli import review_cli, review_json, run_cli
from tests.conftest import FIXTURES, SEED_AGENT_FILE
from tests.gitrepo import GitRepo
from tests.report_schema import REPORT_SCHEMA

PYPROJECT = """\
[project]
name = "calc"
version = "0.1.0"

[tool.pytest.ini_options]
pythonpath = ["src"]

[tool.mypy]
mypy_path = "src"
"""

# The base already has a lint error (F841), a type error and a formatting
# problem: on lines the PR does not touch, they are not the PR's fault.
BASE_CALC = '''\
"""Calculator."""

from __future__ import annotations


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def legacy(a: int) -> str:
    """Old code with problems on unchanged lines."""
    unused_value=1
    return a
'''

PR_CALC = (
    BASE_CALC.replace("return a + b", "return a - b")
    + '''

def scale(a: int, factor: int) -> int:
    """Scale a number."""
    spare = 0
    label: str = factor
    return a * len(label) * [1,2][0]
'''
)

TEST_CALC = '''\
"""Tests for calc."""

from __future__ import annotations

from calc import add


def test_add() -> None:
    """One and two make three."""
    assert add(1, 2) == 3
'''

CLEAN_CALC = (
    BASE_CALC
    + '''

def double(a: int) -> int:
    """Double a number."""
    return a * 2
'''
)


@pytest.fixture
def calc_repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("pyproject.toml", PYPROJECT, dedent=False)
    git_repo.write("src/calc/__init__.py", BASE_CALC, dedent=False)
    git_repo.write("tests/test_calc.py", TEST_CALC, dedent=False)
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "feature")
    return git_repo


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def by_source(report: dict[str, Any], source: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["source"] == source]


def test_each_problem_the_pr_adds_is_reported_once_at_its_line(
    calc_repo: GitRepo,
) -> None:
    calc_repo.write("src/calc/__init__.py", PR_CALC, dedent=False)
    calc_repo.commit("scale")

    status, report = review_json(calc_repo)

    assert status == 1
    assert report["conclusion"] == "failure"
    path = "src/calc/__init__.py"
    ruff = by_source(report, "ruff")
    assert [(f["rule"], f["path"], f["line"]) for f in ruff] == [
        ("F841", path, line_of(PR_CALC, "spare = 0"))
    ]
    assert ruff[0]["pattern"] == "completion-checklist"
    mypy = by_source(report, "mypy")
    assert [(f["path"], f["line"]) for f in mypy] == [
        (path, line_of(PR_CALC, "label: str"))
    ]
    assert mypy[0]["rule"] == "mypy:assignment"
    fmt = by_source(report, "ruff-format")
    assert len(fmt) == 1
    assert fmt[0]["line"] <= line_of(PR_CALC, "[1,2]") <= fmt[0]["end_line"]
    tests = by_source(report, "pytest")
    assert [(f["path"], f["line"]) for f in tests] == [
        ("tests/test_calc.py", line_of(TEST_CALC, "def test_add"))
    ]
    assert {c["name"]: c["status"] for c in report["checks"]} == {
        "ruff-format": "failed",
        "ruff": "failed",
        "mypy": "failed",
        "pytest": "failed",
        "conventions": "passed",
    }


def test_problems_on_unchanged_lines_show_only_without_the_filter(
    calc_repo: GitRepo,
) -> None:
    calc_repo.write("src/calc/__init__.py", PR_CALC, dedent=False)
    calc_repo.commit("scale")
    unused_line = line_of(PR_CALC, "unused_value")
    legacy_return = unused_line + 1  # `return a` in a function typed -> str

    _, added = review_json(calc_repo)
    _, everything = review_json(calc_repo, "--filter-mode", "nofilter")

    def lines(report: dict[str, Any], source: str) -> set[int]:
        return {f["line"] for f in by_source(report, source)}

    assert unused_line not in lines(added, "ruff")
    assert unused_line in lines(everything, "ruff")
    assert legacy_return not in lines(added, "mypy")
    assert legacy_return in lines(everything, "mypy")
    assert not any(
        f["line"] <= unused_line <= f["end_line"]
        for f in by_source(added, "ruff-format")
    )
    assert any(
        f["line"] <= unused_line <= f["end_line"]
        for f in by_source(everything, "ruff-format")
    )


def test_clean_pr_exits_zero_with_success(calc_repo: GitRepo) -> None:
    calc_repo.write("src/calc/__init__.py", CLEAN_CALC, dedent=False)
    calc_repo.commit("double")

    status, report = review_json(calc_repo)

    assert status == 0
    assert report["conclusion"] == "success"
    assert report["findings"] == []
    assert all(c["status"] == "passed" for c in report["checks"])


def test_a_check_that_cannot_run_exits_two_with_its_reason(
    calc_repo: GitRepo,
) -> None:
    calc_repo.write(".pattern-review.toml", "tool-timeout-s = 0.01\n")
    calc_repo.write("src/calc/__init__.py", CLEAN_CALC, dedent=False)
    calc_repo.commit("double")

    done = review_cli(
        calc_repo,
        "--checks",
        "mypy",
    )

    assert done.returncode == 2
    assert "mypy could not run" in done.stderr
    assert "timed out" in done.stderr


def test_broken_config_exits_two_with_a_one_line_reason(calc_repo: GitRepo) -> None:
    calc_repo.write(".pattern-review.toml", "fail-on = 'sometimes'\n")
    calc_repo.commit("bad config")

    done = run_cli("review", "--repo", str(calc_repo.path), "--base", "main")

    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "fail-on: Input should be" in done.stderr


def test_unknown_base_exits_two(calc_repo: GitRepo) -> None:
    done = run_cli("review", "--repo", str(calc_repo.path), "--base", "nope")

    assert done.returncode == 2
    assert "base 'nope' is not a commit" in done.stderr


def test_bad_files_are_reported_and_the_rest_of_the_review_happens(
    calc_repo: GitRepo,
) -> None:
    calc_repo.write("src/calc/broken.py", "def broken(:\n    pass\n")
    calc_repo.write("src/calc/latin.py", "name = 'caf\xe9'\n".encode("latin-1"))
    calc_repo.write("src/calc/blob.py", b"\x00\x01binary\x00")
    calc_repo.git("mv", "tests/test_calc.py", "tests/test_calculator.py")
    calc_repo.write("src/calc/__init__.py", PR_CALC, dedent=False)
    calc_repo.commit("odd files")
    calc_repo.git("rm", "-q", "src/calc/latin.py")
    calc_repo.write("src/calc/gone.py", "x = 1\n")
    calc_repo.commit("add gone")
    base = calc_repo.git("rev-parse", "HEAD")
    calc_repo.git("rm", "-q", "src/calc/gone.py")
    calc_repo.write("src/calc/latin.py", "name = 'caf\xe9'\n".encode("latin-1"))
    calc_repo.commit("delete gone, re-add latin")

    status, report = review_json(calc_repo, "--filter-mode", "file")
    _, delta = review_json(calc_repo, "--base", base)  # later --base wins

    assert status == 1
    skipped = report["skipped_files"]
    assert skipped["src/calc/blob.py"] == "binary file"
    assert skipped["src/calc/latin.py"].startswith("not valid UTF-8")
    assert delta["skipped_files"]["src/calc/gone.py"] == "deleted"
    broken = [f for f in report["findings"] if f["path"] == "src/calc/broken.py"]
    # Every tool stops at the syntax error; it is listed once.
    assert [(f["rule"], f["line"]) for f in broken] == [("invalid-syntax", 1)]
    rules = {f["rule"] for f in report["findings"] if f["path"].endswith("__init__.py")}
    assert "F841" in rules and "mypy:assignment" in rules
    assert any(f["path"] == "tests/test_calculator.py" for f in report["findings"])


def test_json_matches_the_spec_schema(calc_repo: GitRepo) -> None:
    calc_repo.write("src/calc/__init__.py", PR_CALC, dedent=False)
    calc_repo.commit("scale")

    _, report = review_json(calc_repo, "--checks", "ruff,conventions")

    jsonschema.validate(report, REPORT_SCHEMA)
    assert all(len(report[key]) == 40 for key in ("base", "head"))
    assert report["findings"], "the PR has lint findings"
    assert {c["name"]: c["status"] for c in report["checks"]}["mypy"] == "skipped"


def test_sarif_output_validates_against_the_sarif_schema(calc_repo: GitRepo) -> None:
    calc_repo.write("src/calc/__init__.py", PR_CALC, dedent=False)
    calc_repo.commit("scale")
    out = calc_repo.path.parent / "report.sarif"

    done = review_cli(
        calc_repo,
        "--checks",
        "ruff,conventions",
        "--format",
        "sarif",
        "--output",
        str(out),
    )

    assert done.returncode == 1
    sarif = json.loads(out.read_text())
    schema = json.loads((FIXTURES / "sarif" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(sarif, schema)
    results = sarif["runs"][0]["results"]
    assert any(r["ruleId"] == "F841" for r in results)


@pytest.mark.parametrize("fmt", ["text", "markdown", "github"])
def test_every_format_cites_the_pattern(calc_repo: GitRepo, fmt: str) -> None:
    calc_repo.write(
        "src/calc/__init__.py", PR_CALC + "\n\nfrom typing import List\n", dedent=False
    )
    calc_repo.commit("scale")

    done = review_cli(
        calc_repo,
        "--checks",
        "ruff,conventions",
        "--format",
        fmt,
    )

    assert done.returncode == 1, done.stderr
    assert "F841" in done.stdout
    assert "completion-checklist" in done.stdout or "Completion Checklist" in (
        done.stdout
    )


def test_head_is_the_committed_content_even_with_uncommitted_edits(
    calc_repo: GitRepo,
) -> None:
    calc_repo.write("src/calc/__init__.py", PR_CALC, dedent=False)
    calc_repo.commit("scale")
    _, committed = review_json(calc_repo, "--checks", "ruff")
    edited = PR_CALC.replace("    spare = 0\n", "").replace(
        "    label: str = factor\n", "    label: str = factor\n    junk = 1\n"
    )
    calc_repo.write("src/calc/__init__.py", edited, dedent=False)

    _, report = review_json(calc_repo, "--checks", "ruff")

    assert [(f["rule"], f["line"]) for f in by_source(committed, "ruff")] == [
        ("F841", line_of(PR_CALC, "spare = 0"))
    ]
    assert report["findings"] == committed["findings"]
    assert (calc_repo.path / "src/calc/__init__.py").read_text() == edited


def test_demo_reports_a_git_failure_in_one_line(tmp_path: Path) -> None:
    # The demo builds its example repo with git: a broken git config must
    # give git's own reason, not a traceback.
    broken = tmp_path / "gitconfig"
    broken.write_text("[user\n")
    done = subprocess.run(
        [sys.executable, "-m", "pattern_review", "demo", "--no-ai"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "GIT_CONFIG_GLOBAL": str(broken)},
        check=False,
        timeout=300,
    )

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("pattern-review: git init: bad config line 1")
    assert done.stderr.count("\n") == 1


def test_a_skipped_check_says_what_left_it_out(git_repo: GitRepo) -> None:
    seed = SEED_AGENT_FILE.read_text(encoding="utf-8")
    without_tests = "\n".join(
        line for line in seed.splitlines() if "uv run pytest" not in line
    )
    git_repo.write(".claude/agents/backend-developer.md", without_tests + "\n")
    git_repo.write("pkg/mod.py", '"""Mod."""\n\nfrom __future__ import annotations\n')
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.write(
        "pkg/mod.py", '"""Mod."""\n\nfrom __future__ import annotations\n\nX = 1\n'
    )
    git_repo.commit("work")

    _, by_flag = review_json(git_repo, "--checks", "ruff,pytest")
    _, by_checklist = review_json(git_repo)

    details = {c["name"]: c["detail"] for c in by_checklist["checks"]}
    assert details["pytest"] == "not in the agent file's Completion Checklist"
    left_out = {c["name"]: c["detail"] for c in by_flag["checks"]}
    assert left_out["mypy"] == "left out by the checks setting"
