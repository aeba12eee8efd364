"""Which convention rules a review runs: plain data, without libcst.

Built by ``rulebook/binding.py`` from the team's agent file, read by the engine (in
its worker processes too), and cheap to import for a review that runs no
convention rule at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RuleSelection:
    """The rules a review runs: what the team's agent file still asks for.

    Plain data, so it crosses into the engine's worker processes as it is.

    Attributes:
        rules: Ids of the rules that run.
        variants: Rule id -> the variants of it that are on; a rule not
            listed checks all its variants.
        modules: The team's own rule modules (dotted names or absolute
            ``.py`` paths) to load beside the built-in families.
    """

    rules: frozenset[str]
    variants: Mapping[str, frozenset[str]] = field(default_factory=dict)
    modules: tuple[str, ...] = ()
