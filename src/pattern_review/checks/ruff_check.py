"""Checklist step 2, "Lint": ``ruff check`` with the agent file's style rules added.

The target's own ruff configuration applies, and pattern-review adds the
style rules ruff implements (``catalog.RUFF_STYLE_SELECT``, the required
``from __future__ import annotations`` import and Google docstrings), so
they hold even where the target's config leaves them out. ruff runs without
``--fix`` and without a cache: the work tree is never written.

In safe mode the PR's configuration is not read (``--isolated``): it could
exclude every file or ignore every rule. ruff's defaults then apply with the
style rules and line length 88.

A migration (``migrations.py``: the ``migration`` role's globs, or Alembic's
revision header) gets the target's own ruff rules only: Alembic writes it
from its template (no docstrings, ``Union[str, None]``, no ``__future__``
import), and the style rules are for the application's code, as the
convention rules are.

ruff has a budget per file (``ruff_budget``): a file it overruns it on, or
crashes on, is an error finding on that file, and the other files are still
linted.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pattern_review.checks.evidence import ruff_evidence
from pattern_review.checks.ruff_budget import (
    Overrun,
    batch_budget,
    isolate,
    overrun,
    split,
)
from pattern_review.context import CheckContext, finished
from pattern_review.conventions.failures import could_not_analyse
from pattern_review.errors import CheckError
from pattern_review.lines import split_lines
from pattern_review.migrations import is_migration
from pattern_review.models import CheckOutcome, CheckResult, Finding, Severity
from pattern_review.projects.process import ToolRun, ToolTimeoutError
from pattern_review.projects.tools import run_tool
from pattern_review.rulebook.catalog import RUFF_STYLE_SELECT, cite_ruff_code

NAME = "ruff"
STYLE_CONFIG: tuple[str, ...] = (
    'lint.isort.required-imports=["from __future__ import annotations"]',
    'lint.pydocstyle.convention="google"',
)
# Findings that contradict the agent file, dropped whoever selected the code:
# ANN001 on ``self``/``cls`` of a plain function (a bound Celery task): those
# are never annotated. B008 on FastAPI's parameter markers: the Router Pattern
# injects the session with ``db: AsyncSession = Depends(get_db)``.
_IMPLICIT_PARAM = re.compile(r"argument `(self|cls)`")
_FASTAPI_MARKER = re.compile(
    r"function call `(?:fastapi\.)?"
    r"(?:Depends|Security|Query|Path|Body|Header|Cookie|Form|File)`"
)
# Codes a convention rule carries with the agent file's exceptions: BLE001 is
# ERR002, which allows ``except Exception`` that re-raises (``raise
# self.retry(exc=exc)`` in the Celery Task Pattern); ruff does not.
SUPERSEDED_BY: dict[str, str] = {"BLE001": "ERR002"}
SUPERSEDED = frozenset(SUPERSEDED_BY)
LINE_LENGTH = 88
SAFE_MODE_NOTE = "safe mode: the PR's ruff config is not read"
_UNKNOWN_CODE = re.compile(
    r"(?:Unknown rule selector|invalid value) [`'\"]([A-Z]+[0-9]*)[`'\"]"
)


def contradicts_agent_file(code: str, message: str) -> bool:
    """Return whether a ruff finding goes against the agent file's own patterns.

    Args:
        code: The ruff code.
        message: Its message.

    Returns:
        True for findings the review drops.
    """
    if code in SUPERSEDED:
        return True
    if code == "ANN001":
        return _IMPLICIT_PARAM.search(message) is not None
    if code == "B008":
        return _FASTAPI_MARKER.search(message) is not None
    return False


def config_args(safe_mode: bool) -> list[str]:
    """Return the arguments that choose which ruff configuration applies.

    Args:
        safe_mode: Whether the target is an untrusted PR.

    Returns:
        ``--isolated`` and line length 88 in safe mode (the PR's config is
        ignored, so its excludes cannot skip a file); else
        ``--force-exclude``, so the target's excludes hold for named files.
    """
    if safe_mode:
        return ["--isolated", "--line-length", str(LINE_LENGTH)]
    return ["--force-exclude"]


def ruff_args(
    paths: list[str],
    select: tuple[str, ...] = RUFF_STYLE_SELECT,
    safe_mode: bool = False,
) -> list[str]:
    """Return the ``ruff check`` arguments for the given files.

    Args:
        paths: Files relative to the repo root.
        select: The codes added to the target's selection; empty adds no
            style rule (nor their settings).
        safe_mode: Whether to ignore the target's ruff configuration.

    Returns:
        Arguments after ``ruff``.
    """
    args = ["check", "--no-fix", "--no-cache", "--output-format", "json"]
    args += config_args(safe_mode)
    if select:
        args += ["--extend-select", ",".join(select)]
        for setting in STYLE_CONFIG:
            args += ["--config", setting]
    return [*args, "--", *paths]


def run(ctx: CheckContext) -> CheckOutcome:
    """Lint the changed files with ruff.

    Args:
        ctx: The review's context: the changed Python files, and the rules
            the agent file's style section adds to each project's own.

    Returns:
        One finding per ruff violation in the changed files.

    Raises:
        CheckError: ruff is missing, timed out, failed, or printed no JSON.
    """
    paths = ctx.python_paths
    if not paths:
        result = CheckResult(name=NAME, status="passed", detail="no Python files")
        return CheckOutcome(result=result)
    # Codes of style rules the team's agent file no longer has are not added.
    select = ctx.rulebook.ruff_select() if ctx.rulebook else RUFF_STYLE_SELECT
    # ruff runs from the project's folder (its nearest config applies there),
    # on paths relative to it; its JSON names files absolutely.
    migration_globs = ctx.config.roles.get("migration", [])
    migrations = {
        tool_path
        for path, tool_path in zip(paths, ctx.tool_paths, strict=True)
        if is_migration(path, _text(ctx.target.repo / path), migration_globs)
    }
    code = [p for p in ctx.tool_paths if p not in migrations]
    linted = _lint(ctx, code, select) if code else _Linted()
    if migrations:
        own = _lint(ctx, sorted(migrations), ())
        linted = _Linted(
            linted.items + own.items,
            {**linted.crashed, **own.crashed},
            linted.unknown,
            linted.seconds + own.seconds,
            linted.note or own.note,
        )
    repo = ctx.target.repo.resolve()
    wanted = set(paths)
    folder = ctx.where.folder.resolve()
    findings: list[Finding] = [
        could_not_analyse((folder / path).relative_to(repo).as_posix(), "ruff", why)
        for path, why in sorted(linted.crashed.items())
    ]
    # Many findings share a folder: resolve each once (a syscall a component).
    resolve = functools.lru_cache(maxsize=None)(Path.resolve)
    for item in linted.items:
        finding = to_finding(item, repo, resolve)
        if finding is not None and finding.path in wanted:
            findings.append(finding)
    detail = f"{len(findings)} violation(s)" if findings else "no violations"
    unknown = linted.unknown
    lacking = f"this ruff lacks {', '.join(unknown)}" if unknown else ""
    own_rules = ""
    if migrations:
        own_rules = f"{len(migrations)} migration(s) with the project's own rules only"
    safe = SAFE_MODE_NOTE if ctx.target.safe_mode else ""
    notes = [linted.note, safe, lacking, own_rules]
    # A clean run on files ruff's config leaves out is no evidence.
    return ruff_evidence(ctx, finished(NAME, findings, linted.seconds, detail, notes))


def _text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


@dataclass(frozen=True)
class _Linted:
    """What ruff found in a group of files.

    Attributes:
        items: ruff's JSON findings.
        crashed: Files ruff crashed on, or overran its budget on, and why.
        unknown: Added codes this ruff does not know (left out).
        seconds: Wall time.
        note: Which ruff ran.
    """

    items: list[dict[str, Any]] = field(default_factory=list)
    crashed: dict[str, str] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    seconds: float = 0.0
    note: str = ""


def _lint(ctx: CheckContext, tool_paths: list[str], select: tuple[str, ...]) -> _Linted:
    """Run ``ruff check`` on files, adding ``select`` to the target's rules."""
    safe = ctx.target.safe_mode
    budget = batch_budget(ctx, len(tool_paths))
    args = ruff_args(tool_paths, select, safe)
    try:
        done: ToolRun | None = run_tool(ctx, "ruff", args, timeout_s=budget)
    except ToolTimeoutError:
        done = None
    seconds = done.seconds if done else budget
    unknown: list[str] = []
    # A target's older ruff may not know a code: run again without it.
    while (
        done is not None
        and done.exit_code == 2
        and (match := _UNKNOWN_CODE.search(done.stderr))
    ):
        if match.group(1) not in select:
            break
        unknown.append(match.group(1))
        select = tuple(code for code in select if code != match.group(1))
        args = ruff_args(tool_paths, select, safe)
        done = run_tool(ctx, "ruff", args, timeout_s=budget)
        seconds += done.seconds
    if done is None or done.exit_code not in (0, 1, 2):
        # ruff overran its budget or crashed (a stack overflow on a hostile
        # file): find the file(s) by parts, check the rest, and report those
        # as errors.
        found, failed = isolate(split(tool_paths), _attempt(ctx, select, safe))
        items = [item for part in found for item in part]
        return _Linted(items, failed, unknown, seconds, done.note if done else "")
    if done.exit_code not in (0, 1):
        raise CheckError(
            f"ruff check failed: {done.reason_line()}", done.stdout + done.stderr
        )
    return _Linted(_items(done.stdout), {}, unknown, seconds, done.note)


def _items(stdout: str) -> list[dict[str, Any]]:
    try:
        items = json.loads(stdout or "[]")
    except json.JSONDecodeError as exc:
        raise CheckError(f"ruff check printed no JSON: {exc.msg}") from exc
    if not isinstance(items, list):
        raise CheckError("ruff check printed JSON that is not a list")
    return items


def _attempt(
    ctx: CheckContext, select: tuple[str, ...], safe: bool
) -> Callable[[list[str]], list[dict[str, Any]] | Overrun]:
    """Return how ``ruff check`` runs on part of the files while one is sought."""

    def attempt(part: list[str]) -> list[dict[str, Any]] | Overrun:
        budget = batch_budget(ctx, len(part))
        try:
            done = run_tool(
                ctx, "ruff", ruff_args(part, select, safe), timeout_s=budget
            )
        except ToolTimeoutError:
            return overrun("ruff", ctx)
        if done.exit_code in (0, 1):
            return _items(done.stdout)
        if done.exit_code == 2:
            raise CheckError(f"ruff check failed: {done.reason_line()}")
        return Overrun("ruff crashed on it")

    return attempt


def to_finding(
    item: dict[str, Any],
    repo: Path,
    resolve: Callable[[Path], Path] = Path.resolve,
) -> Finding | None:
    """Turn one entry of ruff's JSON output into a finding.

    Args:
        item: One violation as ruff prints it.
        repo: The resolved work tree, to make paths relative.
        resolve: How a folder is resolved (a caller may remember them).

    Returns:
        The finding, or None when it contradicts the agent file.

    Raises:
        CheckError: The entry lacks the fields ruff always prints.
    """
    try:
        code = item["code"] or "invalid-syntax"
        message = str(item["message"])
        filename = Path(item["filename"])
        line = int(item["location"]["row"])
        column = int(item["location"]["column"])
        end_line = int(item["end_location"]["row"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckError(f"unexpected ruff JSON entry: missing {exc}") from exc
    if contradicts_agent_file(code, message):
        return None
    try:
        # The folder is resolved, not the file: a changed module that is a
        # link is reviewed under its own name (target.py).
        named = resolve(filename.parent) / filename.name
        path = named.relative_to(repo).as_posix()
    except ValueError:
        path = filename.as_posix()
    mapping = cite_ruff_code(code)
    severity: Severity = "warning" if mapping.severity == "warning" else "error"
    line = max(line, 1)
    end_line = max(end_line, line)
    return Finding(
        rule=code,
        pattern=mapping.pattern,
        source="ruff",
        severity=severity,
        path=path,
        line=line,
        column=max(column, 1),
        end_line=end_line,
        message=message,
        suggestion=safe_fix(item.get("fix"), filename, line, end_line),
    )


def safe_fix(fix: object, filename: Path, line: int, end_line: int) -> str | None:
    """Return the text of lines ``line``..``end_line`` with ruff's fix applied.

    Only a fix ruff calls safe, whose edits all lie within those lines (an
    edit may end at the start of the next line: it then removes whole lines).

    Args:
        fix: The ``fix`` object of ruff's JSON entry, or None.
        filename: The file, to read the lines from.
        line: First line of the finding.
        end_line: Last line of the finding.

    Returns:
        The replacement text, or None when there is no such fix.
    """
    if not isinstance(fix, dict) or fix.get("applicability") != "safe":
        return None
    edits = fix.get("edits")
    if not isinstance(edits, list) or not edits:
        return None
    try:
        lines = split_lines(filename.read_text(encoding="utf-8"), keepends=True)
    except (OSError, UnicodeDecodeError):
        return None
    if end_line > len(lines):
        return None
    block = lines[line - 1 : end_line]
    starts = [0]
    for text in block:
        starts.append(starts[-1] + len(text))
    original = "".join(block)

    def offset(position: dict[str, Any]) -> int | None:
        row, column = int(position["row"]), int(position["column"])
        if row == end_line + 1 and column == 1:
            return len(original)
        if not line <= row <= end_line:
            return None
        index = row - line
        # ruff's columns count characters, 1-based.
        if column - 1 > len(block[index]):
            return None
        return starts[index] + column - 1

    spans: list[tuple[int, int, str]] = []
    try:
        for edit in edits:
            begin, end = offset(edit["location"]), offset(edit["end_location"])
            if begin is None or end is None or end < begin:
                return None
            spans.append((begin, end, str(edit.get("content") or "")))
    except (KeyError, TypeError, ValueError):
        return None
    result = original
    for begin, end, content in sorted(spans, reverse=True):
        result = result[:begin] + content + result[end:]
    return result
