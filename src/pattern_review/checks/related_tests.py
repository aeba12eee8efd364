"""Which test files a change concerns: the ``<related_test_files>`` of the checklist.

A test file is related when it changed itself, when it is named after a
changed module (``tests/**/test_<module>.py``), when it imports a changed
module, or when it sits under a changed ``conftest.py`` (whose fixtures it
may use). The import scan is textual and cheap: it reads the ``import x.y`` and
``from x.y import z`` lines of each test file, never runs them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath

# Folders never searched for tests: VCS data, environments, caches, builds.
_SKIP_DIRS = frozenset(
    {"node_modules", "__pycache__", "site-packages", "build", "dist", "venv", "env"}
)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([^\n#]+)", re.MULTILINE)
_FROM = re.compile(
    r"^[ \t]*from[ \t]+([\w.]+)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]+)", re.MULTILINE
)


def is_test_file(path: str) -> bool:
    """Return whether a path names a pytest test module.

    Args:
        path: A path relative to the repo root.

    Returns:
        True for ``test_*.py`` and ``*_test.py``.
    """
    name = PurePosixPath(path).name
    return name.endswith(".py") and (
        name.startswith("test_") or name.endswith("_test.py")
    )


def module_name(path: str) -> str | None:
    """Return the dotted module a source path defines.

    Args:
        path: A ``.py`` path relative to the repo root; a leading ``src/``
            (the src layout) is not part of the module name.

    Returns:
        ``app.services.x`` for ``src/app/services/x.py``, the package for an
        ``__init__.py``, or None for a path that is no importable module.
    """
    parts = list(PurePosixPath(path).parts)
    if not parts or not parts[-1].endswith(".py"):
        return None
    if parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    parts[-1] = parts[-1][: -len(".py")]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    if not parts or not all(part.isidentifier() for part in parts):
        return None
    return ".".join(parts)


def _test_files(repo: Path) -> Iterator[str]:
    for root, dirs, files in os.walk(repo):
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS
        )
        for name in files:
            rel = (Path(root) / name).relative_to(repo).as_posix()
            if is_test_file(rel):
                yield rel


def imported_modules(source: str) -> set[str]:
    """Return every absolute module a source text may import.

    ``from a.b import c`` yields both ``a.b`` and ``a.b.c`` (``c`` may be a
    submodule); relative imports are left out.

    Args:
        source: Python source text.

    Returns:
        Dotted module names.
    """
    found: set[str] = set()
    for match in _IMPORT.finditer(source):
        for item in match.group(1).split(","):
            name = item.split(" as ")[0].strip()
            if name:
                found.add(name)
    for match in _FROM.finditer(source):
        base = match.group(1)
        if base.startswith("."):
            continue
        found.add(base)
        for item in match.group(2).strip("()").split(","):
            name = item.split(" as ")[0].strip()
            if name.isidentifier():
                found.add(f"{base}.{name}")
    return found


def _imports_any(source: str, modules: set[str]) -> bool:
    for imported in imported_modules(source):
        # ``import app.services.x`` and ``import app.services.x.sub`` both
        # load ``app.services.x``.
        parts = imported.split(".")
        if any(".".join(parts[:n]) in modules for n in range(1, len(parts) + 1)):
            return True
    return False


class _Relation:
    """What makes a test file related to a set of changed paths."""

    def __init__(self, changed: Sequence[str]) -> None:
        sources = [p for p in changed if not is_test_file(p)]
        self.conftest_dirs = {
            PurePosixPath(p).parent
            for p in sources
            if PurePosixPath(p).name == "conftest.py"
        }
        self.modules = {name for p in sources if (name := module_name(p)) is not None}
        self.test_names = {
            f"test_{PurePosixPath(p).stem}.py"
            for p in sources
            if PurePosixPath(p).name != "__init__.py"
        }

    @property
    def empty(self) -> bool:
        """Whether no test can relate (no changed module, stem or conftest)."""
        return not self.modules and not self.test_names

    def relates(self, test: str, read: Callable[[str], str | None]) -> bool:
        """Return whether a test file concerns the change.

        Args:
            test: The test file's path.
            read: Returns a test file's source (asked only when its path
                does not decide), or None when it cannot be read.

        Returns:
            True when it sits under a changed ``conftest.py``, is named after
            a changed module, or imports one.
        """
        path = PurePosixPath(test)
        if any(d in path.parents for d in self.conftest_dirs):
            return True
        if path.name in self.test_names:
            return True
        source = read(test)
        return source is not None and _imports_any(source, self.modules)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def related_tests(repo: Path, changed: Sequence[str]) -> list[str]:
    """Return the test files a change concerns.

    Args:
        repo: The target's work tree.
        changed: Changed ``.py`` paths relative to ``repo``.

    Returns:
        Existing test file paths relative to ``repo``, sorted.
    """
    related = {p for p in changed if is_test_file(p) and (repo / p).is_file()}
    relation = _Relation(changed)
    if relation.empty:
        return sorted(related)
    for test in _test_files(repo):
        if test not in related and relation.relates(
            test, lambda path: _read(repo / path)
        ):
            related.add(test)
    return sorted(related)


def deleted_related_tests(
    changed: Sequence[str], deleted: Mapping[str, str | None]
) -> list[str]:
    """Return the deleted test files that concerned the changed code.

    Args:
        changed: Changed ``.py`` paths that still exist.
        deleted: Each deleted test file's path and its base source (None
            when it could not be read).

    Returns:
        The deleted test files related to ``changed`` as they were at base,
        sorted.
    """
    relation = _Relation(changed)
    if relation.empty:
        return []
    return sorted(
        test
        for test in deleted
        if is_test_file(test) and relation.relates(test, deleted.get)
    )
