"""What a project's tool config says, read through the one TOML reader."""

from __future__ import annotations

from pathlib import Path

from pattern_review.projects.tool_config import (
    mypy_excluded,
    read_pyproject,
    read_toml,
    tool_table,
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


def test_pyproject_is_read_one_way_and_a_bad_one_reads_as_empty(
    tmp_path: Path,
) -> None:
    assert read_pyproject(tmp_path) == {}  # none
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.uv]\npackage = false\n[tool.mypy]\nstrict = 1\n'
    )
    assert read_pyproject(tmp_path)["project"] == {"name": "x"}
    assert tool_table(tmp_path, "uv") == {"package": False}
    assert tool_table(tmp_path, "ruff") is None
    (tmp_path / "pyproject.toml").write_text("[tool.uv\n")  # broken TOML
    assert read_pyproject(tmp_path) == {}
    assert tool_table(tmp_path, "uv") is None
    (tmp_path / "pyproject.toml").write_bytes(b'[project]\nname = "\xff"\n')
    assert read_pyproject(tmp_path) == {}  # not UTF-8
    (tmp_path / "pyproject.toml").write_text('tool = "not a table"\n')
    assert tool_table(tmp_path, "uv") is None


def test_a_lock_file_is_read_by_the_same_reader(tmp_path: Path) -> None:
    lock = tmp_path / "uv.lock"
    lock.write_text('version = 1\n\n[[package]]\nname = "ruff"\nversion = "0.6.9"\n')
    assert read_toml(lock)["package"] == [{"name": "ruff", "version": "0.6.9"}]
    assert read_toml(tmp_path / "missing.lock") == {}
    assert read_toml(tmp_path) == {}  # a folder, not a file
