"""What a PR changes in how its own tools examine and judge it.

The project's tool configs (ruff, mypy, pytest, ``conftest.py``) are the
PR's code: they run as the PR has them, as its own CI would. So every change
that narrows what a tool examines or how it judges is found by comparing the
base version of each changed config file with the head's, and listed; one
that narrows is ``weakens`` (a ``PR101``/``PR102``/``PR103`` finding), one
that only widens or tightens is ``strengthens``:

- ruff: codes removed from ``select``, added to ``ignore``, to
  ``per-file-ignores``, to ``exclude``; a longer ``line-length``;
- mypy: ``exclude``/``files``, ``ignore_errors``, ``ignore_missing_imports``,
  ``follow_imports``, ``strict``/``disallow_*``/``warn_*`` switched off,
  error codes disabled, per-module overrides;
- pytest: ``addopts`` options that narrow a run (``--co``, ``-p``, ``-k``,
  ``--deselect``, ``--ignore``, ...), ``testpaths``, ``python_files`` and
  the other collection patterns, ``norecursedirs``;
- ``conftest.py``: a new or changed hook that can alter collection or
  outcomes, ``collect_ignore``, ``pytest_plugins``;
- comments on added lines that silence a tool: ``# noqa``,
  ``# type: ignore``, ``# ruff: noqa``, ``# mypy: ignore-errors``, and
  ``# pattern-review: ignore[...]`` (with their reasons).

Config files are PR text: read as data (TOML, INI), and a ``conftest.py``
is parsed with the standard library's parser only when it is small and
shallow (``conventions/roles.py``'s ``guess_tree``).
"""

from __future__ import annotations

import ast
import configparser
import io
import json
import re
import shlex
import tokenize
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from pattern_review import git
from pattern_review.lines import LINE_BREAK
from pattern_review.models import (
    ChangedFile,
    ChangeDirection,
    ReviewTarget,
    StandardChange,
)

TOOL_CONFIG_RULE = "PR101"
CONFTEST_RULE = "PR102"
SILENCING_COMMENT_RULE = "PR103"
# A config file larger than this is not compared; it is listed as unread.
MAX_CONFIG_BYTES = 1024 * 1024
_TOML_NAMES = frozenset({"pyproject.toml", "ruff.toml", ".ruff.toml"})
_INI_NAMES = frozenset(
    {"mypy.ini", ".mypy.ini", "setup.cfg", "pytest.ini", ".pytest.ini", "tox.ini"}
)
CONFIG_NAMES = _TOML_NAMES | _INI_NAMES | {"conftest.py"}
_PYTEST_SECTIONS = {
    "pytest.ini": "pytest",
    ".pytest.ini": "pytest",
    "tox.ini": "pytest",
    "setup.cfg": "tool:pytest",
}
_MYPY_INI_NAMES = frozenset({"mypy.ini", ".mypy.ini", "setup.cfg"})

Settings = dict[str, Any]


@dataclass(frozen=True)
class _File:
    """One changed config file: its path and both versions' text.

    ``tables`` and ``within`` say where in the head file the tool's keys
    are (a table header such as ``[tool.mypy]``, and text of the block, a
    module override's name), so a change is anchored on its own line.
    """

    path: str
    base: str | None
    head: str | None
    added_lines: frozenset[int]
    tables: tuple[str, ...] = ()
    within: str = ""

    def line_of(self, *needles: str) -> int | None:
        """The head line of the first needle found in the tool's table."""
        if self.head is None:
            return None
        lines = LINE_BREAK.split(self.head)
        blocks: list[list[int]] = [[]]
        for number, text in enumerate(lines, start=1):
            if text.lstrip().startswith("["):
                blocks.append([])
            blocks[-1].append(number)
        region = [
            number for block in blocks if self._ours(block, lines) for number in block
        ]
        for needle in needles:
            hits = [n for n in region if lines[n - 1].strip().startswith(needle)]
            added = [n for n in hits if n in self.added_lines]
            if hits:
                return (added or hits)[0]
        return None

    def _ours(self, block: list[int], lines: list[str]) -> bool:
        if not self.tables:
            return True
        if not block:  # the lines before the first table
            return False
        header = lines[block[0] - 1].strip()
        if not any(header.startswith(table) for table in self.tables):
            return False
        return not self.within or any(self.within in lines[n - 1] for n in block)


def value_text(value: object) -> str | None:
    """Return a config value as JSON text, None for no value.

    Args:
        value: A value read from TOML or INI.

    Returns:
        Its JSON text, or None.
    """
    return None if value is None else json.dumps(value, sort_keys=True)


def _change(
    file: _File,
    what: str,
    base: object,
    head: object,
    *,
    weakens: bool | None,
    effect: str,
    rule: str = TOOL_CONFIG_RULE,
    needles: Iterable[str] = (),
) -> StandardChange:
    """One change; ``weakens`` None when it neither narrows nor tightens."""
    direction: ChangeDirection = (
        "changes" if weakens is None else "weakens" if weakens else "strengthens"
    )
    return StandardChange(
        path=file.path,
        what=what,
        base=base if isinstance(base, str) or base is None else value_text(base),
        head=head if isinstance(head, str) or head is None else value_text(head),
        effect=effect,
        direction=direction,
        rule=rule if weakens else None,
        line=file.line_of(*needles),
    )


def _set_change(
    file: _File,
    what: str,
    old: set[str],
    new: set[str],
    narrowing: Literal["added", "removed"],
    narrowed: str,
    widened: str,
    needle: str,
) -> StandardChange | None:
    """The change of a set of rule codes or path patterns, None if unchanged.

    Args:
        file: The config file.
        what: The setting (``ruff ignore``).
        old: Its codes or patterns at the base.
        new: At the head.
        narrowing: Which of them narrow the check: those the PR adds (to an
            ignore list) or those it removes (from a select list).
        narrowed: The effect when any narrow it, ``{}`` for them.
        widened: The effect otherwise, ``{}`` for the others that changed.
        needle: The key to find the line by.
    """
    if old == new:
        return None
    added, removed = sorted(new - old), sorted(old - new)
    narrow, other = (added, removed) if narrowing == "added" else (removed, added)
    if narrow:
        effect = narrowed.format(", ".join(narrow))
    else:
        effect = widened.format(", ".join(other))
    return _change(
        file,
        what,
        sorted(old) or None,
        sorted(new) or None,
        weakens=bool(narrow),
        effect=effect,
        needles=(needle,),
    )


def _as_list(value: object) -> list[str]:
    """A config value as a list of strings (a TOML list, or INI text)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in re.split(r"[,\s]+", value) if part]
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(value)]


def _as_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
    return None


# -- reading the two versions ------------------------------------------------


def _toml(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}


def _ini(text: str | None) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    if text:
        try:
            parser.read_string(text)
        except configparser.Error:
            return configparser.ConfigParser(interpolation=None)
    return parser


def _table(data: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    for key in keys:
        value = data.get(key)
        if not isinstance(value, dict):
            return {}
        data = value
    return dict(data)


def _ruff_settings(name: str, text: str | None) -> Settings | None:
    """Return ruff's settings of one file (lint keys merged), None if it has none."""
    if name not in _TOML_NAMES:
        return None
    data = _toml(text)
    top = data if name != "pyproject.toml" else _table(data, "tool", "ruff")
    if name == "pyproject.toml" and "ruff" not in _table(data, "tool"):
        return None
    lint = _table(top, "lint")
    merged = {k: v for k, v in top.items() if not isinstance(v, dict)}
    merged.update({k: v for k, v in lint.items() if not isinstance(v, dict)})
    for key in ("per-file-ignores", "extend-per-file-ignores"):
        merged[key] = {**_table(top, key), **_table(lint, key)}
    merged["format-exclude"] = _table(top, "format").get("exclude")
    return merged


def _mypy_settings(name: str, text: str | None) -> tuple[Settings, dict[str, Settings]]:
    """Return mypy's global settings and per-module overrides of one file."""
    if name == "pyproject.toml":
        table = _table(_toml(text), "tool", "mypy")
        overrides: dict[str, Settings] = {}
        raw = table.pop("overrides", [])
        for entry in raw if isinstance(raw, list) else []:
            if isinstance(entry, dict):
                modules = ",".join(_as_list(entry.get("module")))
                settings = {k: v for k, v in entry.items() if k != "module"}
                overrides[modules] = {**overrides.get(modules, {}), **settings}
        return _normal_keys(table), {k: _normal_keys(v) for k, v in overrides.items()}
    if name not in _MYPY_INI_NAMES:
        return {}, {}
    parser = _ini(text)
    main = dict(parser["mypy"]) if parser.has_section("mypy") else {}
    overrides = {
        ",".join(_as_list(section.removeprefix("mypy-"))): dict(parser[section])
        for section in parser.sections()
        if section.startswith("mypy-")
    }
    return _normal_keys(main), {k: _normal_keys(v) for k, v in overrides.items()}


def _normal_keys(settings: Mapping[str, Any]) -> Settings:
    return {key.replace("-", "_"): value for key, value in settings.items()}


def _pytest_settings(name: str, text: str | None) -> Settings | None:
    if name == "pyproject.toml":
        data = _toml(text)
        if "ini_options" not in _table(data, "tool", "pytest"):
            return None
        return _table(data, "tool", "pytest", "ini_options")
    section = _PYTEST_SECTIONS.get(name)
    if section is None:
        return None
    parser = _ini(text)
    return dict(parser[section]) if parser.has_section(section) else None


# -- ruff ----------------------------------------------------------------------

# ruff's rules when a config selects none.
_RUFF_DEFAULT_SELECT = ("E4", "E7", "E9", "F")


def _ruff_codes(settings: Settings | None, *keys: str) -> set[str]:
    return {code for key in keys for code in _as_list((settings or {}).get(key))}


def _ruff_changes(file: _File, name: str) -> list[StandardChange]:
    before, after = _ruff_settings(name, file.base), _ruff_settings(name, file.head)
    if before is None and after is None:
        return []
    if name == "pyproject.toml":
        file = replace(file, tables=("[tool.ruff",))
    changes: list[StandardChange] = []

    def selected(settings: Settings | None) -> set[str]:
        chosen = _ruff_codes(settings, "select") or set(_RUFF_DEFAULT_SELECT)
        return chosen | _ruff_codes(settings, "extend-select")

    ignored = [_ruff_codes(s, "ignore", "extend-ignore") for s in (before, after)]
    found = [
        _set_change(
            file, "ruff select", selected(before), selected(after), "removed",
            "ruff no longer checks {}", "ruff also checks {}", "select",
        ),
        _set_change(
            file, "ruff ignore", ignored[0], ignored[1], "added",
            "ruff ignores {} everywhere", "ruff checks {} again", "ignore",
        ),
        *_ruff_path_ignores(file, before or {}, after or {}),
    ]  # fmt: skip
    for key in ("exclude", "extend-exclude", "format-exclude"):
        old, new = (_ruff_codes(s, key) for s in (before, after))
        found.append(
            _set_change(
                file, f"ruff {key}", old, new, "added",
                "ruff skips files matching {}",
                "ruff examines files it skipped before",
                key.removeprefix("format-"),
            )
        )  # fmt: skip
    changes += [change for change in found if change is not None]
    old_length = (before or {}).get("line-length")
    new_length = (after or {}).get("line-length")
    if old_length != new_length and isinstance(new_length or 88, int):
        longer = int(new_length or 88) > int(old_length or 88)
        changes.append(
            _change(
                file,
                "ruff line-length",
                old_length,
                new_length,
                weakens=longer,
                effect="longer lines pass" if longer else "shorter lines required",
                needles=("line-length",),
            )
        )
    return changes


def _ruff_path_ignores(
    file: _File, before: Settings, after: Settings
) -> list[StandardChange]:
    def table(settings: Settings) -> dict[str, set[str]]:
        merged: dict[str, set[str]] = {}
        for key in ("per-file-ignores", "extend-per-file-ignores"):
            for pattern, codes in dict(settings.get(key) or {}).items():
                merged.setdefault(str(pattern), set()).update(_as_list(codes))
        return merged

    old, new = table(before), table(after)
    changes: list[StandardChange] = []
    for pattern in sorted(old.keys() | new.keys()):
        was, now = old.get(pattern, set()), new.get(pattern, set())
        if was == now:
            continue
        added = sorted(now - was)
        changes.append(
            _change(
                file,
                "ruff per-file-ignores",
                {pattern: sorted(was)} if pattern in old else None,
                {pattern: sorted(now)} if pattern in new else None,
                weakens=bool(added),
                effect=f"ruff ignores {', '.join(added)} in files matching {pattern}"
                if added
                else f"ruff checks {', '.join(sorted(was - now))} again in {pattern}",
                needles=(f'"{pattern}"', f"'{pattern}'", "per-file-ignores"),
            )
        )
    return changes


# -- mypy ----------------------------------------------------------------------

# Switches under which mypy judges less when they are true.
_MYPY_LENIENT = frozenset(
    {
        "ignore_errors",
        "ignore_missing_imports",
        "allow_untyped_globals",
        "allow_redefinition",
        "implicit_optional",
        "implicit_reexport",
        "no_site_packages",
        "follow_untyped_imports",
    }
)
_MYPY_STRICT_PREFIXES = ("strict", "disallow_", "warn_", "check_", "no_implicit_")
_MYPY_STRICT = frozenset({"extra_checks", "local_partial_types"})
# follow_imports, most thorough first.
_FOLLOW_RANK = {"error": 3, "normal": 2, "silent": 1, "skip": 0}


def _mypy_key_change(
    file: _File, scope: str, key: str, old: object, new: object
) -> StandardChange | None:
    what = f"mypy {key}" + (f" for {scope}" if scope else "")
    needles = (key, key.replace("_", "-"))
    if key in ("exclude", "files", "disable_error_code", "enable_error_code"):
        was, now = set(_as_list(old)), set(_as_list(new))
        if key == "exclude" and isinstance(old, str) | isinstance(new, str):
            was, now = {str(old)} - {"None"}, {str(new)} - {"None"}
        if key == "files":
            narrows = bool(was - now) or (not was and bool(now))
        elif key == "enable_error_code":
            narrows = bool(was - now)
        else:
            narrows = bool(now - was)
        words = {
            "exclude": "mypy skips more files" if narrows else "mypy skips fewer files",
            "files": "mypy checks fewer files" if narrows else "mypy checks more files",
            "disable_error_code": "mypy reports fewer error codes",
            "enable_error_code": "mypy reports fewer error codes",
        }[key]
        if not narrows and key.endswith("error_code"):
            words = "mypy reports more error codes"
        return _change(
            file, what, old, new, weakens=narrows, effect=words, needles=needles
        )
    if key == "follow_imports":
        was_rank = _FOLLOW_RANK.get(str(old or "normal").lower(), 2)
        now_rank = _FOLLOW_RANK.get(str(new or "normal").lower(), 2)
        if was_rank == now_rank:
            return None
        narrows = now_rank < was_rank
        effect = (
            "imported modules' errors are hidden"
            if narrows
            else "imported modules are followed"
        )
        return _change(
            file, what, old, new, weakens=narrows, effect=effect, needles=needles
        )
    was_on, now_on = bool(_as_bool(old)), bool(_as_bool(new))
    lenient = key in _MYPY_LENIENT
    strict = key in _MYPY_STRICT or key.startswith(_MYPY_STRICT_PREFIXES)
    if (lenient or strict) and was_on != now_on:
        narrows = now_on if lenient else was_on
        effect = "mypy judges less" if narrows else "mypy judges more"
        if key == "ignore_errors" and now_on:
            effect = "mypy reports no errors" + (f" in {scope}" if scope else "")
        return _change(
            file, what, old, new, weakens=narrows, effect=effect, needles=needles
        )
    if lenient or strict:
        return None
    return _change(
        file,
        what,
        old,
        new,
        weakens=None,
        effect="changes mypy's settings",
        needles=needles,
    )


def _mypy_place(file: _File, name: str, scope: str) -> _File:
    """The file, told where mypy's global or one override's keys are."""
    module = scope.split(",")[0]
    if name == "pyproject.toml":
        table = "[[tool.mypy.overrides]]" if scope else "[tool.mypy]"
        return replace(file, tables=(table,), within=module)
    return replace(file, tables=(f"[mypy-{module}" if scope else "[mypy]",))


def _mypy_changes(file: _File, name: str) -> list[StandardChange]:
    before, old_modules = _mypy_settings(name, file.base)
    after, new_modules = _mypy_settings(name, file.head)
    scopes = [("", before, after)] + [
        (modules, old_modules.get(modules, {}), new_modules.get(modules, {}))
        for modules in sorted(old_modules.keys() | new_modules.keys())
    ]
    changes: list[StandardChange] = []
    for scope, old, new in scopes:
        where = _mypy_place(file, name, scope)
        for key in sorted(old.keys() | new.keys()):
            if old.get(key) == new.get(key):
                continue
            change = _mypy_key_change(where, scope, key, old.get(key), new.get(key))
            if change is not None:
                changes.append(change)
    return changes


# -- pytest --------------------------------------------------------------------

# addopts options that narrow what a run collects or how it reports.
_NARROWING_OPTIONS = (
    "--co",
    "--collect-only",
    "--collectonly",
    "-p",
    "-k",
    "-m",
    "-c",
    "-o",
    "--override-ini",
    "--deselect",
    "--ignore",
    "--ignore-glob",
    "--lf",
    "--last-failed",
    "--sw",
    "--stepwise",
    "--continue-on-collection-errors",
    "--rootdir",
    "--confcutdir",
    "--noconftest",
    "--config-file",
    "--pyargs",
)
_TAKES_VALUE = frozenset(
    {"-p", "-k", "-m", "-c", "-o", "--override-ini", "--deselect", "--ignore"}
    | {"--ignore-glob", "--rootdir", "--confcutdir", "--config-file"}
)
_PYTEST_PATTERN_DEFAULTS = {
    "python_files": ["test_*.py", "*_test.py"],
    "python_classes": ["Test"],
    "python_functions": ["test"],
}


def _options(value: object) -> set[str]:
    """Split addopts into options, each with its value (``-p no:cacheprovider``)."""
    if isinstance(value, list):
        tokens = [str(item) for item in value]
    else:
        try:
            tokens = shlex.split(str(value or ""))
        except ValueError:
            tokens = str(value or "").split()
    options: list[str] = []
    for token in tokens:
        if options and options[-1] in _TAKES_VALUE:
            options[-1] += f" {token}"
        else:
            options.append(token)
    return set(options)


def _narrows(option: str) -> bool:
    name = option.split("=", 1)[0].split(" ", 1)[0]
    if name in _NARROWING_OPTIONS:
        return True
    return not name.startswith("--") and name[:2] in ("-p", "-k", "-m", "-c", "-o")


def _pytest_changes(file: _File, name: str) -> list[StandardChange]:
    before, after = _pytest_settings(name, file.base), _pytest_settings(name, file.head)
    if before is None and after is None:
        return []
    before, after = before or {}, after or {}
    section = _PYTEST_SECTIONS.get(name, "tool.pytest.ini_options")
    file = replace(file, tables=(f"[{section}]",))
    changes: list[StandardChange] = []
    old, new = _options(before.get("addopts")), _options(after.get("addopts"))
    if old != new:
        narrowing = sorted(o for o in new - old if _narrows(o))
        widening = sorted(o for o in old - new if _narrows(o))
        effect = (
            f"pytest runs with {', '.join(narrowing)}: fewer tests run or their"
            " outcomes are reported differently"
            if narrowing
            else "pytest no longer runs with " + ", ".join(widening)
            if widening
            else "changes pytest's options"
        )
        changes.append(
            _change(
                file,
                "pytest addopts",
                before.get("addopts"),
                after.get("addopts"),
                weakens=True if narrowing else (False if widening else None),
                effect=effect,
                needles=("addopts",),
            )
        )
    old, new = (
        set(_as_list(before.get("testpaths"))),
        set(_as_list(after.get("testpaths"))),
    )
    if old != new:
        narrows = bool(new) and (not old or bool(old - new))
        changes.append(
            _change(
                file,
                "pytest testpaths",
                before.get("testpaths"),
                after.get("testpaths"),
                weakens=narrows,
                effect="pytest collects from fewer places"
                if narrows
                else "pytest collects from more places",
                needles=("testpaths",),
            )
        )
    for key, default in (*_PYTEST_PATTERN_DEFAULTS.items(), ("norecursedirs", [])):
        old = set(_as_list(before.get(key, default)))
        new = set(_as_list(after.get(key, default)))
        if old == new:
            continue
        narrows = bool(new - old) if key == "norecursedirs" else bool(old - new)
        changes.append(
            _change(
                file,
                f"pytest {key}",
                before.get(key),
                after.get(key),
                weakens=narrows,
                effect="pytest collects fewer tests"
                if narrows
                else "pytest collects more tests",
                needles=(key,),
            )
        )
    return changes


# -- conftest.py -----------------------------------------------------------------

# Hooks that can change which tests are collected, or what their outcome is.
OUTCOME_HOOKS = frozenset(
    {
        "pytest_runtest_makereport",
        "pytest_collection_modifyitems",
        "pytest_report_teststatus",
        "pytest_runtest_call",
        "pytest_pyfunc_call",
        "pytest_runtest_protocol",
        "pytest_ignore_collect",
        "pytest_collect_file",
        "pytest_collect_directory",
        "pytest_pycollect_makeitem",
        "pytest_pycollect_makemodule",
        "pytest_make_collect_report",
        "pytest_collection",
        "pytest_generate_tests",
        "pytest_runtest_setup",
        "pytest_runtest_teardown",
        "pytest_runtest_logreport",
        "pytest_runtestloop",
        "pytest_configure",
        "pytest_cmdline_main",
        "pytest_cmdline_parse",
        "pytest_load_initial_conftests",
        "pytest_sessionstart",
        "pytest_sessionfinish",
        "pytest_markeval_namespace",
    }
)
# Module-level names that choose what pytest collects or loads.
_CONFTEST_NAMES = ("collect_ignore", "collect_ignore_glob", "pytest_plugins")


def _conftest_parts(text: str | None) -> dict[str, tuple[int, str]] | None:
    """Name -> (line, dumped tree) of each hook and collection variable.

    None when the file cannot be read safely (large, deep, not Python).
    """
    from pattern_review.conventions.roles import guess_tree

    if text is None:
        return {}
    tree = guess_tree(text)
    if tree is None:
        return None
    parts: dict[str, tuple[int, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.name.startswith("pytest_"):
                parts[node.name] = (node.lineno, ast.dump(node))
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id in _CONFTEST_NAMES:
                    previous = parts.get(target.id, (node.lineno, ""))
                    parts[target.id] = (previous[0], previous[1] + ast.dump(node))
    return parts


def _conftest_changes(file: _File) -> list[StandardChange]:
    old, new = _conftest_parts(file.base), _conftest_parts(file.head)
    if new is None:
        change = _change(
            file,
            "conftest.py not compared",
            None,
            "too large, too deep or not Python",
            weakens=True,
            rule=CONFTEST_RULE,
            effect="its hooks could not be compared with the base; it may alter "
            "which tests run or how they are reported",
        )
        return [change.model_copy(update={"line": 1})]
    old = old or {}
    changes: list[StandardChange] = []
    for name in sorted(old.keys() | new.keys()):
        was, now = old.get(name), new.get(name)
        if was is not None and now is not None and was[1] == now[1]:
            continue
        state = "added" if was is None else "removed" if now is None else "changed"
        outcome = name in OUTCOME_HOOKS or name in _CONFTEST_NAMES
        weakens = outcome and now is not None
        effect = (
            f"{name} {state}: it can alter which tests are collected or how "
            "their outcomes are reported"
            if weakens
            else f"{name} {state}"
        )
        change = _change(
            file,
            f"conftest hook {name} {state}",
            None if was is None else name,
            None if now is None else name,
            weakens=weakens or None,
            effect=effect,
            rule=CONFTEST_RULE,
        )
        if now is not None:
            change = change.model_copy(update={"line": now[0]})
        changes.append(change)
    return changes


# -- comments that silence a tool ------------------------------------------------

_CODES = r"(?::?\s*[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*)?"
_SILENCERS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("ruff: noqa", re.compile(r"#\s*(?:ruff|flake8)\s*:\s*noqa\b[^#]*", re.I), "ruff"),
    ("noqa", re.compile(r"#\s*noqa\b" + _CODES, re.I), "ruff"),
    ("type: ignore", re.compile(r"#\s*type:\s*ignore\b(?:\[[^\]]*\])?"), "mypy"),
    ("pyright: ignore", re.compile(r"#\s*pyright:\s*ignore\b(?:\[[^\]]*\])?"), "mypy"),
    ("mypy: ignore-errors", re.compile(r"#\s*mypy:\s*ignore-errors\b"), "mypy"),
    (
        "mypy: disable-error-code",
        re.compile(r"#\s*mypy:\s*disable-error-code\b[^#]*"),
        "mypy",
    ),
)


def _comment_tokens(source: str) -> list[tuple[int, str]]:
    """(line, text) of each comment; the raw lines when it does not tokenize."""
    try:
        return [
            (token.start[0], token.string)
            for token in tokenize.generate_tokens(io.StringIO(source).readline)
            if token.type == tokenize.COMMENT
        ]
    except (tokenize.TokenError, SyntaxError):
        lines = LINE_BREAK.split(source)
        return [(n, t[t.find("#") :]) for n, t in enumerate(lines, 1) if "#" in t]


def _reason(comment: str, end: int) -> str:
    rest = comment[end:].strip().lstrip("#:-— ").strip()
    return " ".join(rest.split())[:200]


def silencing_comments(
    path: str, source: str, base_source: str | None, added: frozenset[int]
) -> list[StandardChange]:
    """List the comments that silence a tool on lines the PR adds.

    A line whose text the base version already had (code that moved) is not
    the PR's new comment.

    Args:
        path: The file's path.
        source: Its head text.
        base_source: Its base text, None when the PR adds the file.
        added: The head lines the PR adds.

    Returns:
        One ``weakens`` change per comment, with its reason.
    """
    from pattern_review.findings.suppressions import MARKER, parse_directives

    if len(source) > MAX_CONFIG_BYTES or not added:
        return []
    lines = LINE_BREAK.split(source)
    known = {line.strip() for line in LINE_BREAK.split(base_source or "")}

    def new(number: int) -> bool:
        return number in added and lines[number - 1].strip() not in known

    file = _File(path, base_source, source, added)
    changes: list[StandardChange] = []
    for number, comment in _comment_tokens(source):
        if not new(number) or MARKER in comment:
            continue
        for kind, pattern, tool in _SILENCERS:
            match = pattern.search(comment)
            if match is None:
                continue
            reason = _reason(comment, match.end())
            changes.append(_silencer(file, number, kind, match.group(0), tool, reason))
            break
    for directive in parse_directives(source) if MARKER in source else []:
        if new(directive.line):
            kind = "ignore-file" if directive.whole_file else "ignore"
            text = f"# pattern-review: {kind}[{','.join(directive.rules)}]"
            changes.append(
                _silencer(
                    file,
                    directive.line,
                    "pattern-review ignore",
                    text,
                    "pattern-review",
                    directive.reason,
                )
            )
    return sorted(changes, key=lambda change: change.line or 0)


def _silencer(
    file: _File, line: int, kind: str, text: str, tool: str, reason: str
) -> StandardChange:
    why = f"reason: {reason}" if reason else "no reason given"
    return StandardChange(
        path=file.path,
        what=f"`# {kind}` comment added",
        head=text.strip(),
        effect=f"silences {tool} on line {line}; {why}",
        direction="weakens",
        rule=SILENCING_COMMENT_RULE,
        line=line,
    )


# -- the whole change --------------------------------------------------------------


def _read(read: Callable[[], bytes | None]) -> str | None:
    data = read()
    if data is None or len(data) > MAX_CONFIG_BYTES:
        return None
    return data.decode("utf-8", errors="replace")


def _versions(target: ReviewTarget, changed: ChangedFile) -> _File:
    root = target.repo
    base_path = changed.old_path or changed.path
    base = (
        None
        if changed.status == "added"
        else _read(lambda: git.show_file(root, target.base, base_path))
    )
    head = (
        None
        if changed.status == "deleted"
        else _read(lambda: head_file(root, changed.path))
    )
    return _File(changed.path, base, head, changed.added_lines)


def head_file(root: Path, path: str) -> bytes | None:
    """Read a file of the head work tree; a link or folder is not a config file.

    Args:
        root: The work tree (at the head).
        path: The file, relative to it.

    Returns:
        Its bytes, or None when it is missing, a link, a folder or unreadable.
    """
    file = root / path
    if file.is_symlink() or not file.is_file():
        return None
    try:
        return file.read_bytes()
    except OSError:
        return None


def _file_changes(file: _File, name: str) -> list[StandardChange]:
    if name == "conftest.py":
        return _conftest_changes(file)
    return [
        *_ruff_changes(file, name),
        *_mypy_changes(file, name),
        *_pytest_changes(file, name),
    ]


def tool_changes(target: ReviewTarget) -> list[StandardChange]:
    """List what the PR changes in how ruff, mypy and pytest examine and judge it.

    Args:
        target: The change; its work tree is at the head.

    Returns:
        The changes of each changed tool config file and ``conftest.py``,
        then the silencing comments on added lines of the reviewed files.
    """
    changes: list[StandardChange] = []
    for changed in sorted(target.files, key=lambda f: f.path):
        name = PurePosixPath(changed.path).name
        if name not in CONFIG_NAMES:
            continue
        file = _versions(target, changed)
        try:
            changes += _file_changes(file, name)
        except (ValueError, TypeError, AttributeError, RecursionError) as exc:
            # An odd value in PR text costs this file's comparison, not the review.
            changes.append(
                _change(
                    file,
                    f"{name} not compared",
                    None,
                    type(exc).__name__,
                    weakens=None,
                    effect="pattern-review could not compare this file with the base",
                )
            )
    for changed in target.reviewed_files:
        if not changed.path.endswith((".py", ".pyi")) or not changed.added_lines:
            continue
        file = _versions(target, changed)
        if file.head is not None:
            changes += silencing_comments(
                changed.path, file.head, file.base, changed.added_lines
            )
    return changes
