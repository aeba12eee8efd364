"""Every convention rule, collected from the family modules in ``rules/``."""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Loaded with the rules when they are asked for: importing the registry
    # (the SARIF report does) does not load libcst.
    from pattern_review.conventions.rule import Rule

# Rules live one family per module, each module named after its family.
FAMILY_MODULES: tuple[str, ...] = (
    "router",
    "schema",
    "model",
    "service",
    "task",
    "style",
    "errors",
)


@cache
def all_rules() -> tuple[type[Rule], ...]:
    """Return every rule class, ordered by id.

    Returns:
        The rule classes defined in the family modules.
    """
    from pattern_review.conventions.rule import Rule

    found: dict[str, type[Rule]] = {}
    for family in FAMILY_MODULES:
        module = importlib.import_module(f"pattern_review.conventions.rules.{family}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Rule)
                and value.ID
                and value.__module__ == module.__name__
            ):
                found[value.ID] = value
    return tuple(found[rule_id] for rule_id in sorted(found))


def rule_by_id(rule_id: str) -> type[Rule] | None:
    """Return the rule with this id, or None.

    Args:
        rule_id: A rule id such as ``RTR001`` (case-insensitive).

    Returns:
        The rule class, or None when no rule has the id.
    """
    wanted = rule_id.upper()
    return next((rule for rule in all_rules() if rule.ID == wanted), None)
