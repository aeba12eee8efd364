"""What enforces each sentence of the agent file.

Every bullet and numbered rule is mapped to its strongest enforcer: a
convention rule, a ruff code, a Completion Checklist tool, or none, which
leaves it to the AI review. A rule cites one sentence, but some sentences say
again what another enforces ("Add type annotations on all parameters and
return values" under the Router Pattern is style rule 2 again):
``ALSO_ENFORCED`` credits those to the rules that enforce them, matched by
the sentence's words, so they are not sent to the AI as unchecked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pattern_review.models import CoverageItem
from pattern_review.rulebook.agent_file import CHECKLIST_TOOLS, AgentFile, Item
from pattern_review.rulebook.binding import Binding
from pattern_review.rulebook.matching import TURNING_WORDS, words

Enforcer = Literal["convention", "ruff", "checklist", "ai", "nothing"]

# Sentences that rules bound (for citation) to another sentence enforce too:
# a sentence holding all the words of the first (and the same turning words:
# "not", "never" ...) is credited to the rest: convention rules, ruff codes
# or prefixes, checklist tools; each only while it is on.
ALSO_ENFORCED: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("type annotations parameters return values", ("ANN", "mypy")),
    ("docstrings route handlers", ("D1",)),
    ("`str | None` (not `Optional[str]`)", ("UP007", "UP045")),
    ("`model_dump()` convert schemas", ("STY012",)),
    ("`Mapped[]` column types", ("MDL001",)),
    ("Return `None` services not-found", ("SVC006",)),
)


@dataclass(frozen=True)
class CoverageRow:
    """One bullet or numbered rule of the agent file and what enforces it.

    Attributes:
        line: 1-based line in the agent file.
        section: The heading it stands under.
        slug: Its citation slug, None for a section that is not a pattern.
        text: The sentence as written.
        enforced_by: The strongest enforcer: ``convention``, ``ruff``,
            ``checklist``, ``ai`` (no static check: the AI reviews it) or
            ``nothing`` (not a citable pattern).
        rules: Convention rule ids bound to it.
        ruff: Ruff codes cited to it.
        tools: Checklist tools it names.
        credited: The enforcers are those ``ALSO_ENFORCED`` credits: they
            cite another sentence, so findings never quote this one.
    """

    line: int
    section: str
    slug: str | None
    text: str
    enforced_by: Enforcer
    rules: tuple[str, ...] = ()
    ruff: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    credited: bool = False


def also_enforced_by(text: str) -> tuple[str, ...]:
    """Return the ids ``ALSO_ENFORCED`` credits a sentence to.

    Args:
        text: A bullet or numbered rule as written.

    Returns:
        Rule ids, ruff codes and checklist tools, or nothing.
    """
    said = words(text)
    credited: list[str] = []
    for key, ids in ALSO_ENFORCED:
        wanted = words(key)
        if wanted <= said and wanted & TURNING_WORDS == said & TURNING_WORDS:
            credited += ids
    return tuple(dict.fromkeys(credited))


def _credited(
    item: Item, on: Mapping[str, Binding], checklist: frozenset[str]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Return the (rules, ruff codes, tools) credited to an unbound sentence."""
    rules: list[str] = []
    ruff: list[str] = []
    tools: list[str] = []
    for name in also_enforced_by(item.text):
        if name in checklist:
            tools.append(name)
        elif name in on:
            (rules if on[name].via == "convention" else ruff).append(name)
    return tuple(rules), tuple(ruff), tuple(tools)


def _row(
    agent: AgentFile,
    item: Item,
    enforcers: Mapping[int, list[Binding]],
    on: Mapping[str, Binding],
    checklist: frozenset[str],
) -> CoverageRow:
    slug = agent.slug_of(item.heading, item.number)
    bound = enforcers.get(item.line, [])
    rules = tuple(b.rule for b in bound if b.via == "convention")
    ruff = tuple(b.rule for b in bound if b.via == "ruff")
    tools: tuple[str, ...] = ()
    if slug == "completion-checklist":
        tools = tuple(n for n, p in CHECKLIST_TOOLS.items() if p.search(item.text))
    credited = False
    if slug is not None and not (rules or ruff or tools):
        rules, ruff, tools = _credited(item, on, checklist)
        credited = bool(rules or ruff or tools)
    enforced: Enforcer
    if rules:
        enforced = "convention"
    elif ruff:
        enforced = "ruff"
    elif tools:
        enforced = "checklist"
    elif slug is not None:
        enforced = "ai"
    else:
        enforced = "nothing"
    return CoverageRow(
        item.line, item.heading, slug, item.text, enforced, rules, ruff, tools, credited
    )


def coverage(agent: AgentFile, bindings: Sequence[Binding]) -> list[CoverageRow]:
    """Map every bullet and numbered rule of the file to what enforces it.

    A section whose rules live in its example code (the Celery Task Pattern)
    gets a row of its own for that code.

    Args:
        agent: The team's file.
        bindings: From :func:`build_rulebook`.

    Returns:
        Rows in file order.
    """
    by_line: dict[int, list[Binding]] = {}
    by_code: dict[str, list[str]] = {}
    on = {binding.rule: binding for binding in bindings if binding.on}
    checklist = frozenset(agent.checklist_tools)
    for binding in bindings:
        if not binding.on:
            continue
        for match in binding.matches:
            if match.where == "code":
                by_code.setdefault(match.heading, []).append(binding.rule)
            elif match.found and match.item is not None:
                by_line.setdefault(match.item.line, []).append(binding)
    rows = [_row(agent, item, by_line, on, checklist) for item in agent.items]
    for section in agent.sections:
        coded = tuple(dict.fromkeys(by_code.get(section.heading, [])))
        if coded:
            rows.append(
                CoverageRow(
                    section.line,
                    section.heading,
                    agent.slug_of(section.heading),
                    f"(example code of {section.heading})",
                    "convention",
                    coded,
                )
            )
    rows.sort(key=lambda row: row.line)
    return rows


def coverage_items(rows: Iterable[CoverageRow]) -> list[CoverageItem]:
    """Return the coverage as report data.

    Args:
        rows: The review's coverage (``Rulebook.rows``).

    Returns:
        One item per row, enforcers listed rule ids first, then ruff codes,
        then checklist tools.
    """
    return [
        CoverageItem(
            line=row.line,
            section=row.section,
            pattern=row.slug,
            text=row.text,
            enforced_by=row.enforced_by,
            rules=[*row.rules, *row.ruff, *row.tools],
        )
        for row in rows
    ]
