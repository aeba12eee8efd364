"""Suggestions safe to commit: each is applied in memory and checked by ruff.

A suggestion block is committed with one click, so it must leave the file as
clean as it found it. Before a finding keeps its suggestion, the suggestion
replaces the finding's lines in a copy of the file, and ``ruff check`` and
``ruff format`` (the same ruff as the checks, with their arguments, the file
given on stdin under its own name so the project's config applies) run on
the copy and on the file as it is. If the copy has anything the file did not
(a new lint finding, a line ruff format would change), the suggestion is
dropped and the message says what else the change needs. Findings whose
suggestions cannot be checked (ruff fails, over the budget) lose them too:
only a checked suggestion is offered.

Each ruff run is short, but a PR's suggestions take dozens of them: they are
worked out beside the long pole as each check ends (``precheck``), and the
check after the checks takes those verdicts.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from pattern_review import git
from pattern_review.checks.result_cache import ResultCache, state_of
from pattern_review.checks.ruff_check import config_args, ruff_args
from pattern_review.context import CheckContext
from pattern_review.errors import CheckError
from pattern_review.findings.impact import by_impact
from pattern_review.findings.scope import in_scope
from pattern_review.lines import split_lines
from pattern_review.migrations import is_migration
from pattern_review.models import CheckOutcome, CheckResult, Finding
from pattern_review.projects.ruff_version import run_ruff
from pattern_review.rulebook.catalog import RUFF_STYLE_SELECT

# Each suggestion costs two ruff runs: the ones that matter most are checked.
MAX_CHECKED = 60
_SHOWN_CODES = 3
# A key of the views no path has: ruff failed for some suggestion.
_FAILED = "\0failed"


@dataclass(frozen=True)
class RuffView:
    """What ruff says about one version of a file.

    Attributes:
        lint: (code, message) of each ``ruff check`` finding, counted.
        format: Lines ``ruff format`` would remove or add, counted.
    """

    lint: Counter[tuple[str, str]]
    format: Counter[str]

    def added_by(self, other: RuffView) -> tuple[list[str], bool]:
        """Return what ``other`` has that this view has not.

        Args:
            other: The view of the changed file.

        Returns:
            The new lint findings as ``CODE (message)``, and whether ruff
            format would change lines it would not change before.
        """
        lint = other.lint - self.lint
        shown = [f"{code} ({message})" for code, message in sorted(lint)]
        return shown, bool(other.format - self.format)


def apply_suggestion(text: str, finding: Finding, suggestion: str) -> str | None:
    """Return the file's text with a suggestion in place of the finding's lines.

    Args:
        text: The file's text.
        finding: The finding (its ``line``..``end_line`` are replaced).
        suggestion: Whole lines, each ending in a newline; empty deletes them.

    Returns:
        The new text, or None when the lines are not in the file.
    """
    lines = split_lines(text, keepends=True)
    if finding.end_line > len(lines):
        return None
    if suggestion and not suggestion.endswith("\n"):
        suggestion += "\n"
    return (
        "".join(lines[: finding.line - 1])
        + suggestion
        + "".join(lines[finding.end_line :])
    )


def _lint_args(ctx: CheckContext, path: str, tool_path: str, text: str) -> list[str]:
    select = ctx.rulebook.ruff_select() if ctx.rulebook else RUFF_STYLE_SELECT
    if is_migration(path, text, ctx.config.roles.get("migration", [])):
        select = ()  # as the ruff check lints a migration: its own rules only
    args = ruff_args(["-"], select, ctx.target.safe_mode)
    at = args.index("--")
    # One argument: a PR's file named ``-x.py`` must not read as an option.
    return [*args[:at], f"--stdin-filename={tool_path}", *args[at:]]


def ruff_view(ctx: CheckContext, path: str, text: str) -> RuffView:
    """Run ``ruff check`` and ``ruff format`` on a version of a file.

    Args:
        ctx: The context of the file's project.
        path: The file, relative to the repository root.
        text: The version to check (given on stdin).

    Returns:
        What ruff says about it.

    Raises:
        CheckError: ruff could not run or printed no JSON.
    """
    tool_path = ctx.where.relative(path)
    lint = run_ruff(ctx, _lint_args(ctx, path, tool_path, text), {}, text)
    if lint.exit_code not in (0, 1):
        raise CheckError(f"ruff check failed: {lint.reason_line()}")
    try:
        items = json.loads(lint.stdout or "[]")
    except json.JSONDecodeError as exc:
        raise CheckError(f"ruff check printed no JSON: {exc.msg}") from exc
    found = Counter(
        (str(item.get("code") or "invalid-syntax"), str(item.get("message")))
        for item in items
        if isinstance(item, dict)
    )
    args = ["format", "--no-cache", *config_args(ctx.target.safe_mode)]
    args += [f"--stdin-filename={tool_path}", "--", "-"]
    formatted = run_ruff(ctx, args, {}, text)
    if formatted.exit_code == 0:
        changes = _changed_lines(text, formatted.stdout or text)
    else:  # it does not parse: every line counts as one to change
        changes = Counter(f"?{line}" for line in split_lines(text))
    return RuffView(found, changes)


def _changed_lines(before: str, after: str) -> Counter[str]:
    diff = difflib.unified_diff(
        split_lines(before, keepends=True), split_lines(after, keepends=True), n=0
    )
    return Counter(
        line.rstrip("\n")
        for line in diff
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    )


def instead(problems: list[str], reformats: bool) -> str:
    """Return the sentence that replaces a dropped suggestion.

    Args:
        problems: New lint findings the suggestion would bring.
        reformats: Whether ruff format would then change the code.

    Returns:
        What the author should change besides the suggested lines.
    """
    parts = []
    if problems:
        shown = ", ".join(problems[:_SHOWN_CODES])
        more = len(problems) - _SHOWN_CODES
        parts.append(shown + (f" and {more} more" if more > 0 else ""))
    if reformats:
        parts.append("code `ruff format` would change")
    return (
        " No one-click fix: the suggested lines alone would leave "
        + " and ".join(parts)
        + "; change them by hand, then run `ruff check --fix` and `ruff format`."
    )


def check_suggestions(
    findings: list[Finding],
    contexts: dict[str, CheckContext],
    sources: dict[str, str],
) -> list[Finding]:
    """Keep only suggestions that leave ruff check and ruff format as clean.

    Args:
        findings: The review's findings, in their order.
        contexts: Project folder -> the context ruff runs in for it.
        sources: Path -> the file's text.

    Returns:
        The same findings; an unsafe suggestion is removed (and the message
        says what to change instead); one that could not be checked too.
    """
    with_fix = [f for f in findings if f.suggestion is not None]
    if not with_fix:
        return findings
    kept = _kept_answer(with_fix, contexts, sources)
    if kept is not None:
        answer = kept[0].get(kept[1])
        if answer is not None and len(answer.findings) == len(with_fix):
            given = iter(answer.findings)  # an identical rerun: no ruff runs
            return [next(given) if f.suggestion is not None else f for f in findings]
    views: dict[str, RuffView | None] = {}
    out = _checked(findings, with_fix, contexts, sources, views)
    if kept is not None and None not in views.values():  # ruff ran every time
        done = [
            f
            for f, was in zip(out, findings, strict=True)
            if was.suggestion is not None
        ]
        result = CheckResult(name=kept[1], status="passed")
        kept[0].put(kept[1], CheckOutcome(result=result, findings=done))
    return out


def _kept_answer(
    with_fix: list[Finding],
    contexts: dict[str, CheckContext],
    sources: dict[str, str],
) -> tuple[ResultCache, str] | None:
    """Where the answer for exactly these suggestions is kept (one project only).

    The result cache's key already holds the work tree, the environment (the
    pinned ruff) and the config; these findings and their files' text are
    the rest of what ruff is given.
    """
    if len(contexts) != 1:
        return None
    ctx = next(iter(contexts.values()))
    if not ctx.config.result_cache:
        return None
    digest = hashlib.sha256()
    for finding in with_fix:
        digest.update(finding.model_dump_json().encode() + b"\0")
    for path in sorted({f.path for f in with_fix}):
        digest.update(f"{path}\0{sources.get(path)}\0".encode())
    try:
        state = state_of(ctx)
    except (git.GitError, OSError):
        return None  # no state to key it by: checked every time
    cache = ResultCache(ctx.cache_dir / "results", state)
    return cache, f"suggestions-{digest.hexdigest()[:24]}"


def _checked(
    findings: list[Finding],
    with_fix: list[Finding],
    contexts: dict[str, CheckContext],
    sources: dict[str, str],
    views: dict[str, RuffView | None],
) -> list[Finding]:
    """Check the suggestions that matter most; views are kept in ``views``."""
    verdicts: dict[int, str | None] = {}

    def check(finding: Finding) -> None:
        assert finding.suggestion is not None
        verdicts[id(finding)] = _verdict(
            finding, finding.suggestion, contexts, sources, views
        )

    _side_by_side(by_impact(with_fix)[:MAX_CHECKED], check)
    if None in verdicts.values():
        views[_FAILED] = None  # perhaps worked out early, when ruff failed
    out: list[Finding] = []
    for finding in findings:
        if finding.suggestion is None:
            out.append(finding)
            continue
        verdict = verdicts.get(id(finding))
        if verdict == "":
            out.append(finding)
        else:
            message = finding.message
            if verdict:
                # Its own sentence, whether or not the message ends in one.
                message = message.rstrip()
                message += (
                    verdict if message.endswith((".", "!", "?")) else "." + verdict
                )
            out.append(
                finding.model_copy(update={"suggestion": None, "message": message})
            )
    return out


def _side_by_side(findings: list[Finding], check: Callable[[Finding], None]) -> None:
    """Check each finding's suggestion, files side by side.

    One file's suggestions in turn: they share the view of the file. Each
    ruff run is a short process of its own, so files go side by side.
    """
    by_file: dict[str, list[Finding]] = {}
    for finding in findings:
        by_file.setdefault(finding.path, []).append(finding)

    def check_file(found: list[Finding]) -> None:
        for finding in found:
            check(finding)

    workers = max(1, min(len(by_file), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(check_file, by_file.values()))


def _verdict(
    finding: Finding,
    suggestion: str,
    contexts: dict[str, CheckContext],
    sources: dict[str, str],
    views: dict[str, RuffView | None],
) -> str | None:
    """Return "" for a safe suggestion, what to change instead, or None."""
    ctx = contexts.get(finding.project or ".")
    text = sources.get(finding.path)
    if ctx is None or text is None:
        return None
    return _shared_verdict(ctx, finding, suggestion, text, views)


def _shared_verdict(
    ctx: CheckContext,
    finding: Finding,
    suggestion: str,
    text: str,
    views: dict[str, RuffView | None],
) -> str | None:
    """Work a verdict out once per review: ``precheck`` may have already.

    Returns:
        "" for a safe suggestion, what to change instead, or None when it
        could not be checked.
    """

    def ask_ruff() -> str | None:
        changed = apply_suggestion(text, finding, suggestion)
        if changed is None:
            return None
        try:
            if finding.path not in views:
                views[finding.path] = ruff_view(ctx, finding.path, text)
            before = views[finding.path]
            after = ruff_view(ctx, finding.path, changed)
        except CheckError:
            views.setdefault(finding.path, None)
            views[_FAILED] = None  # this run's answer is not kept
            return None
        if before is None:
            return None
        problems, reformats = before.added_by(after)
        if not problems and not reformats:
            return ""
        return instead(problems, reformats)

    digest = hashlib.sha256(f"{text}\0{suggestion}".encode()).hexdigest()
    key = (ctx.where.path, finding.path, str(finding.line), str(finding.end_line))
    shared = ctx.shared
    return shared.once(shared.suggestion_verdicts, (*key, digest), ask_ruff)


def precheck(findings: Sequence[Finding], ctx: CheckContext, niceness: int) -> int:
    """Work out the verdicts of a check's suggestions before the review asks.

    Called in a thread of its own as a check ends, while the long pole still
    runs: the suggestions the review will likely keep (in scope, the most
    important first) are checked at the given priority, and
    ``check_suggestions`` takes the verdicts instead of running ruff after
    the checks.

    Args:
        findings: The check's findings at head that may be the PR's.
        ctx: The context of their project (one project reviewed).
        niceness: This thread's and its ruff runs' priority increment.

    Returns:
        How many suggestions it checked.
    """
    target = ctx.target
    mode = ctx.config.filter_mode
    reviewed = {f.path for f in target.reviewed_files}
    wanted = [
        f
        for f in findings
        if f.suggestion is not None and f.path in reviewed and in_scope(f, target, mode)
    ]
    if not wanted:
        return 0
    ctx.shared.yielding.lower_thread(niceness)
    ctx = replace(ctx, niceness=niceness, tool_started=None)
    chosen = by_impact(wanted)[:MAX_CHECKED]
    texts = {path: _read_text(target.repo / path) for path in {f.path for f in chosen}}
    views: dict[str, RuffView | None] = {}

    def check(finding: Finding) -> None:
        text = texts[finding.path]
        if text is not None and finding.suggestion is not None:
            _shared_verdict(ctx, finding, finding.suggestion, text, views)

    _side_by_side(chosen, check)  # its threads start at this one's niceness
    return len(chosen)


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def project_contexts_by_folder(
    contexts: Iterable[CheckContext],
) -> dict[str, CheckContext]:
    """Return the contexts keyed by project folder, each at full priority.

    Args:
        contexts: One context per project (``checks.schedule``).

    Returns:
        Folder (``.`` for the root) -> context.
    """
    return {
        ctx.where.path: replace(ctx, niceness=0, tool_started=None) for ctx in contexts
    }
