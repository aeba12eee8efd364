"""Whether the team's agent file keeps a rule (or a ruff code) on, and why.

Every convention rule is bound to the sentence(s) of the agent file it
enforces (``Rule.sentences()``), and every ruff code cited to a numbered
style rule to that rule's sentence in the built-in seed; each sentence is
looked for in the team's file (:mod:`pattern_review.rulebook.matching`).

A rule is on while one of its sentences matches; it is off when its section
or its sentences are gone, and the report says so. A rule with VARIANTS keeps
only the variants whose word the matched sentence still has. The config has
the last word: ``ignore`` turns a rule off, ``select`` brings one back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Literal

from pattern_review.config import Config
from pattern_review.findings.suppressions import rule_matches
from pattern_review.rulebook.agent_file import AgentFile, builtin_agent_file
from pattern_review.rulebook.catalog import heading_for
from pattern_review.rulebook.facts import RuleFacts
from pattern_review.rulebook.matching import Match, match_sentence, words

if TYPE_CHECKING:
    # The rule classes come in as arguments: a review that runs no convention
    # rule never loads them (nor libcst).
    from pattern_review.conventions.rule import Rule


@dataclass(frozen=True)
class Binding:
    """A rule (or ruff code) and whether the team's agent file keeps it on.

    Attributes:
        rule: Convention rule id, or ruff code / prefix.
        pattern: The slug it cites.
        via: ``convention`` or ``ruff``.
        on: Whether it runs.
        reason: Why, in a few words.
        matches: One per bound sentence.
        variants: The variants on (empty when the rule declares none).
        declared: Every variant the rule declares.
        team: A team's own rule.
    """

    rule: str
    pattern: str
    via: Literal["convention", "ruff"]
    on: bool
    reason: str
    matches: tuple[Match, ...] = ()
    variants: frozenset[str] = frozenset()
    declared: tuple[str, ...] = ()
    team: bool = False

    @property
    def by_agent_file(self) -> bool:
        """Whether the agent file (not the config) turned the rule off."""
        return not self.on and not self.reason.startswith("ignored")


def _variants_on(
    rule: type[Rule] | RuleFacts, matches: Iterable[Match]
) -> frozenset[str]:
    said: set[str] = set()
    for match in matches:
        if match.item is not None:
            said |= words(match.item.text)
        elif match.found:
            said |= words(match.sentence)  # example code: as the rule words it
    return frozenset(
        name for name, word in rule.VARIANTS.items() if words(word) <= said
    )


def _overrides(rule_id: str, config: Config) -> str | None:
    if any(rule_matches(rule_id, entry) for entry in config.ignore):
        return "ignored by config"
    if config.select and not any(
        rule_matches(rule_id, entry) for entry in config.select
    ):
        return "ignored by config (not in select)"
    return None


def bind_rule(
    agent: AgentFile, rule: type[Rule] | RuleFacts, config: Config
) -> Binding:
    """Decide whether one convention rule runs for this agent file.

    Args:
        agent: The team's file.
        rule: The rule class, or its facts.
        config: ``ignore`` / ``select`` have the last word.

    Returns:
        The binding, with its reason.
    """
    declared = tuple(rule.VARIANTS)
    ignored = _overrides(rule.ID, config)
    selected = any(rule_matches(rule.ID, entry) for entry in config.select)
    matches = tuple(match_sentence(agent, rule.PATTERN, s) for s in rule.sentences())
    found = [m for m in matches if m.found]
    variants = _variants_on(rule, found) if declared else frozenset()
    off_reason = None
    if agent.section(rule.PATTERN) is None:
        off_reason = f"section {heading_for(rule.PATTERN)} is not in the agent file"
    elif not found:
        off_reason = "its sentence is not in the agent file"
    elif declared and not variants:
        off_reason = f"the sentence asks for none of {', '.join(declared)}"
    if ignored:
        on, reason = False, ignored
    elif off_reason is None:
        on, reason = True, "sentence found"
        if declared and variants != set(declared):
            reason += f"; checks {', '.join(sorted(variants))} only"
    elif selected:
        on, reason = True, f"selected by config, though {off_reason}"
        variants = frozenset(declared)
    else:
        on, reason = False, off_reason
    return Binding(
        rule.ID,
        rule.PATTERN,
        "convention",
        on,
        reason,
        matches,
        variants,
        declared,
    )


@cache
def _seed_style_rules() -> Mapping[int, str]:
    return builtin_agent_file().style_rules


def bind_ruff(agent: AgentFile, prefix: str, pattern: str) -> Binding:
    """Decide whether a ruff code cited to the agent file stays on.

    Args:
        agent: The team's file.
        prefix: The ruff code or prefix.
        pattern: The slug it cites.

    Returns:
        On while its numbered style rule (matched by the seed's words) or,
        for a section citation, the section is in the file.
    """
    if agent.section(pattern) is None:
        reason = f"section {heading_for(pattern)} is not in the agent file"
        return Binding(prefix, pattern, "ruff", False, reason)
    if not pattern.startswith("style-rules#"):
        return Binding(prefix, pattern, "ruff", True, "section found")
    seed = _seed_style_rules().get(int(pattern.split("#", 1)[1]), "")
    match = match_sentence(agent, pattern, seed)
    if not match.found:
        return Binding(
            prefix,
            pattern,
            "ruff",
            False,
            "its style rule is not in the agent file",
            (match,),
        )
    return Binding(prefix, pattern, "ruff", True, "style rule found", (match,))
