"""The rulebook of one review: every rule's binding and the file's coverage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from pattern_review.config import Config
from pattern_review.conventions.selection import RuleSelection
from pattern_review.models import Finding
from pattern_review.rulebook.agent_file import AgentFile
from pattern_review.rulebook.binding import Binding, bind_ruff, bind_rule
from pattern_review.rulebook.catalog import (
    RUFF_MAPPINGS,
    RUFF_STYLE_SELECT,
    heading_for,
)
from pattern_review.rulebook.coverage import CoverageRow, coverage
from pattern_review.rulebook.facts import RuleFacts, builtin_rule_facts

if TYPE_CHECKING:
    from pattern_review.conventions.rule import Rule

# The report's one line names at most this many rules off.
MAX_IDS_LISTED = 8


@dataclass(frozen=True)
class Rulebook:
    """What the team's agent file turns on, and why.

    Attributes:
        agent_path: The agent file matched.
        bindings: Convention rules, then ruff codes.
        rows: The coverage of every bullet and numbered rule.
        modules: The team's rule modules, as loaded.
    """

    agent_path: str
    bindings: tuple[Binding, ...]
    rows: tuple[CoverageRow, ...] = ()
    modules: tuple[str, ...] = ()
    _by_rule: Mapping[str, Binding] = field(default_factory=dict, compare=False)
    # ruff_select's answers: every ruff run asks (hundreds on a large PR).
    _selects: dict[tuple[str, ...], tuple[str, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def binding(self, rule: str) -> Binding | None:
        """Return the binding of a rule id or ruff prefix, if any.

        Args:
            rule: A convention rule id or a ruff mapping prefix.

        Returns:
            The binding, or None.
        """
        if not self._by_rule:
            object.__setattr__(self, "_by_rule", {b.rule: b for b in self.bindings})
        return self._by_rule.get(rule)

    def selection(self) -> RuleSelection:
        """Return the convention rules and variants that run.

        Returns:
            Plain data for the engine.
        """
        on = [b for b in self.bindings if b.via == "convention" and b.on]
        return RuleSelection(
            rules=frozenset(b.rule for b in on),
            variants={b.rule: b.variants for b in on if b.declared},
            modules=self.modules,
        )

    def key(self) -> str:
        """Return a stable text of what runs, for the result cache's key.

        Returns:
            The rules and variants on, the modules, and the off patterns.
        """
        chosen = self.selection()
        parts = [
            ",".join(sorted(chosen.rules)),
            ";".join(
                f"{r}={','.join(sorted(v))}" for r, v in sorted(chosen.variants.items())
            ),
            ",".join(self.modules),
            ",".join(sorted(self.off_patterns())),
        ]
        return "\n".join(parts)

    def off(self) -> list[Binding]:
        """Return the convention rules the agent file turned off.

        Returns:
            Bindings in id order (config ``ignore`` is not counted).
        """
        return [b for b in self.bindings if b.via == "convention" and b.by_agent_file]

    def off_patterns(self) -> frozenset[str]:
        """Return the slugs whose ruff codes are off.

        Returns:
            Style rules (``style-rules#4``) or sections the file no longer has.
        """
        return frozenset(
            b.pattern for b in self.bindings if b.via == "ruff" and b.by_agent_file
        )

    def ruff_select(self, select: Sequence[str] = RUFF_STYLE_SELECT) -> tuple[str, ...]:
        """Drop the codes whose style rule is off from what ruff adds.

        Args:
            select: The codes pattern-review adds to the target's selection.

        Returns:
            The codes still asked for by the team's file.
        """
        asked = tuple(select)
        if asked in self._selects:
            return self._selects[asked]
        off = self.off_patterns()
        kept: list[str] = []
        for code in asked:
            cited = [
                m.pattern
                for m in RUFF_MAPPINGS
                if m.prefix.startswith(code) or code.startswith(m.prefix)
            ]
            if not cited or not all(pattern in off for pattern in cited):
                kept.append(code)
        self._selects[asked] = tuple(kept)
        return self._selects[asked]

    def recite(self, finding: Finding) -> Finding:
        """Cite a ruff finding of an off style rule to the Completion Checklist.

        The code was left out of what pattern-review adds, so a finding of it
        comes from the team's own ruff config: the checklist's "zero
        violations", not a sentence the file no longer has.

        Args:
            finding: Any finding.

        Returns:
            The finding, re-cited when its pattern is off.
        """
        if finding.source == "ruff" and finding.pattern in self.off_patterns():
            return finding.model_copy(update={"pattern": "completion-checklist"})
        return finding

    def notice(self) -> str:
        """Return the one line a report gives about rules turned off.

        Returns:
            E.g. ``3 rules off: their sentences are not in your agent file
            (RTR005, SVC003, SVC004)``, with the ruff codes of style rules
            the file dropped; empty when everything is on.
        """
        off = self.off()
        parts: list[str] = []
        if off:
            ids = ", ".join(b.rule for b in off[:MAX_IDS_LISTED])
            if len(off) > MAX_IDS_LISTED:
                ids += f", … {len(off) - MAX_IDS_LISTED} more"
            gone = {b.pattern for b in off if b.reason.startswith("section")}
            what = "their sentences are not in your agent file"
            if gone and all(b.pattern in gone for b in off):
                titles = sorted({heading_for(slug) for slug in gone})
                what = (
                    f"your agent file has no {titles[0]} section"
                    if len(titles) == 1
                    else f"your agent file has none of the sections {', '.join(titles)}"
                )
            noun = "rule" if len(off) == 1 else "rules"
            parts.append(f"{len(off)} {noun} off: {what} ({ids})")
        codes = [b.rule for b in self.bindings if b.via == "ruff" and b.by_agent_file]
        if codes:
            listed = ", ".join(codes[:MAX_IDS_LISTED])
            if len(codes) > MAX_IDS_LISTED:
                listed += f", … {len(codes) - MAX_IDS_LISTED} more"
            parts.append(
                f"ruff {listed} not added: their style rules are not in your agent file"
            )
        return "; ".join(parts)

    def uncovered(self) -> list[CoverageRow]:
        """Return the sentences no static check covers: the AI review's.

        Returns:
            Coverage rows enforced by ``ai``, in file order.
        """
        return [row for row in self.rows if row.enforced_by == "ai"]


def build_rulebook(
    agent: AgentFile,
    config: Config,
    rules: Sequence[type[Rule] | RuleFacts] | None = None,
    modules: tuple[str, ...] = (),
    team: frozenset[str] = frozenset(),
) -> Rulebook:
    """Match the team's agent file against every rule.

    Args:
        agent: The team's file (or the built-in seed).
        config: ``ignore`` / ``select``.
        rules: The rule classes (or their facts); None means the built-in
            catalog.
        modules: The team's rule modules the rules came from.
        team: Ids of the team's own rules.

    Returns:
        The rulebook: a binding per rule and ruff code, and the coverage.
    """
    if rules is None:
        rules = builtin_rule_facts()
    classes = list(rules)
    bindings = [bind_rule(agent, rule, config) for rule in classes]
    bindings = [replace(b, team=True) if b.rule in team else b for b in bindings]
    bindings += [bind_ruff(agent, m.prefix, m.pattern) for m in RUFF_MAPPINGS]
    rows = coverage(agent, bindings)
    return Rulebook(agent.path, tuple(bindings), tuple(rows), modules)
