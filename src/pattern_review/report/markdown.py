"""The PR comment (and job summary): markdown within a size cap.

Under the one-line verdict comes a short numbered "Fix first" list, ranked by
impact (findings/impact.py): failing tests, type errors, files that could not
be analysed, architecture patterns, then style. Each item is one rule in one
file (its repeats folded into a line list), links its line and quotes the one
sentence of the agent file its rule is bound to. The rest is
one collapsed block grouped by pattern (the 14 style rules as one group),
repeats of a rule in a file folded into one line; the check and pattern
tables are collapsed below. Everything from the repository (messages, paths,
agent-file sentences and headings, details) is escaped: no markdown, HTML,
links, bare-URL autolinks or ``@`` pings get through. The body never exceeds
``max_chars``: when it would, the collapsed list is cut at a whole finding
and ends with "… and N more findings".
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import quote

from pattern_review.config import Config
from pattern_review.findings.impact import ARCHITECTURE_PATTERNS, by_impact
from pattern_review.findings.severity import is_test_style
from pattern_review.models import (
    SEVERITY_RANK,
    CheckResult,
    Finding,
    FindingDelta,
    Report,
)
from pattern_review.report.citations import bound_sentence, sentence_url
from pattern_review.report.shared import (
    check_state,
    counts_line,
    missing_sections,
    not_python_line,
    notable_skips,
    ordered,
    pattern_title,
    pre_existing_line,
)
from pattern_review.report.standard_changes import standard_changes_md
from pattern_review.rulebook.agent_file import AgentFile
from pattern_review.rulebook.catalog import STYLE_RULES_HEADING

COMMENT_LIMIT = 65536
# The "Fix first" list, in items (a rule in a file): with each item's quote,
# the heading and the collapsed rest, a first screen of at most 15 lines.
FIX_FIRST = 6
# A folded line lists this many line numbers, then "…".
LINES_LISTED = 5
# Why a check was skipped, when the team chose it: no note for those.
CHOSEN_SKIPS = frozenset(
    {
        "left out by the checks setting",
        "not in the agent file's Completion Checklist",
        "no changed Python files",
    }
)
# The collapsed list's group of all numbered style rules.
STYLE_GROUP = "style-rules"

_CONCLUSION_ICON = {"success": "✅", "failure": "❌", "neutral": "⚠️"}
_SEVERITY_ICON = {"error": "❌", "warning": "⚠️", "note": "💬"}
# ``$`` too: GitHub reads $`...`$ and $...$ as math, whose TeX can style text.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~$])")
_MENTION = re.compile(r"@(?=[\w-])")
# GitHub links bare URLs in text: an escaped colon or dot keeps them text.
_SCHEME = re.compile(r"(?<=[A-Za-z0-9])://")
_WWW = re.compile(r"\b(www)\.", re.IGNORECASE)
_ZWJ = "\u200d"
# Test roles come from the default globs when rendering (no config here).
_DEFAULT_CONFIG = Config()


def escape_md(text: str) -> str:
    """Make untrusted text inert in GitHub markdown, on one line.

    Args:
        text: A message, path or detail that may come from the PR.

    Returns:
        The text with HTML entities and markdown punctuation escaped, line
        breaks folded, and ``@`` mentions broken by a zero-width joiner.
    """
    return _escape_folded(" ".join(text.split()))


def _escape_folded(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _WWW.sub(r"\1\\.", _SCHEME.sub(r"\\://", text))
    return _MENTION.sub("@" + _ZWJ, text)


def message_md(text: str, *, in_table: bool = False) -> str:
    """Render untrusted text like ``escape_md``, keeping its code spans.

    Messages quote code between backticks; those parts become code spans,
    which GitHub shows verbatim and never turns into markup, links or
    mentions. Text with unpaired backticks, or a span holding an HTML
    comment marker (or, in a table cell, ``|``, where the cell would end),
    is escaped as a whole.

    Args:
        text: A message, detail or summary that may come from the PR.
        in_table: The text goes into a table cell.

    Returns:
        One line of inert markdown.
    """
    folded = " ".join(text.split())
    parts = folded.split("`")
    spans = parts[1::2]
    if len(parts) % 2 == 0 or any(not _inert_span(s, in_table) for s in spans):
        return _escape_folded(folded)
    return "".join(
        f"`{part}`" if index % 2 else _escape_folded(part)
        for index, part in enumerate(parts)
    )


def _inert_span(text: str, in_table: bool) -> bool:
    # A table cell ends at "|" even in a code span; an HTML comment's markers
    # are kept out so no text can pass for one of our hidden tags.
    banned = ("|", "<!--", "-->") if in_table else ("<!--", "-->")
    return bool(text.strip()) and not any(mark in text for mark in banned)


def _code(text: str) -> str:
    # A code span shows ids verbatim; one holding a backtick cannot be one.
    text = " ".join(text.split())
    if "`" in text or not text:
        return escape_md(text)
    return f"`{text}`"


def agent_words(text: str) -> str:
    """Render a sentence of the agent file as inert markdown, on one line.

    Its code spans are kept (they read well and render verbatim); bold marks
    are dropped; everything else is escaped, so a bullet cannot render a
    heading, image, link or HTML.

    Args:
        text: A bullet or numbered rule as written.

    Returns:
        One line of inert markdown.
    """
    return message_md(text.replace("**", ""))


def citation_md(agent: AgentFile, finding: Finding, blob_base: str | None) -> str:
    """Quote the sentence a finding's rule is bound to, linked to its line.

    Args:
        agent: The agent file the review cites.
        finding: Any finding.
        blob_base: ``https://host/owner/repo/blob/<sha>``, or None.

    Returns:
        E.g. ``“Use `APIRouter` with `prefix` and `tags`” ([agent file
        line 129](…))``; empty when the rule has no bound sentence.
    """
    cited = bound_sentence(agent, finding)
    if cited is None:
        return ""
    words = escape_md(cited.text) if cited.code else f"“{agent_words(cited.text)}”"
    name = "built-in agent file" if agent.builtin else PurePosixPath(agent.path).name
    where = f"{escape_md(name)} line {cited.line}"
    url = sentence_url(agent, cited.line, blob_base)
    return f"{words} ({f'[{where}]({url})' if url else where})"


def _line_list(findings: Sequence[Finding]) -> str:
    numbers = sorted({f.line for f in findings})
    listed = ", ".join(str(n) for n in numbers[:LINES_LISTED])
    more = ", …" if len(numbers) > LINES_LISTED else ""
    return f"(L{listed}{more})"


@dataclass(frozen=True)
class _Limits:
    """How much of each list the body shows."""

    findings: int
    fixed: int
    lists: int


class _Composer:
    """Renders the body for given list limits (the size search calls it often)."""

    def __init__(
        self,
        report: Report,
        agent: AgentFile,
        blob_base: str | None,
        delta: FindingDelta | None,
        header: str,
    ) -> None:
        self.report = report
        self.agent = agent
        self.blob_base = blob_base.rstrip("/") if blob_base else None
        self.delta = delta
        self.header = header
        ranked = by_impact(report.findings)
        if delta is not None:
            # What this push brought leads, never collapsed.
            ranked = [f for f in ranked if self._is_new(f)] + [
                f for f in ranked if not self._is_new(f)
            ]
        self.ranked = ranked
        self.first_items = _fold(ranked, self._is_new)[:FIX_FIRST]
        in_first = {id(f) for item in self.first_items for f in item}
        self.first = [f for f in ranked if id(f) in in_first]
        self.rest = [f for f in ranked if id(f) not in in_first]
        self.fixed = ordered(delta.fixed) if delta else []

    # -- pieces -----------------------------------------------------------

    def _is_new(self, finding: Finding) -> bool:
        return self.delta is not None and finding.fingerprint in self.delta.new

    def _pattern_link(self, slug: str) -> str:
        title = escape_md(pattern_title(self.agent, slug))
        url = self.agent.url_for(slug, self.blob_base)
        return f"[{title}]({url})" if url else title

    def _location(self, finding: Finding, text: str | None = None) -> str:
        shown = escape_md(text or f"{finding.path}:{finding.line}")
        if self.blob_base is None:
            return shown
        anchor = f"L{finding.line}"
        if text is None and finding.end_line > finding.line:
            anchor += f"-L{finding.end_line}"
        return f"[{shown}]({self.blob_base}/{quote(finding.path)}#{anchor})"

    def _marks(self, finding: Finding) -> str:
        marks = "🆕 " if self._is_new(finding) else ""
        marks += _SEVERITY_ICON[finding.severity]
        if finding.source == "ai":
            marks += " 🤖 advisory"
        if finding.suggestion is not None:
            marks += " 🔧"
        return marks

    def _first_shown(self, limit: int) -> list[list[Finding]]:
        """The "Fix first" items that begin within the first ``limit`` findings."""
        shown: list[list[Finding]] = []
        count = 0
        for item in self.first_items:
            if count >= limit:
                break
            shown.append(item)
            count += len(item)
        return shown

    def _fix_first(self, limit: int | None = None) -> list[str]:
        if not self.first:
            return ["No findings on the lines this PR changes.", ""]
        lines = ["### Fix first", ""]
        items = self._first_shown(len(self.first) if limit is None else limit)
        for number, item in enumerate(items, start=1):
            finding = item[0]
            where = self._location(finding)
            if len(item) > 1:
                where = (
                    f"{self._location(finding, finding.path)} ×{len(item)} "
                    f"{_line_list(item)}"
                )
            lines.append(
                f"{number}. {self._marks(finding)} {where} · "
                f"{_code(finding.rule)} · {message_md(finding.message)}"
            )
            quoted = citation_md(self.agent, finding, self.blob_base)
            if quoted:
                lines.append(f"   > {quoted}")
        return [*lines, ""]

    def _conclusion(self) -> list[str]:
        report = self.report
        icon = _CONCLUSION_ICON[report.conclusion]
        line = (
            f"## {icon} pattern-review: **{report.conclusion}** · "
            f"{counts_line(report.findings)}"
        )
        if self.delta is not None:
            line += f" · {len(self.delta.new)} new, {len(self.delta.fixed)} fixed"
        return [line, ""]

    def _notices(self) -> list[str]:
        lines: list[str] = []
        if self.report.safe_mode:
            lines += [
                "> [!NOTE]",
                "> Safe mode (`pull_request_target`): no code from the PR was "
                "run, so checks that execute it were skipped.",
                "",
            ]
        missing = missing_sections(self.report, self.agent)
        if missing:
            slugs = ", ".join(f"`{slug}`" for slug in missing)
            lines += [
                "> [!NOTE]",
                f"> {_code(self.agent.path)} has no section for {slugs}: "
                "those findings cite the pattern by its standard heading.",
                "",
            ]
        if self.report.rulebook_notice:
            lines += [
                "> [!NOTE]",
                f"> {escape_md(self.report.rulebook_notice)}. "
                "`pattern-review rules --coverage` shows the whole map.",
                "",
            ]
        for check in self.report.checks:
            detail = (
                f": {message_md(check.detail.rstrip('.'))}." if check.detail else "."
            )
            if check.status == "error":
                lines += [
                    "> [!WARNING]",
                    f"> **{escape_md(check.name)}** could not run{detail} "
                    "Its result is unknown, not passed.",
                    "",
                ]
            elif check.status == "skipped" and not self._chosen_skip(check):
                lines += [
                    "> [!NOTE]",
                    f"> **{escape_md(check.name)}** was skipped{detail}",
                    "",
                ]
        return lines

    def _chosen_skip(self, check: CheckResult) -> bool:
        # What the team chose (or safe mode, said once above) needs no note.
        return self.report.safe_mode or check.detail in CHOSEN_SKIPS

    def _pattern_table(self) -> list[str]:
        groups = _group_by_pattern(self.report.findings)
        if not groups:
            return []
        lines = [
            "| Pattern | Errors | Warnings | Notes |",
            "| --- | ---: | ---: | ---: |",
        ]
        for slug, group in groups:
            counts = {name: 0 for name in SEVERITY_RANK}
            for finding in group:
                counts[finding.severity] += 1
            lines.append(
                f"| {self._pattern_link(slug)} ({_code(slug)}) | "
                f"{counts['error']} | {counts['warning']} | {counts['note']} |"
            )
        return [*_details("Findings by pattern", lines), ""]

    def _check_table(self) -> list[str]:
        if not self.report.checks:
            return []
        states = [check_state(check, self.report) for check in self.report.checks]
        lines = ["| Check | Status | Duration | Detail |", "| --- | --- | ---: | --- |"]
        for check, (icon, words) in zip(self.report.checks, states, strict=True):
            lines.append(
                f"| {escape_md(check.name)} | {icon} {escape_md(words)} | "
                f"{check.duration_s:.2f} s | "
                f"{message_md(check.detail, in_table=True)} |"
            )
        tally = Counter(f"{icon} {words}" for icon, words in states)
        summary = "Checks: " + ", ".join(f"{n} {what}" for what, n in tally.items())
        return [*_details(escape_md(summary), lines), ""]

    def _more(self, limit: int) -> list[str]:
        """The findings after the "Fix first" list: ``limit`` counts both."""
        in_first = sum(len(item) for item in self._first_shown(limit))
        shown = self.rest[: max(limit - in_first, 0)]
        lines: list[str] = []
        for slug, group in _group_rest(shown):
            title = (
                escape_md(STYLE_RULES_HEADING)
                if slug == STYLE_GROUP
                else self._pattern_link(slug)
            )
            lines += [f"**{title}** · {counts_line(group)}", ""]
            lines += self._rule_blocks(group)
            lines.append("")
        if self.rest:
            noun = "finding" if len(self.rest) == 1 else "findings"
            summary = f"{len(self.rest)} more {noun}, by pattern"
            lines = _details(summary, lines)
        hidden = len(self.rest) - len(shown) + len(self.first) - in_first
        if hidden:
            noun = "finding" if hidden == 1 else "findings"
            lines += [
                "",
                f"… and {hidden} more {noun} not shown here (comment size limit).",
            ]
        if pre_existing_line(self.report):
            lines += ["", escape_md(pre_existing_line(self.report))]
        return [*lines, ""] if lines else []

    def _rule_blocks(self, group: list[Finding]) -> list[str]:
        lenient = [f for f in group if is_test_style(f, _DEFAULT_CONFIG)]
        by_rule: dict[str, list[Finding]] = {}
        for finding in group:
            if finding not in lenient:
                by_rule.setdefault(finding.rule, []).append(finding)
        lines: list[str] = []
        for rule, findings in by_rule.items():
            quoted = citation_md(self.agent, findings[0], self.blob_base)
            lines.append(f"- {_code(rule)}" + (f" · {quoted}" if quoted else ""))
            by_file: dict[str, list[Finding]] = {}
            for finding in findings:
                by_file.setdefault(finding.path, []).append(finding)
            for same in by_file.values():
                lines.append("  " + self._folded(same))
        by_test_file: dict[str, list[Finding]] = {}
        for finding in lenient:
            by_test_file.setdefault(finding.path, []).append(finding)
        for path, findings in by_test_file.items():
            rules = Counter(f.rule for f in findings)
            listed = ", ".join(f"{_code(r)} ×{n}" for r, n in rules.items())
            lines.append(
                f"- {self._location(findings[0], path)} (test file) · {listed} · "
                f"docstrings and annotations in tests {_line_list(findings)}"
            )
        return lines

    def _folded(self, findings: list[Finding]) -> str:
        first = findings[0]
        if len(findings) == 1:
            return (
                f"- {self._marks(first)} {self._location(first)} · "
                f"{message_md(first.message)}"
            )
        return (
            f"- {self._marks(first)} {self._location(first, first.path)} "
            f"×{len(findings)} {_line_list(findings)} · {message_md(first.message)}"
        )

    def _fixed(self, limit: int) -> list[str]:
        if not self.fixed:
            return []
        items = [
            f"- ~~{_code(f.rule)}~~ · {escape_md(f'{f.path}:{f.line}')} · "
            f"{message_md(f.message)}"
            for f in self.fixed[:limit]
        ]
        if len(self.fixed) > limit:
            items.append(f"- … and {len(self.fixed) - limit} more fixed.")
        return [*_details(f"✅ {len(self.fixed)} fixed since the last run", items), ""]

    def _ai(self, limit: int) -> list[str]:
        ai = self.report.ai
        if ai.status == "skipped":
            return []
        lines = ["### 🤖 AI review", ""]
        if ai.status != "ok":
            over = ai.status == "over_budget"
            reason = "over its token budget" if over else "unavailable"
            lines += [
                "> [!NOTE]",
                f"> The AI review is {reason}"
                + (f": {escape_md(ai.notice.rstrip('.'))}." if ai.notice else ".")
                + " The checks above are complete without it.",
                "",
            ]
        elif ai.notice:
            lines += [f"> [!NOTE]\n> {escape_md(ai.notice)}", ""]
        if ai.summary:
            lines += [message_md(ai.summary), ""]
        if ai.dropped:
            total = sum(ai.dropped.values())
            reasons = ", ".join(
                f"{count} {escape_md(reason)}"
                for reason, count in sorted(ai.dropped.items())
            )
            lines += [
                f"Dropped {total} model comment(s) that failed validation: {reasons}.",
                "",
            ]
        if ai.not_sent:
            names = ", ".join(_code(path) for path in ai.not_sent[:limit])
            more = len(ai.not_sent) - min(limit, len(ai.not_sent))
            names += f" and {more} more" if more else ""
            lines += [f"Not sent to the model (token budget): {names}.", ""]
        cached = f" ({ai.cache_read_tokens:,} cached)" if ai.cache_read_tokens else ""
        lines += [
            f"<sub>{escape_md(ai.model or 'model')} · {ai.input_tokens:,} input"
            f"{cached} + {ai.output_tokens:,} output tokens · "
            f"est. ${ai.cost_usd:.4f}</sub>",
            "",
        ]
        return lines

    def _skipped(self, limit: int) -> list[str]:
        skipped, not_python = notable_skips(self.report)
        lines = [not_python_line(not_python), ""] if not_python else []
        if not skipped:
            return lines
        title = f"{len(skipped)} changed file(s) not reviewed"
        if limit <= 0:
            return [f"{title}.", "", *lines]
        items = [
            f"- {_code(path)}: {escape_md(reason)}" for path, reason in skipped[:limit]
        ]
        if len(skipped) > limit:
            items.append(f"- … and {len(skipped) - limit} more")
        return [*_details(title, items), "", *lines]

    def _suppressed(self, limit: int) -> list[str]:
        listed = self.report.added_suppressions
        if not listed:
            return []
        noun = "finding" if len(listed) == 1 else "findings"
        lines = [f"### 🔕 {len(listed)} {noun} suppressed by comments this PR adds", ""]
        for item in listed[:limit]:
            reason = message_md(item.reason) if item.reason else "*no reason given*"
            lines.append(
                f"- {_code(item.rule)} · {escape_md(f'{item.path}:{item.line}')} · "
                f"{message_md(item.message)} — reason: {reason}"
            )
        if len(listed) > limit:
            lines.append(f"- … and {len(listed) - limit} more")
        return [*lines, ""]

    def _coverage(self, limit: int) -> list[str]:
        """What enforces each sentence, when the PR changed the agent file."""
        rows = self.report.coverage
        if not rows:
            return []
        ai_only = sum(1 for row in rows if row.enforced_by == "ai")
        title = (
            f"Your agent file changed: what enforces its {len(rows)} bullets and "
            "numbered rules "
            f"({ai_only} by the AI review only)"
        )
        if limit <= 0:
            return [f"{title}.", ""]
        items = [
            "| Line | Rule | Enforced by |",
            "| --- | --- | --- |",
        ]
        for row in rows[:limit]:
            by = ", ".join(row.rules) or {"ai": "AI review only"}.get(
                row.enforced_by, "nothing"
            )
            where = f"{escape_md(f'[{row.pattern}]')} " if row.pattern else ""
            items.append(
                f"| {row.line} | {where}"
                f"{message_md(row.text.replace('**', ''), in_table=True)} | "
                f"{escape_md(by)} |"
            )
        if len(rows) > limit:
            items.append(f"| … | {len(rows) - limit} more | |")
        return [*_details(title, items), ""]

    def _footer(self) -> list[str]:
        source = self.report.agent_file or self.agent.path
        if self.agent.builtin:
            # The built-in copy ships inside the tool, not in the reviewed
            # repository: no URL shows the copy this review ran with, so its
            # quotes are not linked; the tool itself lists its lines.
            return [
                f"<sub>Patterns cited from {_code(source)}, which ships with "
                "pattern-review; `pattern-review rules --coverage` lists its "
                "lines.</sub>"
            ]
        return [f"<sub>Patterns cited from {_code(source)}.</sub>"]

    # -- whole body -------------------------------------------------------

    def compose(self, limits: _Limits) -> str:
        """Return the body with at most ``limits`` items of each list."""
        lines = [
            *self._conclusion(),
            *standard_changes_md(self.report, message_md),
            *self._notices(),
            *self._fix_first(limits.findings),
            *self._more(limits.findings),
            *self._suppressed(limits.lists),
            *self._fixed(limits.fixed),
            *self._ai(limits.lists),
            *self._check_table(),
            *self._pattern_table(),
            *self._skipped(limits.lists),
            *self._coverage(limits.lists),
            *self._footer(),
        ]
        return self.header + "\n".join(lines) + "\n"


def _details(summary: str, items: Sequence[str]) -> list[str]:
    # Blank lines around the items make GitHub render them as markdown.
    return [
        "",
        "<details>",
        f"<summary>{summary}</summary>",
        "",
        *items,
        "",
        "</details>",
    ]


def _fold(
    ranked: Sequence[Finding], is_new: Callable[[Finding], bool]
) -> list[list[Finding]]:
    """Group ranked findings by rule and file (new apart), in rank order."""
    items: dict[tuple[str, str, bool], list[Finding]] = {}
    for finding in ranked:
        items.setdefault((finding.rule, finding.path, is_new(finding)), []).append(
            finding
        )
    return list(items.values())


def _group_rest(findings: Sequence[Finding]) -> list[tuple[str, list[Finding]]]:
    # Architecture patterns in the agent file's order, then the checklist,
    # then every numbered style rule as one group.
    groups: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        slug = finding.pattern
        groups[STYLE_GROUP if slug.startswith("style-rules#") else slug].append(finding)
    order = [*ARCHITECTURE_PATTERNS, "completion-checklist", STYLE_GROUP]
    return sorted(
        groups.items(),
        key=lambda item: (
            order.index(item[0]) if item[0] in order else len(order),
            item[0],
        ),
    )


def _group_by_pattern(findings: Sequence[Finding]) -> list[tuple[str, list[Finding]]]:
    groups: dict[str, list[Finding]] = defaultdict(list)
    for finding in ordered(findings):
        groups[finding.pattern].append(finding)
    return sorted(
        groups.items(),
        key=lambda item: (
            -max(SEVERITY_RANK[f.severity] for f in item[1]),
            -len(item[1]),
            item[0],
        ),
    )


def _largest_fitting(total: int, fits: Callable[[int], bool]) -> int | None:
    # Size grows with the count shown; find the largest count that fits.
    if not fits(0):
        return None
    low, high = 0, total
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _hard_cut(text: str, max_chars: int, header: str) -> str:
    # Last resort (a header and tables near the cap): cut at a line end.
    note = "\n\n… (truncated to fit the comment size limit)\n"
    cut = text.rfind("\n", len(header), max_chars - len(note))
    return text[: max(cut, len(header))] + note


def render_fix_first(
    report: Report,
    agent: AgentFile,
    *,
    blob_base: str | None = None,
    max_chars: int = COMMENT_LIMIT,
    comment_url: str | None = None,
) -> str:
    """Render the short form: the verdict, its notices and the "Fix first" list.

    The check run shows this, with a link to the full review, rather than the
    whole comment again.

    Args:
        report: The review.
        agent: The agent file the citations point to.
        blob_base: ``https://host/owner/repo/blob/<sha>`` for links, or None.
        max_chars: Hard cap on the text's length.
        comment_url: The sticky comment's URL, when known.

    Returns:
        Markdown of at most ``max_chars`` characters.
    """
    composer = _Composer(report, agent, blob_base, None, "")
    lines = [
        *composer._conclusion(),
        *standard_changes_md(report, message_md),
        *composer._notices(),
        *composer._fix_first(),
    ]
    rest = len(composer.rest)
    where = f"[the pull request comment]({comment_url})" if comment_url else None
    if where is None and blob_base and report.target.pr is not None:
        repository = blob_base.rstrip("/").rsplit("/blob/", 1)[0]
        where = f"[the pull request]({repository}/pull/{report.target.pr})"
    more = f"{rest} more finding{'' if rest == 1 else 's'}" if rest else "The checks"
    lines.append(f"{more} and the full review: {where or 'the review comment'}.")
    text = "\n".join(lines) + "\n"
    return text if len(text) <= max_chars else _hard_cut(text, max_chars, "")


def render_markdown(
    report: Report,
    agent: AgentFile,
    *,
    blob_base: str | None = None,
    delta: FindingDelta | None = None,
    max_chars: int = COMMENT_LIMIT,
    header: str = "",
) -> str:
    """Render the PR comment body.

    Args:
        report: The review.
        agent: The agent file the citations point to.
        blob_base: ``https://host/owner/repo/blob/<sha>`` for links to the
            pattern sections and finding lines, or None for no links.
        delta: How the findings compare with the previous run; marks each
            finding new or still open and lists the fixed ones.
        max_chars: Hard cap on the body's length (GitHub's comment limit).
        header: Text put first verbatim (the publisher's hidden marker); it
            counts toward ``max_chars``.

    Returns:
        Markdown of at most ``max_chars`` characters.

    Raises:
        ValueError: ``header`` alone leaves no room for a body.
    """
    if len(header) + 80 > max_chars:
        raise ValueError(f"max_chars {max_chars} leaves no room after the header")
    composer = _Composer(report, agent, blob_base, delta, header)
    total, fixed = len(composer.ranked), len(composer.fixed)
    lists = max(
        len(report.skipped_files),
        len(report.ai.not_sent),
        len(report.added_suppressions),
        len(report.coverage or []),
    )
    full = composer.compose(_Limits(total, fixed, lists))
    if len(full) <= max_chars:
        return full
    # Cut the findings first; the other lists only if that is not enough.
    for fixed_shown, lists_shown in ((fixed, lists), (0, 0)):

        def fits(
            n: int, fixed_shown: int = fixed_shown, lists_shown: int = lists_shown
        ) -> bool:
            return (
                len(composer.compose(_Limits(n, fixed_shown, lists_shown))) <= max_chars
            )

        shown = _largest_fitting(total, fits)
        if shown is not None:
            return composer.compose(_Limits(shown, fixed_shown, lists_shown))
    return _hard_cut(composer.compose(_Limits(0, 0, 0)), max_chars, header)
