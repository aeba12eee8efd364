"""``pattern-review explain RULE``: one rule's documentation, like ``ruff rule``.

It answers what the rule does, why it matters (in the agent file's own
words), an example it flags, what to write instead, and the fix. A ruff code
that pattern-review cites gets its citation and a pointer to ``ruff rule``.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pattern_review.conventions.rule import Example, Rule
    from pattern_review.rulebook.agent_file import AgentFile
    from pattern_review.rulebook.catalog import ReviewRule, RuffMapping


HELP = "explain one rule: what, why (in the agent file's words), example, fix"
DESCRIPTION = (
    "Explain a rule id from a review: a convention rule (RTR001),"
    " a ruff code (E501), a review rule (PR000) or a tool's id (mypy:arg-type)."
)


def _code_block(code: str) -> list[str]:
    import textwrap

    return ["```python", textwrap.dedent(code).strip("\n"), "```"]


def _why(slug: str, agent: AgentFile) -> list[str]:
    """The agent file's words for a slug, falling back to the built-in file's."""
    from pattern_review.report.shared import pattern_title
    from pattern_review.rulebook.agent_file import builtin_agent_file

    source = agent
    words = agent.rule_text(slug)
    lines: list[str] = []
    if not words:
        source = builtin_agent_file()
        words = source.rule_text(slug)
        lines.append(f"{agent.path} has no section for {slug}; the built-in one says:")
    lines.append(f"{source.path} › {pattern_title(source, slug)} ({slug}):")
    lines.append("")
    lines += [f"> {line}" for line in words.splitlines()]
    return lines


def _example_notes(example: Example, rule: type[Rule]) -> list[str]:
    notes = []
    if example.role != "other":
        notes.append(f"(reviewed as a {example.role} file)")
    notes.append(f"Reported: {example.message or rule.MESSAGE}")
    return notes


def _bound_in(rule: type[Rule], agent: AgentFile) -> str:
    """Whether the agent file keeps the rule on, and the sentence it matched."""
    from pattern_review.config import Config
    from pattern_review.rulebook.binding import bind_rule

    binding = bind_rule(agent, rule, Config())
    if binding.on:
        said = "; ".join(match.describe() for match in binding.matches if match.found)
        only = f" ({binding.reason})" if binding.declared else ""
        return f"In {agent.path} it is on{only}: {said}."
    return f"In {agent.path} it is off: {binding.reason}."


def explain_rule(rule: type[Rule], agent: AgentFile) -> str:
    """Document one convention rule.

    Args:
        rule: The rule class.
        agent: The agent file whose words explain why.

    Returns:
        The text, sections titled as in ruff's rule docs.
    """
    import inspect

    roles = ", ".join(sorted(rule.ROLES)) if rule.ROLES else "all but test"
    lines = [
        f"# {rule.ID} ({rule.__name__})",
        "",
        f"Pattern: {rule.PATTERN} · Severity: {rule.SEVERITY} · Files: {roles}",
        "",
        "## What it does",
        "",
        # Docstrings use reST literals; a terminal reads markdown's better.
        inspect.cleandoc(rule.__doc__ or "").replace("``", "`") or rule.SUMMARY,
        "",
        "## Why is this bad?",
        "",
    ]
    if rule.AGENT_TEXT:
        lines += [f"This rule enforces: {rule.AGENT_TEXT}", ""]
    lines += [_bound_in(rule, agent), ""]
    lines += [*_why(rule.PATTERN, agent), ""]
    if rule.INVALID:
        example = rule.INVALID[0]
        lines += ["## Example", "", *_code_block(example.code)]
        lines += [*_example_notes(example, rule), ""]
    if rule.VALID:
        lines += ["## Use instead", "", *_code_block(rule.VALID[0].code), ""]
    lines += ["## Fix", "", rule.MESSAGE or rule.SUMMARY]
    suggested = next((e.suggestion for e in rule.INVALID if e.suggestion), None)
    if suggested is not None:
        lines += [
            "",
            "Where the fix is mechanical, the review suggests the replacement,",
            "e.g. for the example above:",
            "",
            *_code_block(suggested),
        ]
    return "\n".join(lines) + "\n"


def explain_ruff(code: str, mapping: RuffMapping, agent: AgentFile) -> str:
    """Document a ruff code pattern-review cites to the agent file.

    Args:
        code: The code asked about (``E501``) or a catalog prefix (``ANN``).
        mapping: Its entry in catalog.RUFF_MAPPINGS.
        agent: The agent file whose words explain why.

    Returns:
        The text: what runs it, the citation, and where ruff documents it.
    """
    from pattern_review.checks.ruff_check import SUPERSEDED_BY
    from pattern_review.rulebook.catalog import RUFF_STYLE_SELECT

    via = f" (catalog prefix {mapping.prefix})" if mapping.prefix != code else ""
    selected = any(code.startswith(p) or p.startswith(code) for p in RUFF_STYLE_SELECT)
    if code in SUPERSEDED_BY:
        runs = (
            f"pattern-review drops ruff's {code} findings: convention rule"
            f" {SUPERSEDED_BY[code]} checks the same with the agent file's"
            f" exceptions (`pattern-review explain {SUPERSEDED_BY[code]}`)."
        )
    elif selected:
        runs = (
            "pattern-review runs ruff with it selected, so it applies even when"
            " the project's ruff configuration leaves it out, and cites each"
            " finding to the agent file."
        )
    else:
        runs = (
            "pattern-review does not add it to ruff's selection: when the"
            " project's ruff configuration selects it, each finding is cited to"
            " the agent file."
        )
    lines = [
        f"# {code} (via ruff)",
        "",
        f"Pattern: {mapping.pattern} · Severity: {mapping.severity}",
        "",
        "## What it does",
        "",
        f"ruff checks {code}{via}. {runs}",
        "",
        "## Why is this bad?",
        "",
        *_why(mapping.pattern, agent),
        "",
        "## Example, use instead, fix",
        "",
        f"See ruff's own documentation: `ruff rule {code}`."
        if re.fullmatch(r"[A-Z]+[0-9]{3,}", code)
        else f"{code} is a prefix: `ruff rule --all` lists its codes and their docs.",
    ]
    return "\n".join(lines) + "\n"


def explain_review_rule(rule: ReviewRule) -> str:
    """Document a finding pattern-review makes about the review itself.

    Args:
        rule: The review rule (PR000...).

    Returns:
        The text.
    """
    return "\n".join(
        [
            f"# {rule.id}",
            "",
            f"Pattern: completion-checklist · Severity: {rule.severity} · "
            "Files: every changed file",
            "",
            "## What it does",
            "",
            f"{rule.summary}.",
            "",
            "## What to do",
            "",
            rule.advice,
            "",
        ]
    )


def explain_tool_finding(rule_id: str) -> str | None:
    """Document a rule id that a checklist tool's finding carries.

    Args:
        rule_id: ``mypy:<code>``, ``pytest:<kind>``, ``ruff-format``,
            ``ruff-format:syntax``, ``invalid-syntax`` or a ruff code the
            catalog does not cite.

    Returns:
        The text, or None when the id is none of these.
    """
    from pattern_review.checks.mypy_check import ANNOTATION_CODES

    tool, _, code = rule_id.partition(":")
    slug = "completion-checklist"
    if tool.lower() == "mypy" and code:
        if code in ANNOTATION_CODES:
            slug = "style-rules#2"
        what = (
            f"mypy reported an error with code `{code}` in a changed file "
            "(the Completion Checklist's type check, `uv run mypy`)."
        )
        more = (
            "mypy's list of error codes: "
            "https://mypy.readthedocs.io/en/stable/error_code_list.html"
        )
    elif tool.lower() == "pytest" and code:
        what = (
            f"A test related to the change ended as `{code}` (the Completion "
            "Checklist's tests: `uv run pytest` on the changed modules' tests)."
        )
        more = "Run the test locally with `uv run pytest <file>::<test>`."
    elif rule_id.lower().startswith("ruff-format"):
        what = (
            "`ruff format` would change these lines, or cannot parse the file "
            "(the Completion Checklist's formatting step)."
        )
        more = "Run `uv run ruff format <file>`."
    elif rule_id.lower() == "invalid-syntax":
        what = (
            "ruff found a syntax error (the Completion Checklist's lint step): "
            "the file does not parse, or uses syntax the project's Python "
            "version lacks."
        )
        more = "Fix it; a file that does not parse cannot be checked by any tool."
    elif (known := _ruff_rule(rule_id.upper())) is not None:
        what = (
            f"ruff's {known['linter']} rule `{known['name']}`, reported under the "
            "project's own ruff settings (the Completion Checklist's lint "
            "step); the agent file cites no style rule for it."
        )
        more = f"See ruff's documentation: `ruff rule {rule_id.upper()}`."
    else:
        return None
    lines = [f"# {rule_id}", "", f"Pattern: {slug}", "", what, "", more, ""]
    return "\n".join(lines)


def _ruff_rule(code: str) -> dict[str, str] | None:
    """Ask the bundled ruff about a code: its name and linter, or None."""
    import json
    import subprocess

    from pattern_review.projects.ruff_version import bundled_command

    if not re.fullmatch(r"[A-Z]+[0-9]+", code):
        return None
    argv = [*bundled_command(), "rule", code, "--output-format", "json"]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        data = json.loads(done.stdout) if done.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    return {key: str(data.get(key, "")) for key in ("name", "linter")}


def find_ruff_mapping(code: str) -> RuffMapping | None:
    """Return the catalog entry citing a ruff code, or None.

    Args:
        code: A ruff code (``E501``, ``ANN001``) or catalog prefix (``ANN``).

    Returns:
        The most specific mapping, or None when the catalog does not cite it.
    """
    from pattern_review.rulebook.catalog import RUFF_MAPPINGS, cite_ruff_code

    if not re.fullmatch(r"[A-Z]+[0-9]*", code):
        return None
    mapping = cite_ruff_code(code)
    return mapping if mapping in RUFF_MAPPINGS else None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the verb's options.

    Args:
        parser: The verb's parser.
    """
    parser.add_argument("rule", metavar="RULE", help="rule id or ruff code")
    parser.add_argument(
        "--agent-file",
        metavar="PATH",
        help="agent file whose words explain the rule (default: the built-in one)",
    )


def main(args: argparse.Namespace) -> int:
    """Print one rule's documentation.

    Args:
        args: Parsed arguments (``rule``, ``agent_file``).

    Returns:
        0, or 2 for an unknown rule or an unreadable agent file.
    """
    from pathlib import Path

    from pattern_review.conventions.registry import rule_by_id
    from pattern_review.rulebook.agent_file import builtin_agent_file, parse_agent_file
    from pattern_review.rulebook.catalog import review_rule

    if args.agent_file:
        path = Path(args.agent_file)
        try:
            agent = parse_agent_file(path.read_text(encoding="utf-8"), str(path))
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            print(
                f"pattern-review: cannot read agent file {path}: {reason}",
                file=sys.stderr,
            )
            return 2
    else:
        agent = builtin_agent_file()
    wanted = args.rule.strip().upper()
    rule = rule_by_id(wanted)
    if rule is not None:
        print(explain_rule(rule, agent), end="")
        return 0
    mapping = find_ruff_mapping(wanted)
    if mapping is not None:
        print(explain_ruff(wanted, mapping, agent), end="")
        return 0
    review = review_rule(wanted)
    tool = None if review else explain_tool_finding(args.rule.strip())
    if review is not None or tool is not None:
        print(explain_review_rule(review) if review else tool, end="")
        return 0
    print(
        f"pattern-review: unknown rule {args.rule!r} "
        "(`pattern-review rules` lists them all)",
        file=sys.stderr,
    )
    return 2
