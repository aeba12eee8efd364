"""Suppressions: inline ignore comments and the config's select/ignore lists.

Applied centrally to the findings of every check (ruff, mypy, pytest and
conventions alike), so one syntax silences any rule:

- ``# pattern-review: ignore[RTR001,E501] reason`` on the finding's line, or
  alone on the line above it;
- ``# pattern-review: ignore-file[MDL001]`` anywhere in the file;
- ``select`` / ``ignore`` / ``per_file_ignores`` in the config.

Config entries are rule ids or prefixes (``RTR``, ``E5``, ``mypy:``), matched
case-insensitively. A comment, which the PR itself can write, names a rule
id exactly or a whole family (``RTR``, ``E``, ``mypy``): never one letter of
a longer family, a partial code or a wildcard. An inline entry that
suppressed nothing is reported as a note (``PR100``), like ruff's RUF100, so
stale ignores do not pile up.

Some findings cannot be suppressed at all, by a comment or by the config: a
file that does not parse, a file that could not be read or analysed, a
failing test, and the review's own ``PR0xx`` findings. Each finding a
comment the PR adds silences is listed in the report.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from pattern_review.config import Config
from pattern_review.findings.rules import FILE_LEVEL_RULES, SYNTAX_ERROR_RULES
from pattern_review.globs import glob_match
from pattern_review.lines import LINE_BREAK
from pattern_review.models import AddedSuppression, Finding

UNUSED_IGNORE_RULE = "PR100"
UNUSED_IGNORE_PATTERN = "completion-checklist"
MARKER = "pattern-review:"
_DIRECTIVE = re.compile(
    r"#\s*pattern-review:\s*(?P<kind>ignore-file|ignore)\s*\[(?P<rules>[^\]]*)\]"
    r"(?P<reason>[^#]*)"
)
_FAMILY = re.compile(r"([A-Z]+)[0-9]+")
_OWN_RULE = re.compile(r"PR0[0-9]{2}")
_UNSUPPRESSIBLE_RULES = FILE_LEVEL_RULES | frozenset(SYNTAX_ERROR_RULES)


@dataclass
class Directive:
    """One ignore comment.

    Attributes:
        line: 1-based line of the comment.
        column: 1-based column of its ``#``.
        rules: The rule ids or prefixes it names, upper-cased.
        whole_file: True for ``ignore-file``.
        own_line: True when the comment is alone on its line (it then also
            covers the next line).
        reason: The text after ``[...]``: why the author silences it.
        used: Entries that suppressed at least one finding.
        refused: Entries that named a finding that cannot be suppressed.
    """

    line: int
    column: int
    rules: tuple[str, ...]
    whole_file: bool
    own_line: bool
    reason: str = ""
    used: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)

    def covers(self, finding: Finding) -> bool:
        """Return whether the comment's place covers a finding's lines.

        Args:
            finding: A finding of the same file.

        Returns:
            True for a file-wide directive, a directive on one of the
            finding's lines, or one alone on the line just above it.
        """
        if self.whole_file:
            return True
        if finding.line <= self.line <= finding.end_line:
            return True
        return self.own_line and self.line + 1 == finding.line


def rule_family(rule: str) -> str | None:
    """Return the family part of a rule id, upper-cased, if it has one.

    Args:
        rule: ``RTR001`` (family ``RTR``), ``E501`` (``E``), ``mypy:arg-type``
            (``MYPY``); ``invalid-syntax`` has none.

    Returns:
        The family, or None.
    """
    upper = rule.upper()
    if ":" in upper:
        return upper.partition(":")[0]
    match = _FAMILY.fullmatch(upper)
    return match.group(1) if match else None


def rule_matches(rule: str, entry: str) -> bool:
    """Return whether an inline comment's entry names a rule id.

    Args:
        rule: A finding's rule id (``RTR001``, ``E501``, ``mypy:arg-type``).
        entry: A comment entry.

    Returns:
        True for the same id or the rule's whole family (``RTR``, ``E``,
        ``mypy`` or ``mypy:``), ignoring case; never a partial code (``RT``,
        ``E5``) or a wildcard.
    """
    wanted = entry.strip().upper()
    if not wanted:
        return False
    return wanted == rule.upper() or wanted.rstrip(":") == rule_family(rule)


def config_matches(rule: str, entry: str) -> bool:
    """Return whether a config entry (an id or any prefix) names a rule id.

    Args:
        rule: A finding's rule id.
        entry: A ``select``/``ignore``/``per_file_ignores`` entry.

    Returns:
        True when ``rule`` starts with ``entry``, ignoring case.
    """
    return bool(entry) and rule.upper().startswith(entry.upper())


def unsuppressible(finding: Finding) -> str | None:
    """Say why a finding can never be suppressed, or None when it can be.

    Args:
        finding: Any finding.

    Returns:
        A few words, or None.
    """
    if finding.source == "pytest":
        return "a failing test"
    if finding.rule in _UNSUPPRESSIBLE_RULES:
        return "a file that does not parse or could not be read"
    if _OWN_RULE.fullmatch(finding.rule):
        return "the review's own finding"
    return None


def _any_match(rule: str, entries: Iterable[str]) -> bool:
    return any(config_matches(rule, entry) for entry in entries)


def _comments(source: str) -> list[tuple[int, int, str, str]] | None:
    """Return (line, column, comment, text before it) of each real comment.

    None when the file does not tokenize (a syntax error): the caller then
    scans the text instead, so ignores still work on a broken file.
    """
    found: list[tuple[int, int, str, str]] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT and MARKER in token.string:
                line, column = token.start
                found.append((line, column, token.string, token.line[:column]))
    except (tokenize.TokenError, SyntaxError):
        return None
    return found


def _scanned_comments(source: str) -> list[tuple[int, int, str, str]]:
    found: list[tuple[int, int, str, str]] = []
    for number, text in enumerate(LINE_BREAK.split(source), start=1):
        if MARKER in text:
            start = text.find("#")
            if start >= 0:
                found.append((number, start, text[start:], text[:start]))
    return found


def parse_directives(source: str) -> list[Directive]:
    """Find the ignore comments of a file.

    Only real comments count, so a directive quoted in a docstring or a
    string (documentation, test data) is not one. A file that does not
    tokenize is scanned as text instead.

    Args:
        source: The file text.

    Returns:
        The directives, in line order.
    """
    if MARKER not in source:
        return []
    comments = _comments(source)
    if comments is None:
        comments = _scanned_comments(source)
    directives: list[Directive] = []
    for number, column, comment, before in comments:
        for match in _DIRECTIVE.finditer(comment):
            rules = tuple(
                part.strip().upper()
                for part in match.group("rules").split(",")
                if part.strip()
            )
            directives.append(
                Directive(
                    line=number,
                    column=column + match.start() + 1,
                    rules=rules,
                    whole_file=match.group("kind") == "ignore-file",
                    own_line=before.strip() == "" and match.start() == 0,
                    reason=" ".join(match.group("reason").split()),
                )
            )
    return directives


def _path_ignores(path: str, config: Config) -> list[str]:
    entries: list[str] = []
    name = PurePosixPath(path).name
    for pattern, rules in config.per_file_ignores.items():
        if glob_match(path, pattern) or (
            "/" not in pattern and glob_match(name, pattern)
        ):
            entries.extend(rules)
    return entries


def config_allows(finding: Finding, config: Config) -> bool:
    """Return whether ``select``/``ignore``/``per_file_ignores`` keep a finding.

    Args:
        finding: Any finding.
        config: The review's configuration.

    Returns:
        False when the rule is not selected, ignored, or ignored for its path
        (a finding that cannot be suppressed is always kept).
    """
    if unsuppressible(finding):
        return True
    if config.select and not _any_match(finding.rule, config.select):
        return False
    if _any_match(finding.rule, config.ignore):
        return False
    return not _any_match(finding.rule, _path_ignores(finding.path, config))


def _unused_note(
    path: str, directive: Directive, entry: str, refused: bool = False
) -> Finding:
    kind = "ignore-file" if directive.whole_file else "ignore"
    where = "in this file" if directive.whole_file else "here"
    if refused:
        message = (
            f"pattern-review {kind}[{entry}] cannot suppress {entry} {where}: a"
            " syntax error, an unreadable file, a failing test or the review's"
            " own finding is never suppressed; fix the cause instead."
        )
    else:
        message = (
            f"Unused pattern-review {kind}[{entry}]: no {entry} finding {where}; "
            "remove the entry."
        )
    return Finding(
        rule=UNUSED_IGNORE_RULE,
        pattern=UNUSED_IGNORE_PATTERN,
        source="convention",
        severity="note",
        path=path,
        line=directive.line,
        column=directive.column,
        message=message,
    )


@dataclass
class Suppressed:
    """What suppression kept, and what the PR's own comments silenced.

    Attributes:
        kept: The kept findings, then the notes about ignore entries.
        added_by_pr: Findings silenced by a comment on an added line.
    """

    kept: list[Finding]
    added_by_pr: list[AddedSuppression]


def suppress(
    findings: Sequence[Finding],
    sources: Mapping[str, str],
    config: Config,
    *,
    checked: Callable[[str], bool] | None = None,
    added_lines: Mapping[str, frozenset[int]] | None = None,
) -> Suppressed:
    """Apply suppressions, and list the findings the PR's own comments silence.

    Args:
        findings: The findings of every check.
        sources: Path -> text of the reviewed files (the comments live there).
        config: ``select``, ``ignore`` and ``per_file_ignores``.
        checked: Says whether a rule id's check ran; an unused entry for a
            rule whose check did not run is not reported. None: all ran.
        added_lines: Path -> lines the PR adds: a comment on one of them is
            the PR's own, and what it silences is listed.

    Returns:
        The kept findings in their original order, then one ``PR100`` note
        per unused inline entry (itself subject to the config's lists); and
        the silenced findings of comments the PR adds.
    """
    added_lines = added_lines or {}
    directives = {path: parse_directives(text) for path, text in sources.items()}
    kept: list[Finding] = []
    listed: list[AddedSuppression] = []
    for finding in findings:
        by: Directive | None = None
        never = unsuppressible(finding)
        for directive in directives.get(finding.path, ()):
            if not directive.covers(finding):
                continue
            for entry in directive.rules:
                if not rule_matches(finding.rule, entry):
                    continue
                if never:
                    directive.refused.add(entry)
                else:
                    directive.used.add(entry)
                    by = by or directive
        if by is None and config_allows(finding, config):
            kept.append(finding)
        elif by is not None and by.line in added_lines.get(finding.path, ()):
            # What was silenced (the finding's place and message), and by what.
            silenced = finding.model_dump(include={"path", "line", "rule", "message"})
            listed.append(
                AddedSuppression(**silenced, comment_line=by.line, reason=by.reason)
            )
    for path in sorted(directives):
        for directive in directives[path]:
            for entry in directive.rules:
                if entry in directive.used or (checked and not checked(entry)):
                    continue
                note = _unused_note(path, directive, entry, entry in directive.refused)
                if config_allows(note, config):
                    kept.append(note)
    return Suppressed(kept, listed)
