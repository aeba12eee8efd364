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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class _Config:
    """A mypy config: its global options and its per-module sections."""

    options: Mapping[str, object] = field(default_factory=dict)
    modules: list[tuple[list[str], Mapping[str, object]]] = field(default_factory=list)


def _ini_config(path: Path) -> _Config | None:
    """Read an INI mypy config (``[mypy]`` and ``[mypy-<patterns>]``)."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, configparser.Error):
        return None
    if not parser.has_section("mypy"):
        return None
    modules: list[tuple[list[str], Mapping[str, object]]] = [
        (_patterns(section.removeprefix("mypy-")), dict(parser[section]))
        for section in parser.sections()
        if section.startswith("mypy-")
    ]
    return _Config(dict(parser["mypy"]), modules)


def _toml_config(folder: Path) -> _Config | None:
    table = tool_table(folder, "mypy")
    if table is None:
        return None
    overrides = table.get("overrides")
    modules: list[tuple[list[str], Mapping[str, object]]] = [
        (_patterns(override.get("module")), override)
        for override in (overrides if isinstance(overrides, list) else [])
        if isinstance(override, dict)
    ]
    return _Config(table, modules)


def _config(folder: Path) -> _Config:
    """Read the config mypy reads in ``folder``, in mypy's order of files."""
    for name in ("mypy.ini", ".mypy.ini"):
        if (folder / name).is_file():
            return _ini_config(folder / name) or _Config()
    found = _toml_config(folder)
    if found is None and (folder / "setup.cfg").is_file():
        found = _ini_config(folder / "setup.cfg")
    return found or _Config()


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
    config = _config(folder)
    if _true(config.options.get("ignore_errors")):
        return list(paths)
    patterns = [
        pattern
        for patterns, options in config.modules
        if _true(options.get("ignore_errors"))
        for pattern in patterns
    ]
    ignored = []
    for path in paths:
        module = module_name(path)
        if module is not None and any(_matches(module, p) for p in patterns):
            ignored.append(path)
    return ignored


def parallel_allowed(folder: Path) -> bool:
    """Return whether mypy may check the project in parallel worker processes.

    Parallel mode needs local partial types and no reports (mypy refuses to
    start otherwise), and it always uses mypy's native parser: a config that
    turns the native parser off would be checked with another parser.

    Args:
        folder: The project's folder (where mypy looks for its config).

    Returns:
        False when the config turns off ``local_partial_types`` or
        ``native_parser``, or asks for a report.
    """
    options = _config(folder).options
    if any(
        key in options and not _true(options[key])
        for key in ("local_partial_types", "native_parser")
    ):
        return False
    return not any(key.endswith("_report") for key in options)


def workers_configured(folder: Path) -> bool:
    """Return whether the project's mypy config asks for parallel workers.

    Args:
        folder: The project's folder.

    Returns:
        True for a ``num_workers`` other than 0 (``auto`` included).
    """
    value = _config(folder).options.get("num_workers")
    return value is not None and str(value).strip() not in ("", "0")
