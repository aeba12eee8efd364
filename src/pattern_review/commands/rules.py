"""``pattern-review rules``: the catalog, matched against the team's agent file.

``rules`` lists every rule with whether the team's agent file keeps it on
and the sentence (and score) it matched; ``--coverage`` turns the map
around: every bullet and numbered rule of the file with what enforces it;
``--test`` runs each rule's VALID/INVALID examples (the team's own too).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pattern_review.rulebook.agent_file import AgentFile
    from pattern_review.rulebook.binding import Binding
    from pattern_review.rulebook.book import Rulebook
    from pattern_review.rulebook.coverage import CoverageRow


HELP = "list the rules and the agent-file sentence each is bound to"
DESCRIPTION = (
    "List every convention rule and every ruff code pattern-review cites "
    "to the agent file, matched against the team's agent file: on or "
    "off, and the sentence (with its score) each matched. "
    "`pattern-review explain ID` tells more."
)


@dataclass(frozen=True)
class CatalogEntry:
    """One line of the catalog.

    Attributes:
        id: The rule id (``RTR001``) or ruff code / code prefix (``E501``).
        pattern: The citation slug.
        severity: Default severity of its findings.
        summary: One line saying what it checks.
        via: ``convention`` for pattern-review's own rules, ``review`` for
            findings about the review itself (a file that does not parse),
            ``ruff`` for ruff codes cited to the agent file.
        on: Whether the agent file keeps it on (review rules always are).
        reason: Why it is on or off.
        matches: The sentence(s) it matched, with line and score.
        variants: For a rule that checks parts of its sentence separately,
            the parts that are on.
    """

    id: str
    pattern: str
    severity: str
    summary: str
    via: str
    on: bool = True
    reason: str = ""
    matches: list[str] = field(default_factory=list)
    variants: list[str] = field(default_factory=list)


def _bound(entry: CatalogEntry, binding: Binding | None) -> CatalogEntry:
    if binding is None:
        return entry
    return CatalogEntry(
        entry.id,
        entry.pattern,
        entry.severity,
        entry.summary,
        entry.via,
        binding.on,
        binding.reason,
        [match.describe() for match in binding.matches],
        sorted(binding.variants),
    )


def catalog(rulebook: Rulebook | None = None) -> list[CatalogEntry]:
    """Return every convention rule, the review's own rules, then ruff codes.

    Args:
        rulebook: The team's agent file matched against the rules; None
            matches the built-in seed (every rule on).

    Returns:
        The entries: convention rules ordered by id (the team's own among
        them), then the review rules (PR000...), then the ruff codes the
        catalog cites, in catalog order.
    """
    from pattern_review.config import Config
    from pattern_review.conventions.team_rules import rules_with
    from pattern_review.report.shared import pattern_title
    from pattern_review.rulebook.agent_file import builtin_agent_file
    from pattern_review.rulebook.book import build_rulebook
    from pattern_review.rulebook.catalog import REVIEW_RULES, RUFF_MAPPINGS

    agent = builtin_agent_file()
    book = rulebook or build_rulebook(agent, Config())
    rules = rules_with(book.modules)
    entries = [
        _bound(
            CatalogEntry(
                rule.ID, rule.PATTERN, rule.SEVERITY, rule.SUMMARY, "convention"
            ),
            book.binding(rule.ID),
        )
        for rule in rules
    ]
    entries += [
        CatalogEntry(
            rule.id, "completion-checklist", rule.severity, rule.summary, "review"
        )
        for rule in REVIEW_RULES
    ]
    for mapping in RUFF_MAPPINGS:
        # A style rule is one line; a section's first bullet may be unrelated.
        words = agent.rule_text(mapping.pattern).splitlines()
        is_style = mapping.pattern.startswith("style-rules#")
        cited = (
            words[0] if words and is_style else pattern_title(agent, mapping.pattern)
        )
        entry = CatalogEntry(
            mapping.prefix,
            mapping.pattern,
            mapping.severity,
            f"via ruff: {cited}",
            "ruff",
        )
        entries.append(_bound(entry, book.binding(mapping.prefix)))
    return entries


def format_table(entries: list[CatalogEntry]) -> str:
    """Lay the catalog out as aligned columns, each match on the line below.

    Args:
        entries: The catalog.

    Returns:
        A header line, one line per entry (its ON column ``on`` / ``off``)
        and, indented under it, what the agent file says; ends in a newline.
    """
    rows = [("ID", "PATTERN", "SEVERITY", "ON", "SUMMARY")]
    rows += [
        (e.id, e.pattern, e.severity, "on" if e.on else "off", e.summary)
        for e in entries
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    indent = " " * (sum(widths) + 2 * 4)
    lines: list[str] = []
    for index, row in enumerate(rows):
        cells = [cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)]
        lines.append("  ".join(cells) + f"  {row[4]}")
        if index == 0:
            continue
        entry = entries[index - 1]
        if entry.on:
            said = [*entry.matches]
            if entry.reason and (entry.variants or not said):
                said.append(entry.reason)
        else:
            near = [m for m in entry.matches if m.startswith("not found; closest")]
            said = [entry.reason, *near]
        lines += [f"{indent}↳ {text}" for text in said]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def catalog_markdown(entries: list[CatalogEntry]) -> str:
    """Render the catalog as a markdown table.

    Args:
        entries: The catalog.

    Returns:
        One row per entry: id, pattern, on/off, summary, matched sentence.
    """
    from pattern_review.report.markdown import message_md

    lines = [
        "| ID | Pattern | On | Summary | Agent file |",
        "| --- | --- | --- | --- | --- |",
    ]
    for e in entries:
        said = "; ".join(e.matches if e.on else [e.reason]) or e.reason
        lines.append(
            f"| {e.id} | {e.pattern} | {'on' if e.on else 'off'} | "
            f"{message_md(e.summary, in_table=True)} | "
            f"{message_md(said, in_table=True)} |"
        )
    return "\n".join(lines) + "\n"


def _coverage_summary(book: Rulebook) -> str:
    counts: dict[str, int] = {}
    for row in book.rows:
        counts[row.enforced_by] = counts.get(row.enforced_by, 0) + 1
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    return f"{len(book.rows)} bullets and numbered rules: {summary}."


def _enforced_by(row: CoverageRow) -> str:
    by = ", ".join([*row.rules, *row.ruff, *row.tools])
    label = {"ai": "AI review only", "nothing": "nothing"}.get(row.enforced_by)
    return label or f"{row.enforced_by}: {by}"


def _plain(text: str) -> str:
    # One line, no bold marks, no control characters from the team's file.
    folded = " ".join(text.replace("**", "").split())
    return "".join(c for c in folded if c.isprintable())


def coverage_text(book: Rulebook) -> str:
    """Render the coverage map for a terminal: aligned columns, no markup.

    Args:
        book: The rulebook.

    Returns:
        A title, a count line and one line per bullet or numbered rule:
        line, slug (or section), what enforces it, the sentence as written.
    """
    rows = [("LINE", "SECTION", "ENFORCED BY", "SENTENCE")]
    rows += [
        (str(row.line), _plain(row.slug or row.section), _enforced_by(row), row.text)
        for row in book.rows
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = [
        f"What enforces {_plain(book.agent_path)}",
        _coverage_summary(book),
        "",
    ]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)]
        lines.append("  ".join(cells) + "  " + _plain(row[3]))
    return "\n".join(line.rstrip() for line in lines) + "\n"


def coverage_markdown(book: Rulebook) -> str:
    """Render the coverage map as a markdown table.

    Args:
        book: The rulebook.

    Returns:
        A heading, a count line and one table row per bullet or numbered rule.
    """
    from pattern_review.report.markdown import escape_md, message_md

    lines = [
        f"# What enforces {escape_md(book.agent_path)}",
        "",
        _coverage_summary(book),
        "",
        "| Line | Section | Rule | Enforced by |",
        "| --- | --- | --- | --- |",
    ]
    for row in book.rows:
        section = f"{row.section} [{row.slug}]" if row.slug else row.section
        sentence = message_md(row.text.replace("**", ""), in_table=True)
        lines.append(
            f"| {row.line} | {escape_md(section)} | {sentence} | "
            f"{escape_md(_enforced_by(row))} |"
        )
    return "\n".join(lines) + "\n"


def coverage_json(book: Rulebook) -> str:
    """Render the coverage map as JSON.

    Args:
        book: The rulebook.

    Returns:
        ``{"agent_file": ..., "rules": [...], "off": [...]}``.
    """
    import json

    from pattern_review.rulebook.coverage import coverage_items

    data = {
        "agent_file": book.agent_path,
        "rules": [item.model_dump(mode="json") for item in coverage_items(book.rows)],
        "off": [{"rule": b.rule, "reason": b.reason} for b in book.off()],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the verb's options.

    Args:
        parser: The verb's parser.
    """
    parser.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default=None,
        help="output format (default: text)",
    )
    what = parser.add_mutually_exclusive_group()
    what.add_argument(
        "--coverage",
        action="store_true",
        help="every bullet and numbered rule of the agent file, and what enforces it",
    )
    what.add_argument(
        "--test",
        action="store_true",
        help="run every rule's VALID/INVALID examples (the team's rules too)",
    )
    parser.add_argument(
        "--repo", default=".", help="repository whose agent file and config apply"
    )
    parser.add_argument("--config", help="config file (default: the repo's)")
    parser.add_argument(
        "--agent-file", help="agent file to match (default: found in the repo)"
    )


def _team_rulebook(args: argparse.Namespace) -> tuple[Rulebook, AgentFile]:
    from pattern_review import git
    from pattern_review.config import load_config
    from pattern_review.models import ReviewTarget
    from pattern_review.rulebook.agent_file import find_agent_file, parse_agent_file
    from pattern_review.rulebook.team_modules import rulebook_for

    repo = Path(args.repo).resolve()
    try:
        repo = git.toplevel(repo)  # from a subfolder too, as `review` does
    except git.GitError:
        pass  # not a git work tree: the folder itself
    config = load_config(repo, Path(args.config).resolve() if args.config else None)
    if args.agent_file:
        path = Path(args.agent_file)
        agent = parse_agent_file(path.read_text(encoding="utf-8"), str(path))
    else:
        agent = find_agent_file(repo, config.agent_file)
    local = ReviewTarget(repo=repo, base="", head="")
    return rulebook_for(local, config, agent, repo), agent


def _run_examples(book: Rulebook) -> int:
    from pattern_review.conventions.examples import example_problems
    from pattern_review.conventions.team_rules import rules_with

    rules = rules_with(book.modules)
    problems = [problem for rule in rules for problem in example_problems(rule)]
    for problem in problems:
        print(problem)
    examples = sum(len(rule.VALID) + len(rule.INVALID) for rule in rules)
    verdict = f"{len(problems)} problem(s)" if problems else "all pass"
    print(f"{len(rules)} rule(s), {examples} example(s): {verdict}")
    return 1 if problems else 0


def main(args: argparse.Namespace) -> int:
    """Print the catalog, the coverage map, or the examples' results.

    Args:
        args: Parsed arguments.

    Returns:
        0; 1 when ``--test`` finds a rule that breaks its examples; 2 for an
        unreadable agent file, bad config or a broken team rule module.
    """
    import json

    from pattern_review.config import ConfigError
    from pattern_review.rulebook.agent_file import AgentFileError

    try:
        book, _ = _team_rulebook(args)
    except (OSError, UnicodeDecodeError, ConfigError, AgentFileError) as exc:
        print(f"pattern-review: {exc}", file=sys.stderr)
        return 2
    if args.test:
        return _run_examples(book)
    if args.coverage:
        render = {"json": coverage_json, "markdown": coverage_markdown}.get(
            args.format or "text", coverage_text
        )
        print(render(book), end="")
        return 0
    entries = catalog(book)
    if args.format == "json":
        print(json.dumps([asdict(entry) for entry in entries], indent=2))
    elif args.format == "markdown":
        print(catalog_markdown(entries), end="")
    else:
        print(format_table(entries), end="")
    return 0
