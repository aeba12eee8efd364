"""The shipped facts of the built-in rules: reading them, and writing them anew.

Binding needs only a rule's id, pattern, variants and sentences. The built-in
rules' facts are written from the rule classes into ``data/rule_facts.json``
(``write_rule_facts``), so a review binds them to the agent file without
importing the classes, and libcst, before its tools start. A test keeps the
file true to the classes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pattern_review.conventions.rule import Rule

RULE_FACTS = "rule_facts.json"


@dataclass(frozen=True)
class RuleFacts:
    """What binding needs of a rule, without its class (or libcst).

    Attributes:
        ID: The rule id.
        PATTERN: The citation slug of the section it enforces.
        VARIANTS: Parts of its sentence it checks separately.
        SENTENCES: The agent-file sentences it is bound to.
    """

    ID: str
    PATTERN: str
    VARIANTS: Mapping[str, str]
    SENTENCES: tuple[str, ...]

    def sentences(self) -> tuple[str, ...]:
        """Return the agent-file sentences the rule is bound to.

        Returns:
            ``SENTENCES``, as ``Rule.sentences()`` gives them.
        """
        return self.SENTENCES

    @classmethod
    def of(cls, rule: type[Rule]) -> RuleFacts:
        """Take the facts of a rule class.

        Args:
            rule: The class.

        Returns:
            Its facts.
        """
        return cls(rule.ID, rule.PATTERN, dict(rule.VARIANTS), rule.sentences())


@cache
def builtin_rule_facts() -> tuple[RuleFacts, ...]:
    """Return the facts of every built-in rule, in id order.

    Returns:
        What ``data/rule_facts.json`` holds.
    """
    text = resources.files("pattern_review.data").joinpath(RULE_FACTS).read_text()
    return tuple(
        RuleFacts(
            item["ID"],
            item["PATTERN"],
            dict(item["VARIANTS"]),
            tuple(item["SENTENCES"]),
        )
        for item in json.loads(text)
    )


def rule_facts_json(rules: Sequence[type[Rule]]) -> str:
    """Render the facts of rule classes as ``data/rule_facts.json`` holds them.

    Args:
        rules: The classes (``all_rules()``).

    Returns:
        JSON text.
    """
    facts = [RuleFacts.of(rule) for rule in rules]
    items = [
        {
            "ID": f.ID,
            "PATTERN": f.PATTERN,
            "VARIANTS": dict(f.VARIANTS),
            "SENTENCES": list(f.SENTENCES),
        }
        for f in facts
    ]
    return json.dumps(items, indent=1, ensure_ascii=False) + "\n"


def write_rule_facts() -> Path:
    """Write ``data/rule_facts.json`` from the rule classes (after editing one).

    Returns:
        The file written.
    """
    from pattern_review.conventions.registry import all_rules

    target = Path(__file__).parents[1] / "data" / RULE_FACTS
    target.write_text(rule_facts_json(all_rules()), encoding="utf-8")
    return target
