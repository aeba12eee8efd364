"""Checklist step 3, "Types": mypy on the changed files, errors in those files only.

mypy runs with ``-O json`` (one JSON object per line); a plain-text parser
stays as the fallback for what mypy prints outside that format (blocking
errors of some versions, or a target's mypy too old for ``-O``). The
incremental cache lives in ``ctx.cache_dir`` so reruns are fast and the work
tree stays clean.

mypy checks in parallel worker processes only where the job or the project
asks for them and they can work (``_workers_env``); a parallel run that
fails without a result is checked again in one process.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from pathlib import Path, PurePosixPath

from pattern_review.checks.evidence import base_configs, listed, no_evidence
from pattern_review.checks.mypy_config import (
    mypy_ignored,
    parallel_allowed,
    workers_configured,
)
from pattern_review.context import CheckContext, finished
from pattern_review.errors import CheckError
from pattern_review.models import CheckOutcome, CheckResult, Finding
from pattern_review.projects.accounts import Account
from pattern_review.projects.environments import (
    cache_root,
    code_account,
    missing_module_hint,
    project_environment,
)
from pattern_review.projects.process import ToolRun
from pattern_review.projects.tool_config import mypy_excluded
from pattern_review.projects.tools import run_tool

NAME = "mypy"
# mypy's own switch for parallel worker processes (mypy 2.4 and later; it
# overrides the config's ``num_workers``). Older versions ignore it.
WORKERS_VARIABLE = "MYPY_NUM_WORKERS"
WORKER_STATUS_FILES = ".mypy_worker.*.json"
# Codes that enforce style rule 2 ("type annotations on all parameters and
# return types"); every other mypy error is the checklist's "zero errors".
ANNOTATION_CODES = frozenset({"no-untyped-def", "no-untyped-call"})
_TEXT_LINE = re.compile(
    r"^(?P<file>[^:\n]+\.pyi?):(?P<line>\d+)(?::(?P<column>\d+))?"
    r"(?::\d+:\d+)?: (?P<severity>error|note|warning): (?P<message>.*?)"
    r"(?:  \[(?P<code>[\w-]+)\])?$"
)


def _finding(
    path: str, line: int, column: int, end_line: int, message: str, code: str | None
) -> Finding:
    code = code or "misc"
    return Finding(
        rule=f"mypy:{code}",
        pattern="style-rules#2" if code in ANNOTATION_CODES else "completion-checklist",
        source="mypy",
        severity="error",
        path=path,
        line=max(line, 1),
        column=max(column, 1),
        end_line=max(end_line, line, 1),
        message=message,
    )


def parse_mypy_output(output: str) -> list[Finding]:
    """Parse mypy's errors, from ``-O json`` lines or plain text lines.

    Notes (mypy's follow-up hints) are left out; lines that are neither JSON
    errors nor ``file:line: error: ...`` are ignored.

    Args:
        output: mypy's standard output (and error, for blocking errors).

    Returns:
        One finding per error, paths as mypy printed them (normalised).
    """
    findings: list[Finding] = []
    for text in output.splitlines():
        text = text.strip()
        if text.startswith("{"):
            try:
                item = json.loads(text)
            except json.JSONDecodeError:
                continue
            if not isinstance(item, dict) or item.get("severity") != "error":
                continue
            try:
                line = int(item["line"])
                findings.append(
                    _finding(
                        _normal(str(item["file"])),
                        line,
                        int(item.get("column", 0)) + 1,  # JSON columns are 0-based
                        int(item.get("end_line") or line),
                        str(item["message"]),
                        item.get("code"),
                    )
                )
            except (KeyError, TypeError, ValueError):
                continue
            continue
        match = _TEXT_LINE.match(text)
        if match and match.group("severity") == "error":
            line = int(match.group("line"))
            findings.append(
                _finding(
                    _normal(match.group("file")),
                    line,
                    int(match.group("column") or 1),
                    line,
                    match.group("message"),
                    match.group("code"),
                )
            )
    return findings


def _parse(done: ToolRun) -> list[Finding]:
    return parse_mypy_output(done.stdout + "\n" + done.stderr)


def _normal(path: str) -> str:
    return PurePosixPath(path.replace("\\", "/")).as_posix().removeprefix("./")


def _mypy_args(
    ctx: CheckContext, paths: list[str], json_output: bool, cache: Path
) -> list[str]:
    args = ["--cache-dir", str(cache), "--show-column-numbers", "--no-pretty"]
    args += ["--no-error-summary", "--hide-error-context", "--no-color-output"]
    if json_output:
        args += ["-O", "json"]
    if ctx.target.safe_mode:
        # The PR's mypy config may name plugins, which are PR code: use none.
        ctx.cache_dir.mkdir(parents=True, exist_ok=True)
        empty = ctx.cache_dir / "mypy-safe-mode.ini"
        empty.write_text("[mypy]\n", encoding="utf-8")
        args += ["--config-file", str(empty)]
    return [*args, "--", *paths]


def _direct_args(ctx: CheckContext) -> tuple[list[str], str]:
    """Arguments for the bundled mypy, which lacks the project's packages."""
    python = project_environment(ctx).python
    if python is not None:
        return ["--python-executable", str(python)], ""
    # Without the project's environment a third-party import cannot resolve;
    # that is this environment's gap, not the PR's error.
    return ["--ignore-missing-imports"], "missing imports ignored"


def _workers_env(
    ctx: CheckContext, account: Account | None
) -> tuple[dict[str, str], bool]:
    """Return what fixes mypy's worker count, and whether workers were asked for.

    mypy checks in one process unless the job's ``MYPY_NUM_WORKERS`` or the
    project's config (``num_workers``) asks for parallel worker processes.
    Workers are turned off where they cannot work: as the unprivileged user
    (each worker writes a status file into mypy's working folder, the
    project's, which that user may only read), and where the config turns off
    what parallel mode needs (``mypy_config.parallel_allowed``).
    """
    off = {WORKERS_VARIABLE: "0"}
    folder = ctx.where.folder
    safe = ctx.target.safe_mode  # the PR's config is not read
    if account is not None or not (safe or parallel_allowed(folder)):
        return off, False
    asked = os.environ.get(WORKERS_VARIABLE, "").strip() not in ("", "0")
    return {}, asked or (not safe and workers_configured(folder))


def _mypy_once(
    ctx: CheckContext,
    args: list[str],
    direct_args: list[str],
    account: Account | None,
    env: dict[str, str],
) -> ToolRun:
    folder = ctx.where.folder
    before = set(folder.glob(WORKER_STATUS_FILES))
    try:
        return run_tool(
            ctx, "mypy", args, env, direct_args=direct_args, account=account
        )
    finally:
        # A worker's status file is left behind when mypy is stopped early.
        for status in set(folder.glob(WORKER_STATUS_FILES)) - before:
            status.unlink(missing_ok=True)


def _run_mypy(
    ctx: CheckContext, paths: list[str], direct_args: list[str]
) -> tuple[ToolRun, list[Finding]]:
    # The PR's mypy config may load plugins (PR code): as root, mypy runs as
    # the unprivileged user, with a cache that user owns.
    account = code_account(ctx, "mypy not run")
    cache = cache_root(ctx, account) / "mypy"
    env, parallel = _workers_env(ctx, account)
    args = _mypy_args(ctx, paths, True, cache)
    done = _mypy_once(ctx, args, direct_args, account, env)
    if done.exit_code == 2 and "unrecognized arguments: -O" in done.stderr:
        args = _mypy_args(ctx, paths, False, cache)
        done = _mypy_once(ctx, args, direct_args, account, env)
    if parallel and done.exit_code not in (0, 1) and not _parse(done):
        # Parallel mode is new in mypy; when it fails, one process decides.
        failed = done
        done = _mypy_once(ctx, args, direct_args, account, {WORKERS_VARIABLE: "0"})
        note = f"mypy's parallel workers failed ({failed.reason_line()}),"
        note += " checked again in one process"
        done = replace(
            done,
            seconds=failed.seconds + done.seconds,
            note="; ".join(filter(None, [done.note, note])),
        )
    if done.exit_code not in (0, 1, 2):
        raise CheckError(
            f"mypy exited {done.exit_code}: {done.reason_line()}",
            done.stdout + done.stderr,
        )
    parsed = _parse(done)
    if done.exit_code != 0 and not parsed:
        raise CheckError(
            f"mypy failed: {done.reason_line()}", done.stdout + done.stderr
        )
    return done, parsed


def _unexamined(folder: Path, paths: list[str]) -> tuple[list[str], list[str]]:
    """Return the paths mypy's config in ``folder`` excludes, and ignores."""
    excluded = mypy_excluded(folder, paths)
    kept = [p for p in paths if p not in excluded]
    return excluded, mypy_ignored(folder, kept)


def _require_evidence(ctx: CheckContext, excluded: list[str]) -> None:
    """Fail when the PR's mypy config leaves out every changed file.

    Excluded (``exclude``, ``files``) or under ``ignore_errors``, while the
    base commit's config checked at least one of them.

    Raises:
        CheckError: No evidence.
    """
    paths = ctx.tool_paths
    kept = [p for p in paths if p not in excluded]
    ignored = mypy_ignored(ctx.where.folder, kept)
    if not paths or len(excluded) + len(ignored) < len(paths):
        return
    with base_configs(ctx) as base_folder:
        if base_folder is None:
            return  # no base to compare with
        base_excluded, base_ignored = _unexamined(base_folder, paths)
    if len(base_excluded) + len(base_ignored) == len(paths):
        return  # the team's own config leaves them out too
    parts = []
    if excluded:
        parts.append(f"excludes {len(excluded)} ({listed(excluded)})")
    if ignored:
        parts.append(
            f"ignores errors (ignore_errors) in {len(ignored)} ({listed(ignored)})"
        )
    raise no_evidence(
        f"mypy's config {' and '.join(parts)} of the {len(paths)} changed"
        " file(s), which the base's config type-checked"
    )


def run(ctx: CheckContext) -> CheckOutcome:
    """Type-check the changed files with mypy.

    A syntax error blocks mypy for every file of the run, so files with one
    are reported and the others checked again without them.

    Args:
        ctx: The review's context.

    Returns:
        One finding per mypy error located in a changed file.

    Raises:
        CheckError: mypy is missing, timed out, crashed, or failed without a
            parseable error; or no evidence: the PR's mypy config leaves out
            every changed file (``checks/evidence.py``).
    """
    project = ctx.where
    excluded = mypy_excluded(project.folder, ctx.tool_paths)
    if ctx.target.safe_mode:
        excluded = []  # the PR's mypy config is not read in safe mode
    else:
        _require_evidence(ctx, excluded)
    # Paths as mypy sees them: relative to the project's folder, its cwd.
    paths = [p for p in ctx.tool_paths if p not in excluded]
    if not paths:
        detail = "no Python files"
        if excluded:
            detail = f"no Python files mypy's config does not exclude ({len(excluded)})"
        result = CheckResult(name=NAME, status="passed", detail=detail)
        return CheckOutcome(result=result)
    direct_args, direct_note = _direct_args(ctx)
    done, parsed = _run_mypy(ctx, paths, direct_args)
    seconds = done.seconds
    wanted = set(paths)
    findings = [f for f in parsed if f.path in wanted]
    unparseable = {f.path for f in findings if f.rule == "mypy:syntax"}
    rest = [p for p in paths if p not in unparseable]
    if done.exit_code == 2 and unparseable and rest:
        done, parsed = _run_mypy(ctx, rest, direct_args)
        seconds += done.seconds
        seen = {(f.path, f.line, f.column, f.message) for f in findings}
        findings += [
            f
            for f in parsed
            if f.path in wanted and (f.path, f.line, f.column, f.message) not in seen
        ]
    if done.exit_code == 2 and not findings:
        # A blocking error elsewhere (config, plugin, an imported module's
        # syntax) stopped mypy before it checked the changed files.
        where = parsed[0]
        raise CheckError(
            f"mypy stopped at {project.to_repo(where.path)}:{where.line}:"
            f" {where.message}",
            done.stdout + done.stderr,
        )
    detail = f"{len(findings)} error(s)" if findings else "no errors"
    if done.runner != "direct":
        direct_note = ""
    skipped = f"{len(excluded)} file(s) excluded by mypy's config" if excluded else ""
    findings = [
        f.model_copy(update={"path": project.to_repo(f.path)}) for f in findings
    ]
    missing = missing_module_hint(done.stdout, project_environment(ctx))
    notes = [done.note, direct_note, skipped, missing]
    return finished(NAME, findings, seconds, detail, notes)
