"""The "This PR changes how it is judged" section: never collapsed, at the top.

It lists what the PR changes in its own standard (pattern-review's settings,
the agent file, rule modules, generated marks) and in how its tools examine
and judge it (ruff, mypy and pytest configs, ``conftest.py`` hooks,
silencing comments): one row per change, weakening ones first. A PR that
only strengthens the standard says so. Every value comes from the
repository: the caller's escaper makes it inert (this module imports no
other renderer, so the comment's renderer can call it).
"""

from __future__ import annotations

from collections.abc import Callable

from pattern_review.models import Report, StandardChange

# Rows shown; the JSON report's ``standard_changes`` has every change.
MAX_ROWS = 25
# Characters of a config value shown in a cell.
MAX_VALUE_CHARS = 120
_DIRECTION = {
    "weakens": "⚠️ weakens",
    "strengthens": "✅ strengthens",
    "changes": "↔️ changes",
}
_ORDER = {"weakens": 0, "changes": 1, "strengthens": 2}

Escaper = Callable[..., str]


def _cell(text: str | None, escape: Escaper) -> str:
    if text is None:
        return "—"
    folded = " ".join(text.split())
    if len(folded) > MAX_VALUE_CHARS:
        folded = folded[: MAX_VALUE_CHARS - 1] + "…"
    # A value as a code span; the escaper escapes it whole when it cannot be.
    return str(escape(f"`{folded}`", in_table=True))


def _row(change: StandardChange, escape: Escaper) -> str:
    where = change.path + (f":{change.line}" if change.line else "")
    rule = f" ({change.rule})" if change.rule else ""
    cells = [
        _DIRECTION[change.direction] + rule,
        _cell(where, escape),
        str(escape(change.what, in_table=True)),
        _cell(change.base, escape),
        _cell(change.head, escape),
        str(escape(change.effect, in_table=True)),
    ]
    return "| " + " | ".join(cells) + " |"


def standard_changes_line(report: Report) -> str | None:
    """Return one line counting the PR's changes to how it is judged.

    Args:
        report: The review.

    Returns:
        The line (counts and rule ids only, no repository text), or None
        when the PR changes nothing.
    """
    changes = report.standard_changes
    if not changes:
        return None
    weakening = [c for c in changes if c.direction == "weakens"]
    if not weakening:
        if all(c.direction == "strengthens" for c in changes):
            return (
                f"This PR only strengthens how it is judged ({len(changes)} "
                "change(s)); they apply from the next PR on."
            )
        return f"This PR changes how it is judged ({len(changes)} change(s))."
    rules = ", ".join(sorted({c.rule for c in weakening if c.rule}))
    return (
        f"This PR changes how it is judged: {len(weakening)} of "
        f"{len(changes)} change(s) weaken the standard ({rules})."
    )


def standard_changes_md(report: Report, escape: Escaper) -> list[str]:
    """Render the section, or nothing when the PR changes nothing.

    Args:
        report: The review; its ``standard_changes`` are listed.
        escape: ``message_md`` of the markdown renderer (text, ``in_table``).

    Returns:
        Markdown lines, ending with a blank line.
    """
    changes = sorted(report.standard_changes, key=lambda c: _ORDER[c.direction])
    if not changes:
        return []
    weakening = sum(1 for c in changes if c.direction == "weakens")
    lines = ["### This PR changes how it is judged", ""]
    if weakening:
        lines += [
            "> [!WARNING]",
            f"> {weakening} change(s) narrow what the tools examine or how they"
            " judge: each is a finding. The base commit's standard (pattern-"
            "review's settings, agent file, rule modules) judged this PR; the "
            "tools ran with the PR's own configs, as its CI would.",
            "",
        ]
    elif all(c.direction == "strengthens" for c in changes):
        lines += [
            "This PR only strengthens the standard; its changes apply from the "
            "next PR on.",
            "",
        ]
    lines += [
        "| | where | what | base | this PR | effect |",
        "| --- | --- | --- | --- | --- | --- |",
        *(_row(change, escape) for change in changes[:MAX_ROWS]),
    ]
    if len(changes) > MAX_ROWS:
        lines += [
            "",
            f"… and {len(changes) - MAX_ROWS} more in the JSON report "
            "(`standard_changes`).",
        ]
    return [*lines, ""]
