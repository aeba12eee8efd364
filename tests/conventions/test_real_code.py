"""No exception on real code: the engine over installed library sources.

The fast test covers fastapi, starlette and a slice of the standard library;
the slow one (``-m slow``) every file of fastapi, starlette, pydantic,
sqlalchemy, celery and the standard library outside its tests. Both print the
file count and throughput (run with ``-s`` to see it).
"""

from __future__ import annotations

import importlib
import sysconfig
import time
from collections import Counter
from pathlib import Path

import fastapi
import pydantic
import pytest
import sqlalchemy
import starlette

from pattern_review.config import Config
from pattern_review.conventions.pool import lint_paths
from pattern_review.findings.rules import (
    DECODE_ERROR_RULE,
    PARSE_ERROR_RULE,
    RULE_CRASH_RULE,
    UNREADABLE_RULE,
)

SITE = Path(fastapi.__file__).resolve().parents[1]
STDLIB = Path(sysconfig.get_paths()["stdlib"])
# Engine failures: none may appear on code that CPython itself imports.
FAILURES = {PARSE_ERROR_RULE, DECODE_ERROR_RULE, RULE_CRASH_RULE, UNREADABLE_RULE}


def _package_files(*packages: object) -> list[str]:
    paths: list[str] = []
    for package in packages:
        root = Path(getattr(package, "__file__", "")).resolve().parent
        assert root.parent == SITE, root
        paths += [p.relative_to(SITE).as_posix() for p in root.rglob("*.py")]
    return paths


def _stdlib_files(folders: list[str] | None) -> list[str]:
    roots = [STDLIB / name for name in folders] if folders else [STDLIB]
    skipped = {"test", "tests", "site-packages", "lib2to3", "idle_test"}
    return [
        p.relative_to(STDLIB).as_posix()
        for root in roots
        for p in root.rglob("*.py")
        if not skipped & set(p.relative_to(STDLIB).parts)
    ]


def _run(repo: Path, paths: list[str], label: str) -> Counter[str]:
    started = time.perf_counter()
    findings = lint_paths(repo, paths, Config())
    elapsed = time.perf_counter() - started
    lines = sum((repo / p).read_bytes().count(b"\n") for p in paths)
    by_rule = Counter(f.rule for f in findings)
    print(
        f"\n{label}: {len(paths)} files, {lines} lines in {elapsed:.1f}s "
        f"({len(paths) / elapsed:.0f} files/s, {lines / elapsed:.0f} lines/s); "
        f"findings by rule: {dict(sorted(by_rule.items()))}"
    )
    failures = [f"{f.path}: {f.message}" for f in findings if f.rule in FAILURES]
    assert failures == []
    assert all(f.source == "convention" and f.line >= 1 for f in findings)
    return by_rule


def test_fastapi_starlette_and_a_stdlib_slice_lint_without_failures() -> None:
    packages = _package_files(fastapi, starlette)
    assert len(packages) > 50
    by_rule = _run(SITE, packages, "fastapi+starlette")
    # Library code breaks some conventions (broad excepts, lower-case constants).
    assert sum(by_rule.values()) > 0
    stdlib = _stdlib_files(["json", "email", "concurrent", "http"])
    assert len(stdlib) > 30
    _run(STDLIB, stdlib, "stdlib slice")


@pytest.mark.slow
def test_all_five_libraries_and_the_stdlib_lint_without_failures() -> None:
    celery = importlib.import_module("celery")  # untyped: no stubs
    packages = _package_files(fastapi, starlette, pydantic, sqlalchemy, celery)
    stdlib = _stdlib_files(None)
    assert len(packages) + len(stdlib) > 1000
    _run(SITE, packages, "fastapi+starlette+pydantic+sqlalchemy+celery")
    _run(STDLIB, stdlib, "stdlib")
