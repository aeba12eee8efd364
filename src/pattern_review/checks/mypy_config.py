"""Which changed modules a project's mypy config tells mypy to ignore errors in.

``ignore_errors = true`` (globally, or in a per-module section or
``[[tool.mypy.overrides]]`` whose ``module`` patterns match) makes mypy
report nothing for a module it still checks: a clean run then proves
nothing about it. The config file is the one mypy reads in the project's
folder: ``mypy.ini``, ``.mypy.ini``, ``pyproject.toml`` with ``[tool.mypy]``,
then ``setup.cfg`` with ``[mypy]``.
"""

from __future__ import annotations

import configparser
import fnmatch
from collections.abc import Sequence
from pathlib import Path

from pattern_review.checks.related_tests import module_name
from pattern_review.projects.tool_config import tool_table

_TRUE = frozenset({"1", "yes", "true", "on"})


def _true(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in _TRUE


def _patterns(value: object) -> list[str]:
    if isinstance(value, str):
        return [p.strip() for p in value.split(",") if p.strip()]
    if isinstance(value, list):
        return [p.strip() for p in value if isinstance(p, str) and p.strip()]
    return []


def _ini_ignores(path: Path) -> tuple[bool, list[str]] | None:
    """Return the global switch and module patterns of an INI mypy config."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, configparser.Error):
        return None
    if not parser.has_section("mypy"):
        return None
    everywhere = _true(parser["mypy"].get("ignore_errors"))
    patterns = [
        pattern
        for section in parser.sections()
        if section.startswith("mypy-") and _true(parser[section].get("ignore_errors"))
        for pattern in _patterns(section.removeprefix("mypy-"))
    ]
    return everywhere, patterns


def _toml_ignores(folder: Path) -> tuple[bool, list[str]] | None:
    table = tool_table(folder, "mypy")
    if table is None:
        return None
    overrides = table.get("overrides")
    patterns = [
        pattern
        for override in (overrides if isinstance(overrides, list) else [])
        if isinstance(override, dict) and _true(override.get("ignore_errors"))
        for pattern in _patterns(override.get("module"))
    ]
    return _true(table.get("ignore_errors")), patterns


def _ignores(folder: Path) -> tuple[bool, list[str]]:
    for name in ("mypy.ini", ".mypy.ini"):
        if (folder / name).is_file():
            return _ini_ignores(folder / name) or (False, [])
    found = _toml_ignores(folder)
    if found is None and (folder / "setup.cfg").is_file():
        found = _ini_ignores(folder / "setup.cfg")
    return found or (False, [])


def _matches(module: str, pattern: str) -> bool:
    # ``a.b.*`` covers ``a.b`` and every submodule; other stars match any
    # text, as mypy's unstructured wildcards do.
    if pattern.endswith(".*"):
        prefix = pattern[: -len(".*")]
        if fnmatch.fnmatchcase(module, prefix):
            return True
    return fnmatch.fnmatchcase(module, pattern)


def mypy_ignored(folder: Path, paths: Sequence[str]) -> list[str]:
    """Return the paths whose modules the mypy config ignores errors in.

    Args:
        folder: The project's folder (where mypy looks for its config).
        paths: ``.py`` files relative to it.

    Returns:
        Those under ``ignore_errors = true``, in the given order.
    """
    everywhere, patterns = _ignores(folder)
    if everywhere:
        return list(paths)
    ignored = []
    for path in paths:
        module = module_name(path)
        if module is not None and any(_matches(module, p) for p in patterns):
            ignored.append(path)
    return ignored
