"""``pattern-review rules``: the catalog of rule ids and the patterns they cite."""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass


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
    """

    id: str
    pattern: str
    severity: str
    summary: str
    via: str


def catalog() -> list[CatalogEntry]:
    """Return every convention rule, the review's own rules, then ruff codes.

    Returns:
        The entries: convention rules ordered by id, then the review rules
        (PR000...), then the ruff codes the catalog cites, in catalog order.
    """
    from pattern_review.agent_file import builtin_agent_file
    from pattern_review.catalog import REVIEW_RULES, RUFF_MAPPINGS
    from pattern_review.conventions.registry import all_rules
    from pattern_review.report import pattern_title

    agent = builtin_agent_file()
    entries = [
        CatalogEntry(rule.ID, rule.PATTERN, rule.SEVERITY, rule.SUMMARY, "convention")
        for rule in all_rules()
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
        entries.append(
            CatalogEntry(
                mapping.prefix,
                mapping.pattern,
                mapping.severity,
                f"via ruff: {cited}",
                "ruff",
            )
        )
    return entries


def format_table(entries: list[CatalogEntry]) -> str:
    """Lay the catalog out as aligned columns.

    Args:
        entries: The catalog.

    Returns:
        A header line and one line per entry, ending in a newline.
    """
    rows = [("ID", "PATTERN", "SEVERITY", "SUMMARY")]
    rows += [(e.id, e.pattern, e.severity, e.summary) for e in entries]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = [
        "  ".join(
            cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)
        )
        + f"  {row[3]}"
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``rules`` verb.

    Args:
        subparsers: The CLI's subparsers.
    """
    parser = subparsers.add_parser(
        "rules",
        help="list the rule catalog: id, pattern, severity, summary",
        description=(
            "List every convention rule and every ruff code pattern-review cites "
            "to the agent file. `pattern-review explain ID` tells more."
        ),
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format"
    )
    parser.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    """Print the catalog.

    Args:
        args: Parsed arguments (``format``).

    Returns:
        0.
    """
    import json

    entries = catalog()
    if args.format == "json":
        print(json.dumps([asdict(entry) for entry in entries], indent=2))
    else:
        print(format_table(entries), end="")
    return 0
