"""Checklist step 1, "Format": ``ruff format`` in check mode, never rewriting.

``ruff format --check --diff`` prints what it would change as a unified diff
from the file as it is to the formatted file. Each hunk becomes one finding on
the head lines it would rewrite, with the formatted text as the suggestion.
In safe mode the PR's ruff configuration is not read, as for ``ruff check``.
Formatting has a budget per file (``ruff_budget``): a file that alone takes
longer is an error finding on that file, and the other files are still
checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field

from pattern_review.checks.ruff_budget import Overrun, batch_budget, isolate, overrun
from pattern_review.checks.ruff_check import SAFE_MODE_NOTE, config_args
from pattern_review.context import CheckContext, finished
from pattern_review.conventions.failures import could_not_analyse
from pattern_review.errors import CheckError
from pattern_review.models import CheckOutcome, CheckResult, Finding
from pattern_review.projects.process import ToolRun, ToolTimeoutError
from pattern_review.projects.tools import run_tool

NAME = "ruff-format"
# A file ruff cannot parse: a whole-file finding (findings.FILE_LEVEL_RULES).
PARSE_RULE = "ruff-format:syntax"
_FILE_HEADER = re.compile(r"^\+\+\+ (?:b/)?(.+?)(?:\t.*)?$")
_HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass
class FormatHunk:
    """One hunk of the formatter's diff, narrowed to the lines it changes.

    Attributes:
        path: File path as ruff printed it (relative to the repo).
        line: First head line the formatter would rewrite.
        end_line: Last head line it would rewrite.
        replacement: The formatted text for lines ``line``..``end_line``.
    """

    path: str
    line: int
    end_line: int
    replacement: str


@dataclass
class _RawHunk:
    path: str
    old_start: int
    rows: list[tuple[str, str]] = field(default_factory=list)


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """Yield each line's start offset and text (a CRLF's CR dropped)."""
    pos = 0
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        yield pos, text[pos:end].removesuffix("\r")
        pos = end + 1


def parse_format_diff(diff: str, paths: Collection[str] = ()) -> list[FormatHunk]:
    """Parse ``ruff format --diff`` output into hunks on the head file.

    Context lines at the edges of a hunk are dropped. A hunk that only inserts
    lines (blank lines between definitions) is anchored on the line before
    the insertion, or after it at the top of a file.

    ruff prints file names as they are, so a name holding a tab or a newline
    spans or splits its header: the names it was given are matched whole
    first, and any other header is read up to the end of its line.

    Args:
        diff: The unified diff ruff printed.
        paths: The file names ruff was given.

    Returns:
        The hunks, in output order.

    Raises:
        CheckError: A hunk row that is not a unified-diff row.
    """
    headers = sorted(
        ((f"--- {p}\n+++ {p}\n", p) for p in paths), key=lambda h: -len(h[0])
    )
    raw: list[_RawHunk] = []
    path = ""
    old_left = new_left = 0  # rows still due in the current hunk
    skip_to = 0
    for pos, text in _lines(diff):
        if pos < skip_to:
            continue  # the rest of a multi-line header
        if old_left > 0 or new_left > 0:
            kind, body = (text[0], text[1:]) if text else (" ", "")
            if kind == "\\":
                continue
            if kind not in " +-":
                raise CheckError(f"unexpected line in ruff format diff: {text[:60]!r}")
            raw[-1].rows.append((kind, body))
            old_left -= kind != "+"
            new_left -= kind != "-"
            continue
        if text.startswith("--- "):
            known = next((h for h in headers if diff.startswith(h[0], pos)), None)
            if known:
                path, skip_to = known[1], pos + len(known[0])
                continue
        header = _FILE_HEADER.match(text)
        if header:
            path = header.group(1)
            continue
        hunk = _HUNK_HEADER.match(text)
        if hunk:
            raw.append(_RawHunk(path, int(hunk.group(1))))
            old_left = int(hunk.group(2) or "1")
            new_left = int(hunk.group(4) or "1")
    return [_narrow(hunk) for hunk in raw if any(k != " " for k, _ in hunk.rows)]


def _narrow(hunk: _RawHunk) -> FormatHunk:
    rows = hunk.rows
    changed = [i for i, (kind, _) in enumerate(rows) if kind != " "]
    first, last = changed[0], changed[-1]
    if not any(rows[i][0] == "-" for i in range(first, last + 1)):
        # Pure insertion: take one context line along so the range is not empty.
        if first > 0:
            first -= 1
        elif last + 1 < len(rows):
            last += 1
    old_line = hunk.old_start + sum(1 for kind, _ in rows[:first] if kind != "+")
    old_count = sum(1 for kind, _ in rows[first : last + 1] if kind != "+")
    new_text = [body for kind, body in rows[first : last + 1] if kind != "-"]
    replacement = "".join(f"{body}\n" for body in new_text)
    old_line = max(old_line, 1)  # an insertion into an empty file: "@@ -0,0"
    return FormatHunk(
        hunk.path, old_line, old_line + max(old_count, 1) - 1, replacement
    )


def run(ctx: CheckContext) -> CheckOutcome:
    """Report the changed files' lines ``ruff format`` would rewrite.

    ruff runs on all files at once within its budget (``ruff_budget``); when
    it overruns, the files that alone overrun it are found and each is an
    error finding, while the other files' hunks are kept.

    Args:
        ctx: The review's context.

    Returns:
        One finding per would-be-reformatted hunk, and per file ruff could
        not format within its budget.

    Raises:
        CheckError: ruff is missing, crashed, or printed no diff where it
            said it would reformat.
        ReviewBudgetError: The review's budget ran out.
    """
    paths = ctx.python_paths
    if not paths:
        return CheckOutcome(
            result=CheckResult(name=NAME, status="passed", detail="no Python files")
        )
    safe = ctx.target.safe_mode
    to_repo = ctx.where.to_repo
    wanted = set(paths)
    # From the project's folder, on paths relative to it (as ruff prints them).
    runs, overran = isolate([ctx.tool_paths], _attempt(ctx, safe))
    findings: list[Finding] = []
    unparsed: list[Finding] = []
    for part, done in runs:
        findings += [
            Finding(
                rule=NAME,
                pattern="completion-checklist",
                source="ruff-format",
                severity="error",
                path=to_repo(hunk.path),
                line=hunk.line,
                end_line=hunk.end_line,
                message="`ruff format` would reformat these lines.",
                suggestion=hunk.replacement,
            )
            for hunk in parse_format_diff(done.stdout, part)
            if to_repo(hunk.path) in wanted
        ]
        unparsed += [
            f.model_copy(update={"path": to_repo(f.path)})
            for f in _parse_errors(done.stderr, set(part))
        ]
    hunks = len(findings)
    findings += unparsed
    findings += [
        could_not_analyse(to_repo(path), "ruff-format", why)
        for path, why in sorted(overran.items())
    ]
    detail = f"{hunks} hunk(s) to reformat" if hunks else "formatted"
    if unparsed:
        detail += f", {len(unparsed)} file(s) not parseable"
    if overran:
        detail += f", {len(overran)} file(s) over the time budget"
    notes = [runs[0][1].note if runs else "", SAFE_MODE_NOTE if safe else ""]
    seconds = sum(done.seconds for _, done in runs)
    return finished(NAME, findings, seconds, detail, notes)


def _attempt(
    ctx: CheckContext, safe: bool
) -> Callable[[list[str]], tuple[list[str], ToolRun] | Overrun]:
    """Return how ``ruff format`` runs on part of the files, within its budget."""
    args = ["format", "--check", "--diff", "--no-cache", *config_args(safe)]

    def attempt(part: list[str]) -> tuple[list[str], ToolRun] | Overrun:
        budget = batch_budget(ctx, len(part))
        try:
            done = run_tool(ctx, "ruff", [*args, "--", *part], timeout_s=budget)
        except ToolTimeoutError:
            return overrun("ruff format", ctx)
        if done.exit_code not in (0, 1, 2):
            raise CheckError(
                f"ruff format exited {done.exit_code}: {done.reason_line()}"
            )
        unparsed = _parse_errors(done.stderr, set(part))
        if done.exit_code == 2 and not unparsed:
            raise CheckError(f"ruff format failed: {done.reason_line()}")
        if done.exit_code == 1 and not done.stdout.strip():
            raise CheckError("ruff format reported changes but printed no diff")
        return part, done

    return attempt


def _parse_errors(stderr: str, wanted: set[str]) -> list[Finding]:
    findings: list[Finding] = []
    if "Failed to parse " not in stderr:
        return findings
    for path in sorted(wanted):
        # Matched by the whole name: it may hold a tab or a newline.
        where = re.search(
            "Failed to parse " + re.escape(path) + r":(\d+):(\d+): ([^\n]+)", stderr
        )
        if where:
            findings.append(
                Finding(
                    rule=PARSE_RULE,
                    pattern="completion-checklist",
                    source="ruff-format",
                    severity="error",
                    path=path,
                    line=int(where.group(1)),
                    column=max(int(where.group(2)), 1),
                    message=f"`ruff format` cannot parse this file: {where.group(3)}",
                )
            )
    return findings
