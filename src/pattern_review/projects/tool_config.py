"""What a project's own tool config says the tools look at; the one TOML reader.

Every ``pyproject.toml`` (and TOML lock file) of a reviewed project is read
through ``read_toml``: PR content, so an unreadable or invalid file reads as
empty rather than failing the review. It is not cached: the review may read
a file again after a tool rewrote it, and parsing one is cheap.

Files named on the command line bypass mypy's ``exclude`` and ``files`` (they
apply only to a run that finds files itself), and pytest's ``testpaths`` only
to a run without paths; the review names files, so it applies them itself: a
file the project's mypy config excludes (an ``alembic/versions/`` migration)
or leaves outside its ``files`` is not type-checked, and a test outside
``testpaths`` is not run. ruff's excludes
hold through ``--force-exclude``.
"""

from __future__ import annotations

import configparser
import fnmatch
import re
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

_MYPY_INI = (("mypy.ini", "mypy"), (".mypy.ini", "mypy"), ("setup.cfg", "mypy"))
_PYTEST_INI = (
    ("pytest.ini", "pytest"),
    (".pytest.ini", "pytest"),
    ("tox.ini", "pytest"),
    ("setup.cfg", "tool:pytest"),
)


def read_toml(path: Path) -> dict[str, Any]:
    """Return a TOML file's tables, empty when it is missing or invalid.

    Args:
        path: The file (``pyproject.toml``, ``uv.lock``, ``poetry.lock``).

    Returns:
        Its content, or an empty dict.
    """
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def read_pyproject(folder: Path) -> dict[str, Any]:
    """Return a folder's ``pyproject.toml``, empty when it has none or it is invalid.

    Args:
        folder: A project's folder.

    Returns:
        Its content, or an empty dict.
    """
    return read_toml(folder / "pyproject.toml")


def tool_table(folder: Path, name: str) -> dict[str, Any] | None:
    """Return a folder's ``[tool.<name>]`` table of ``pyproject.toml``.

    Args:
        folder: A project's folder.
        name: The tool's name (``mypy``, ``uv``).

    Returns:
        The table, or None when there is none.
    """
    tool = read_pyproject(folder).get("tool")
    table = tool.get(name) if isinstance(tool, dict) else None
    return table if isinstance(table, dict) else None


def _ini_section(path: Path, section: str) -> dict[str, str] | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, configparser.Error):
        return None
    return dict(parser[section]) if parser.has_section(section) else None


def _mypy_settings(folder: Path) -> tuple[list[str], list[str] | None]:
    """Return ``exclude`` patterns and ``files`` of the mypy config used here."""
    for name, section in _MYPY_INI[:2]:
        if (folder / name).is_file():
            return _ini_mypy(_ini_section(folder / name, section) or {})
    table = tool_table(folder, "mypy")
    if table is not None:
        return _listed(table.get("exclude")) or [], _listed(table.get("files"))
    name, section = _MYPY_INI[2]
    return _ini_mypy(_ini_section(folder / name, section) or {})


def _listed(value: object) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return None


def _ini_mypy(values: dict[str, str]) -> tuple[list[str], list[str] | None]:
    excludes = [values["exclude"]] if values.get("exclude") else []
    files = [f.strip() for f in values.get("files", "").split(",") if f.strip()]
    return excludes, files or None


def _under(path: str, entries: list[str]) -> bool:
    for entry in entries:
        clean = entry.strip().strip("/").removeprefix("./") or "."
        if clean == "." or path == clean or path.startswith(f"{clean}/"):
            return True
        if fnmatch.fnmatch(path, clean):
            return True
    return False


def mypy_excluded(folder: Path, paths: list[str]) -> list[str]:
    """Return the paths the project's mypy config leaves out.

    Args:
        folder: The project's folder (mypy's working directory).
        paths: Files relative to it.

    Returns:
        Those matched by an ``exclude`` regular expression, as mypy matches
        them (``re.search`` on the ``/``-separated path), and, when the
        config names ``files``, those outside them (a plain ``mypy`` run
        would not check them). A pattern that is no valid expression
        excludes nothing.
    """
    excludes, files = _mypy_settings(folder)
    patterns = []
    for text in excludes:
        try:
            patterns.append(re.compile(text.strip()))
        except re.error:
            continue
    return [
        p
        for p in paths
        if any(pattern.search(p) for pattern in patterns)
        or (files is not None and not _under(p, files))
    ]


def _pytest_testpaths(folder: Path) -> list[str] | None:
    """Return ``testpaths`` of the pytest config pytest uses here, if set."""
    for name, section in _PYTEST_INI[:2]:
        if (folder / name).is_file():
            values = _ini_section(folder / name, section) or {}
            return values.get("testpaths", "").split() or None
    table = tool_table(folder, "pytest")
    options = table.get("ini_options") if table else None
    if isinstance(options, dict):
        value = options.get("testpaths")
        if isinstance(value, str):
            return value.split() or None
        if isinstance(value, list):
            return [v for v in value if isinstance(v, str)] or None
        return None
    for name, section in _PYTEST_INI[2:]:
        found = _ini_section(folder / name, section)
        if found is not None:
            return found.get("testpaths", "").split() or None
    return None


def within_testpaths(folder: Path, tests: list[str]) -> list[str]:
    """Keep the test files that lie under the project's pytest ``testpaths``.

    Args:
        folder: The project's folder (pytest's rootdir).
        tests: Test files relative to it.

    Returns:
        ``tests`` when no ``testpaths`` is set, else those inside one of its
        folders (or matching one of its globs).
    """
    testpaths = _pytest_testpaths(folder)
    if not testpaths:
        return tests
    kept = []
    for test in tests:
        path = PurePosixPath(test)
        for entry in testpaths:
            clean = entry.strip().strip("/").removeprefix("./") or "."
            inside = clean == "." or PurePosixPath(clean) in path.parents
            if inside or path.as_posix() == clean or fnmatch.fnmatch(test, clean):
                kept.append(test)
                break
    return kept
