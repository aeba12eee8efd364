"""The pytest check: related tests run for real, failures placed at their lines."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from pattern_review.checks import pytest_check
from pattern_review.config import Config
from pattern_review.errors import CheckError
from tests.check_context import check_context, tree_state
from tests.gitrepo import GitRepo

# A repo with no environment of its own: the bundled pytest runs, and says so.
BUNDLED = "bundled tools: no environment found for the repository root"

CALC = """\
from __future__ import annotations


def add(a: int, b: int) -> int:
    return a + b
"""


@pytest.fixture
def calc_repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("src/app/__init__.py", "")
    git_repo.write("src/app/calc.py", CALC)
    git_repo.write(
        "tests/test_calc.py",
        """\
        from app.calc import add


        def test_add() -> None:
            assert add(1, 2) == 3
        """,
    )
    git_repo.commit()
    return git_repo


def test_related_tests_pass(calc_repo: GitRepo, tmp_path: Path) -> None:
    before = tree_state(calc_repo)

    outcome = pytest_check.run(check_context(calc_repo, tmp_path, "src/app/calc.py"))

    assert outcome.findings == []
    assert outcome.result.status == "passed"
    assert outcome.result.detail == f"1 test(s) in 1 file(s), all passed ({BUNDLED})"
    assert tree_state(calc_repo) == before
    assert not list(calc_repo.path.rglob("__pycache__"))
    assert not list(calc_repo.path.rglob(".pytest_cache"))


def test_failing_test_is_reported_at_its_def_line(
    calc_repo: GitRepo, tmp_path: Path
) -> None:
    calc_repo.write("src/app/calc.py", CALC.replace("a + b", "a - b"))
    calc_repo.write(
        "tests/test_calc.py",
        """\
        from app.calc import add


        def test_add() -> None:
            assert add(1, 2) == 3


        class TestMore:
            def test_zero(self) -> None:
                assert add(0, 0) == 0
        """,
    )
    calc_repo.commit()
    before = tree_state(calc_repo)

    outcome = pytest_check.run(check_context(calc_repo, tmp_path, "src/app/calc.py"))

    got = [(f.rule, f.path, f.line, f.pattern) for f in outcome.findings]
    assert got == [("pytest:failed", "tests/test_calc.py", 4, "completion-checklist")]
    assert outcome.findings[0].message.startswith(
        "Test `tests.test_calc.test_add` failed: assert -1 == 3"
    )
    assert outcome.result.status == "failed"
    assert outcome.result.detail == f"2 test(s) in 1 file(s), 1 failing ({BUNDLED})"
    assert tree_state(calc_repo) == before


def test_collection_error_points_at_the_failing_import(
    calc_repo: GitRepo, tmp_path: Path
) -> None:
    calc_repo.write(
        "tests/test_calc.py",
        """\
        import os

        from app.calc import add, subtract


        def test_add() -> None:
            assert add(1, 2) == 3
        """,
    )
    calc_repo.commit()

    outcome = pytest_check.run(check_context(calc_repo, tmp_path, "tests/test_calc.py"))

    assert [(f.rule, f.path, f.line) for f in outcome.findings] == [
        ("pytest:error", "tests/test_calc.py", 3)
    ]
    assert "cannot import name 'subtract'" in outcome.findings[0].message
    assert outcome.result.status == "failed"


def test_a_fixture_error_is_at_the_test_and_a_shared_one_is_one_finding(
    calc_repo: GitRepo, tmp_path: Path
) -> None:
    # A fixture one test uses fails: the finding is at that test. A fixture
    # three tests use cannot reach its database: one cause, one finding where
    # it fails, not one per test. Another fixture failing the same way is
    # another cause.
    calc_repo.write(
        "tests/conftest.py",
        """\
        import pytest


        @pytest.fixture
        def db() -> int:
            raise ConnectionRefusedError("localhost:5432")
        """,
    )
    uses_db = "def test_{0}(db: int) -> None:\n    assert db\n\n\n"
    calc_repo.write("tests/test_calc.py", uses_db.format("a") + uses_db.format("b"))
    calc_repo.write(
        "tests/test_more.py",
        "import pytest\n\n\n"
        + uses_db.format("c")
        + "def test_own() -> None:\n    raise KeyError('x')\n\n\n"
        + "@pytest.fixture\ndef other() -> int:\n    raise ValueError('y')\n\n\n"
        + "def test_other(other: int) -> None:\n    assert other\n\n\n"
        + "@pytest.fixture\ndef cache() -> int:\n"
        + '    raise ConnectionRefusedError("localhost:5432")\n\n\n'
        + uses_db.replace("db", "cache").format("d")
        + uses_db.replace("db", "cache").format("e"),
        dedent=False,
    )
    calc_repo.commit()

    outcome = pytest_check.run(
        check_context(calc_repo, tmp_path, "tests/test_calc.py", "tests/test_more.py")
    )

    by_place = {(f.path, f.line): f for f in outcome.findings}
    assert {place: f.rule for place, f in by_place.items()} == {
        ("tests/conftest.py", 6): "pytest:error",
        ("tests/test_more.py", 17): "pytest:error",
        ("tests/test_more.py", 8): "pytest:failed",
        ("tests/test_more.py", 23): "pytest:error",
    }
    shared = by_place["tests/conftest.py", 6].message
    assert shared.startswith("3 tests in 2 file(s) errored the same way")
    assert "ConnectionRefusedError: localhost:5432" in shared
    assert "ValueError: y" in by_place["tests/test_more.py", 17].message
    other = by_place["tests/test_more.py", 23].message
    assert other.startswith("2 tests in 1 file(s) errored the same way")
    assert "7 test(s) in 2 file(s), 7 failing" in outcome.result.detail


def test_shared_error_is_placed_by_a_test_the_report_places(tmp_path: Path) -> None:
    error = '<error message="failed on setup with &quot;OSError: down&quot;"/>'
    report = ElementTree.fromstring(
        "<testsuites><testsuite>"
        f'<testcase classname="t" name="unplaced" line="3">{error}</testcase>'
        f'<testcase classname="t" name="placed" file="tests/t.py" line="7">{error}'
        "</testcase></testsuite></testsuites>"
    )

    results = pytest_check.parse_junit(report, tmp_path)

    assert [(f.path, f.line) for f in results.findings] == [("tests/t.py", 8)]
    assert "2 tests in 1 file(s)" in results.findings[0].message
    assert "`t.placed`" in results.findings[0].message
    assert (results.ran, results.failing) == (2, 2)


def test_no_related_tests_passes_without_running(
    calc_repo: GitRepo, tmp_path: Path
) -> None:
    calc_repo.write("src/app/unrelated.py", "X = 1\n", dedent=False)
    calc_repo.commit()

    outcome = pytest_check.run(
        check_context(calc_repo, tmp_path, "src/app/unrelated.py")
    )

    assert outcome.result.status == "passed"
    assert outcome.result.detail == "no related tests"


def test_related_file_without_tests_is_no_related_tests(
    calc_repo: GitRepo, tmp_path: Path
) -> None:
    calc_repo.write("tests/test_helpers.py", "HELPER = 1\n", dedent=False)
    calc_repo.commit()

    outcome = pytest_check.run(
        check_context(calc_repo, tmp_path, "tests/test_helpers.py")
    )

    assert outcome.findings == []
    assert outcome.result.status == "passed"
    assert outcome.result.detail == "no related tests"


def test_safe_mode_runs_nothing(calc_repo: GitRepo, tmp_path: Path) -> None:
    calc_repo.write("tests/test_calc.py", "raise SystemExit(3)\n", dedent=False)
    calc_repo.commit()

    outcome = pytest_check.run(
        check_context(calc_repo, tmp_path, "tests/test_calc.py", safe_mode=True)
    )

    assert outcome.result.status == "skipped"
    assert outcome.result.detail == pytest_check.SAFE_MODE_SKIP


def test_timeout_is_a_check_error(calc_repo: GitRepo, tmp_path: Path) -> None:
    calc_repo.write(
        "tests/test_calc.py",
        """\
        import time


        def test_sleeps() -> None:
            time.sleep(60)
        """,
    )
    calc_repo.commit()
    ctx = check_context(
        calc_repo, tmp_path, "tests/test_calc.py", config=Config(tool_timeout_s=1)
    )

    with pytest.raises(CheckError, match="timed out after 1s"):
        pytest_check.run(ctx)


def test_usage_error_is_a_check_error(calc_repo: GitRepo, tmp_path: Path) -> None:
    calc_repo.write(
        "pyproject.toml",
        """\
        [tool.pytest.ini_options]
        addopts = "--no-such-option"
        """,
    )
    calc_repo.commit()

    with pytest.raises(CheckError, match="pytest exited 4"):
        pytest_check.run(check_context(calc_repo, tmp_path, "tests/test_calc.py"))
