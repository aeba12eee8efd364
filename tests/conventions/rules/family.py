"""What the engine reports on a snippet of one role, for the rule-family tests."""

from __future__ import annotations

from pattern_review.config import Config, Role
from pattern_review.conventions.engine import lint_source


def found_as(role: Role, code: str) -> list[tuple[str, int, int]]:
    """Lint ``code`` as a module of ``role``; return (rule, line, column) rows.

    Every rule that fires is listed, not only the family's: a rule of another
    family firing on the same code shows up in the expected rows.
    """
    findings = lint_source(
        f"app/{role}_module.py", code, Config(), roles=frozenset({role})
    )
    return [(f.rule, f.line, f.column) for f in findings]
