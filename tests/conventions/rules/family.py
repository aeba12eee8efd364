"""What the engine reports on a snippet of one role, for the rule-family tests."""

from __future__ import annotations

import textwrap

from pattern_review.config import Config, Role
from pattern_review.conventions.engine import lint_source
from pattern_review.models import Finding
from pattern_review.rulebook.agent_file import parse_agent_file
from tests.conftest import SEED_AGENT_FILE


def seed_code(slug: str) -> str:
    """Return the first code block of a section of the seed agent file."""
    agent = parse_agent_file(SEED_AGENT_FILE.read_text(encoding="utf-8"), "seed.md")
    section = agent.section(slug)
    assert section is not None
    return section.code_blocks[0]


def lint_as(code: str, role: Role | None, path: str) -> list[Finding]:
    """Lint dedented ``code`` at ``path`` as ``role`` (None: detect the roles)."""
    return lint_source(
        path,
        textwrap.dedent(code),
        Config(),
        roles=None if role is None else frozenset({role}),
    )


def found_as(role: Role, code: str) -> list[tuple[str, int, int]]:
    """Lint ``code`` as a module of ``role``; return (rule, line, column) rows.

    Every rule that fires is listed, not only the family's: a rule of another
    family firing on the same code shows up in the expected rows.
    """
    findings = lint_source(
        f"app/{role}_module.py", code, Config(), roles=frozenset({role})
    )
    return [(f.rule, f.line, f.column) for f in findings]
