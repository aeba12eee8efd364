"""The shape of the source tree: who may import whom.

Three rules, read from the source itself:

- only the convention engine's worker side (the worker loop, the engine, the
  rule base and the rule families) loads libcst: every other module imports
  without it, so the review's own process never pays for it;
- no import cycle among the modules, imports inside functions included;
- the layers below the checks never import a check.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

SOURCE = Path(__file__).parents[1] / "src"
PACKAGE = "pattern_review"
# The modules that run in the engine's worker processes, or load the rule
# classes (and with them libcst) on purpose: the team's rule modules, the
# rule examples the ``rules`` command checks.
WORKER_SIDE = (
    "pattern_review.conventions.worker",
    "pattern_review.conventions.preload",
    "pattern_review.conventions.engine",
    "pattern_review.conventions.rule",
    "pattern_review.conventions.rules",
    "pattern_review.conventions.examples",
    "pattern_review.conventions.team_rules",
)
# Modules that run something when imported.
NOT_IMPORTABLE = ("pattern_review.__main__",)
# The layers a check builds on: none of them may import a check.
BELOW_THE_CHECKS = (
    "pattern_review.projects",
    "pattern_review.context",
    "pattern_review.findings",
    "pattern_review.config",
    "pattern_review.models",
    "pattern_review.git",
    "pattern_review.target",
    "pattern_review.rulebook",
)
CHECKS = "pattern_review.checks"
# The one table of checks is data (names, sources, dotted module names): the
# config validates against it without importing any check.
CHECK_TABLE = "pattern_review.checks.registry"


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _modules() -> dict[str, Path]:
    """Return every module of the package by dotted name (packages included)."""
    found: dict[str, Path] = {}
    for path in sorted((SOURCE / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SOURCE).with_suffix("").parts)
        if "example" in parts[:-1]:
            continue  # the demo's sample project, not our code
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imported_names(module: str, path: Path) -> Iterator[str]:
    """Yield every dotted name ``module`` imports, anywhere in its code."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0]
                base = f"{anchor}.{base}" if base else anchor
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _import_graph() -> dict[str, set[str]]:
    """Return module -> the modules of the package it imports."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for module, path in modules.items():
        for name in _imported_names(module, path):
            target = name
            while target and target not in modules:
                target = target.rpartition(".")[0]
            # A module is imported with its parent package: that edge is
            # implied, and only counts when the name is the package itself.
            if (
                target
                and target != module
                and (not module.startswith(target + ".") or name == target)
            ):
                graph[module].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected groups of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        # Tarjan's algorithm, iteratively: (module, its remaining targets).
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def test_only_the_convention_workers_side_loads_libcst() -> None:
    modules = [
        name
        for name in _modules()
        if not _within(name, WORKER_SIDE) and name not in NOT_IMPORTABLE
    ]
    # One fresh interpreter imports them one by one and names the first
    # that brought libcst in.
    script = textwrap.dedent(
        """
        import importlib, sys
        for name in sys.argv[1:]:
            importlib.import_module(name)
            if "libcst" in sys.modules:
                print(name)
                break
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *modules],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"{done.stdout.strip()} loads libcst"
    assert len(modules) > 50  # the walk found the package


def test_the_worker_side_is_where_libcst_is_loaded() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, pattern_review.conventions.worker; "
            "print('libcst' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    assert done.stdout.strip() == "True"


def test_no_import_cycle_among_the_modules_lazy_imports_included() -> None:
    assert _cycles(_import_graph()) == []


def test_the_import_graph_sees_imports_inside_functions() -> None:
    graph = _import_graph()
    # The pool imports its worker loop inside the function the child runs.
    assert (
        "pattern_review.conventions.worker" in graph["pattern_review.conventions.pool"]
    )


def test_the_cycle_finder_finds_every_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a", "e"}, "e": {"d"}}
    assert sorted(_cycles(graph)) == [["a", "b", "c"], ["d", "e"]]


@pytest.mark.parametrize("layer", BELOW_THE_CHECKS)
def test_no_layer_below_the_checks_imports_a_check(layer: str) -> None:
    graph = _import_graph()
    offenders = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if _within(module, (layer,))
        for target in targets
        if _within(target, (CHECKS,)) and target != CHECK_TABLE
    )
    assert offenders == []
