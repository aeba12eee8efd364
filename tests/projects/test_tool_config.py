"""What a project's tool config says, read through the one TOML reader."""

from __future__ import annotations

from pathlib import Path

from pattern_review.projects.tool_config import (
    mypy_excluded,
    within_testpaths,
)


def test_mypy_exclude_of_the_projects_config(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mypy]\nexclude = ["alembic/versions/", "^build/"]\n'
    )
    paths = ["alembic/versions/1.py", "app/x.py", "build/y.py", "app/build/z.py"]
    assert mypy_excluded(tmp_path, paths) == ["alembic/versions/1.py", "build/y.py"]
    (tmp_path / "mypy.ini").write_text("[mypy]\nexclude = (?x)(^app/ | ^nothing)\n")
    # mypy.ini comes first, and its pattern may span lines in verbose mode.
    assert mypy_excluded(tmp_path, paths) == ["app/x.py", "app/build/z.py"]
    (tmp_path / "mypy.ini").write_text("[mypy]\nexclude = [unclosed\n")
    assert mypy_excluded(tmp_path, paths) == []
    # Files outside the config's ``files`` are not what ``mypy`` checks either.
    (tmp_path / "mypy.ini").write_text("[mypy]\nfiles = app, alembic/*/1.py\n")
    assert mypy_excluded(tmp_path, paths) == ["build/y.py"]


def test_pytest_testpaths_of_the_projects_config(tmp_path: Path) -> None:
    tests = ["tests/test_a.py", "app/test_b.py", "integration/test_c.py"]
    assert within_testpaths(tmp_path, tests) == tests  # no config
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\ntestpaths = ["tests", "integration"]\n'
    )
    assert within_testpaths(tmp_path, tests) == [tests[0], tests[2]]
    (tmp_path / "pytest.ini").write_text("[pytest]\ntestpaths = app\n")
    assert within_testpaths(tmp_path, tests) == ["app/test_b.py"]
