"""The PR comment (and job summary / check run text): markdown within a size cap.

Findings are grouped by the pattern they break, each group quoting the agent
file's own words and linking its section. Messages may carry PR content, so
they are escaped: no markdown, HTML or ``@`` pings get through. The body
never exceeds ``max_chars``: when it would, the findings list is cut at a
whole finding and ends with "… and N more findings".
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from pattern_review.models import (
    SEVERITY_RANK,
    CheckResult,
    Finding,
    FindingDelta,
    Report,
)
from pattern_review.report.shared import (
    counts_line,
    missing_sections,
    not_python_line,
    notable_skips,
    ordered,
    pattern_title,
    pre_existing_line,
)
from pattern_review.rulebook.agent_file import AgentFile

COMMENT_LIMIT = 65536
INLINE_PER_PATTERN = 5
FIXED_INLINE = 10
AGENT_QUOTE_LINES = 3
AGENT_QUOTE_CHARS = 200

_CONCLUSION_ICON = {"success": "✅", "failure": "❌", "neutral": "⚠️"}
_STATUS_ICON = {"passed": "✅", "failed": "❌", "skipped": "⏭️", "error": "⚠️"}
# ``$`` too: GitHub reads $`...`$ and $...$ as math, whose TeX can style text.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~$])")
_MENTION = re.compile(r"@(?=[\w-])")
_ZWJ = "\u200d"


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


def _agent_words(text: str) -> str:
    # The agent file's markdown is kept (its code spans read well), but it may
    # come from the PR: no raw HTML, no pings.
    return _MENTION.sub("@" + _ZWJ, text.replace("<", "&lt;"))


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
        self.groups = _group_by_pattern(report.findings)
        self.display = [f for _, group in self.groups for f in group]
        self.fixed = ordered(delta.fixed) if delta else []
        # Each finding's line is the same in every trial size: render it once.
        self.lines = {id(f): self._finding_line(f) for f in self.display}

    # -- pieces -----------------------------------------------------------

    def _pattern_link(self, slug: str) -> str:
        title = escape_md(pattern_title(self.agent, slug))
        url = self.agent.url_for(slug, self.blob_base)
        return f"[{title}]({url})" if url else title

    def _location(self, finding: Finding) -> str:
        text = escape_md(f"{finding.path}:{finding.line}")
        if self.blob_base is None:
            return text
        anchor = f"L{finding.line}"
        if finding.end_line > finding.line:
            anchor += f"-L{finding.end_line}"
        return f"[{text}]({self.blob_base}/{quote(finding.path)}#{anchor})"

    def _finding_line(self, finding: Finding) -> str:
        state = ""
        if self.delta is not None:
            is_new = finding.fingerprint in self.delta.new
            state = "🆕 **new** · " if is_new else "still open · "
        return (
            f"- {state}{finding.severity} · {self._location(finding)} · "
            f"{_code(finding.rule)} · {message_md(finding.message)}"
        )

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
                f"> {escape_md(self.agent.path)} has no section for {slugs}: "
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
            elif check.status == "skipped":
                lines += [
                    "> [!NOTE]",
                    f"> **{escape_md(check.name)}** was skipped{detail}",
                    "",
                ]
        return lines

    def _pattern_table(self) -> list[str]:
        if not self.groups:
            return ["No findings on the lines this PR changes.", ""]
        lines = [
            "| Pattern | Errors | Warnings | Notes |",
            "| --- | ---: | ---: | ---: |",
        ]
        for slug, group in self.groups:
            counts = {name: 0 for name in SEVERITY_RANK}
            for finding in group:
                counts[finding.severity] += 1
            lines.append(
                f"| {self._pattern_link(slug)} ({_code(slug)}) | "
                f"{counts['error']} | {counts['warning']} | {counts['note']} |"
            )
        return [*lines, ""]

    def _check_table(self) -> list[str]:
        if not self.report.checks:
            return []
        lines = ["| Check | Status | Duration | Detail |", "| --- | --- | ---: | --- |"]
        for check in self.report.checks:
            lines.append(_check_row(check))
        return [*lines, ""]

    def _findings(self, limit: int) -> list[str]:
        lines: list[str] = []
        remaining = limit
        for slug, group in self.groups:
            if remaining <= 0:
                break
            shown = group[:remaining]
            remaining -= len(shown)
            lines += [
                f"### {self._pattern_link(slug)} · {_code(slug)} · "
                f"{counts_line(group)}",
                "",
            ]
            words = self.agent.rule_text(slug).strip().splitlines()
            if words == [pattern_title(self.agent, slug)]:
                words = []  # a section without bullets: its heading is shown
            for word_line in words[:AGENT_QUOTE_LINES]:
                lines.append(f"> {_agent_words(word_line[:AGENT_QUOTE_CHARS])}")
            if words:
                lines.append("")
            lines += [self.lines[id(f)] for f in shown[:INLINE_PER_PATTERN]]
            rest = shown[INLINE_PER_PATTERN:]
            if rest:
                lines += _details(
                    f"{len(rest)} more", [self.lines[id(f)] for f in rest]
                )
            lines.append("")
        hidden = len(self.display) - min(limit, len(self.display))
        if hidden:
            noun = "finding" if hidden == 1 else "findings"
            lines += [
                f"… and {hidden} more {noun} not shown here (comment size limit).",
                "",
            ]
        if pre_existing_line(self.report):
            lines += [escape_md(pre_existing_line(self.report)), ""]
        return lines

    def _fixed(self, limit: int) -> list[str]:
        if not self.fixed:
            return []
        lines = [f"### ✅ Fixed since the last run ({len(self.fixed)})", ""]
        items = [
            f"- ~~{_code(f.rule)}~~ · {escape_md(f'{f.path}:{f.line}')} · "
            f"{message_md(f.message)}"
            for f in self.fixed[:limit]
        ]
        if len(items) > FIXED_INLINE:
            lines += items[:FIXED_INLINE]
            lines += _details(f"{len(items) - FIXED_INLINE} more", items[FIXED_INLINE:])
        else:
            lines += items
        if len(self.fixed) > limit:
            # The blank line closes a <details> block above, if any.
            lines += ["", f"… and {len(self.fixed) - limit} more fixed."]
        return [*lines, ""]

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
                f"{message_md(row.text, in_table=True)} | {escape_md(by)} |"
            )
        if len(rows) > limit:
            items.append(f"| … | {len(rows) - limit} more | |")
        return [*_details(title, items), ""]

    def _footer(self) -> list[str]:
        source = self.report.agent_file or self.agent.path
        return [f"<sub>Patterns cited from {_code(source)}.</sub>"]

    # -- whole body -------------------------------------------------------

    def compose(self, limits: _Limits) -> str:
        """Return the body with at most ``limits`` items of each list."""
        lines = [
            *self._conclusion(),
            *self._notices(),
            *self._pattern_table(),
            *self._check_table(),
            *self._findings(limits.findings),
            *self._suppressed(limits.lists),
            *self._fixed(limits.fixed),
            *self._ai(limits.lists),
            *self._skipped(limits.lists),
            *self._coverage(limits.lists),
            *self._footer(),
        ]
        return self.header + "\n".join(lines) + "\n"


def _check_row(check: CheckResult) -> str:
    icon = _STATUS_ICON[check.status]
    return (
        f"| {escape_md(check.name)} | {icon} {check.status} | "
        f"{check.duration_s:.2f} s | {message_md(check.detail, in_table=True)} |"
    )


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
    total, fixed = len(composer.display), len(composer.fixed)
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
