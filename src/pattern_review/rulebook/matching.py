"""How one sentence of a rule is found in the team's agent file.

1. Both sides are reduced to word sets: markdown, backticks, punctuation and
   case do not matter, a plural ``s`` is dropped and filler words (``use``,
   ``the``, ``with`` ...) are left out.
2. Among the bullets and numbered rules of the section the rule cites, the
   one with the highest Jaccard similarity (shared words / all words) wins
   if it reaches ``SECTION_THRESHOLD``: an edited sentence still matches,
   unless the edit adds or drops a word that turns the rule around
   (``not``, ``never``, ``may``, ``optional`` ...: ``TURNING_WORDS``).
   Elsewhere in the file a sentence must be nearly the same
   (``MOVED_THRESHOLD``): it was moved, not rewritten.
3. A sentence that quotes the section's example code (the Celery task's
   decorator) matches when ``CODE_THRESHOLD`` of its words are in that code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

from pattern_review.rulebook.agent_file import AgentFile, Item

SECTION_THRESHOLD = 0.5
MOVED_THRESHOLD = 0.8
CODE_THRESHOLD = 0.8
# Words that carry no rule: an edit that only changes them is no edit.
STOPWORDS = frozenset(
    "a an and are as at be by for from in is it its of on or the to use via "
    "with every all always must should".split()
)
# Words that turn a rule around: an edit that adds or drops one ("may be
# sync or async") says something else, however many words it keeps.
TURNING_WORDS = frozenset(
    "not never no nor may optional optionally avoid unless except".split()
)
_WORD = re.compile(r"[a-z0-9_]+")

Where = Literal["section", "moved", "code"]


@cache
def words(text: str) -> frozenset[str]:
    """Reduce a sentence to the words that carry its meaning.

    Args:
        text: A sentence as written (markdown allowed).

    Returns:
        Lower-case words, ``_`` kept inside names (``get_db``), outer ``_``
        dropped (``__tablename__``), a plural ``s`` dropped, filler left out.
    """
    found: set[str] = set()
    for raw in _WORD.findall(text.lower()):
        word = raw.strip("_")
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        if word and word not in STOPWORDS:
            found.add(word)
    return frozenset(found)


def similarity(left: frozenset[str], right: frozenset[str]) -> float:
    """Return the Jaccard similarity of two word sets.

    Args:
        left: One sentence's words.
        right: The other's.

    Returns:
        Shared words over all words, 0.0 when both are empty.
    """
    union = left | right
    return len(left & right) / len(union) if union else 0.0


@dataclass(frozen=True)
class Match:
    """Where one sentence of a rule was found in the team's file.

    Attributes:
        sentence: The rule's sentence.
        score: Similarity of the best candidate (0.0 when none).
        where: ``section`` (the cited section), ``moved`` (another section)
            or ``code`` (the section's example code); None: not found.
        item: The matched bullet or numbered rule (None for code); for a
            sentence not found, the closest one, to show why.
        heading: The heading it stands under.
        turned: For a sentence not found, the turning words (``not`` ...)
            the closest bullet adds or drops.
    """

    sentence: str
    score: float
    where: Where | None
    item: Item | None = None
    heading: str = ""
    turned: Sequence[str] = ()

    @property
    def found(self) -> bool:
        """Whether the sentence is in the team's file."""
        return self.where is not None

    def describe(self) -> str:
        """Return the match in a few words, for ``pattern-review rules``.

        Returns:
            E.g. ``line 129 (0.67): Use `APIRouter` with `prefix```.
        """
        if self.where == "code" or self.item is None:
            if self.where == "code":
                return f"example code of {self.heading} ({self.score:.2f})"
            return "not found"
        if self.where is None:
            if self.score == 0:
                return "not found"
            turned = f", adds or drops {'/'.join(self.turned)}" if self.turned else ""
            return (
                f"not found; closest: line {self.item.line} ({self.score:.2f}"
                f"{turned}): {self.item.text}"
            )
        moved = f", moved to {self.heading}" if self.where == "moved" else ""
        return f"line {self.item.line}{moved} ({self.score:.2f}): {self.item.text}"


def _candidates(agent: AgentFile, slug: str) -> tuple[list[Item], list[Item]]:
    """Return the items of the section a slug cites, and all the others."""
    section = agent.section(slug)
    if section is None:
        return [], list(agent.items)
    own = [item for item in agent.items if item.heading == section.heading]
    if slug.startswith("style-rules#"):
        own = [item for item in own if item.number is not None]
    return own, [item for item in agent.items if item.heading != section.heading]


def _turned(wanted: frozenset[str], written: frozenset[str]) -> set[str]:
    """Return the turning words one sentence has and the other lacks."""
    return set((wanted ^ written) & TURNING_WORDS)


def match_sentence(agent: AgentFile, slug: str, sentence: str) -> Match:
    """Find one sentence of a rule in the team's agent file.

    Args:
        agent: The team's file.
        slug: The section the rule cites.
        sentence: The sentence the rule enforces.

    Returns:
        The best match; else a Match with ``where`` None and the closest
        bullet, to show why it did not match.
    """
    wanted = words(sentence)
    own, others = _candidates(agent, slug)
    best = Match(sentence, 0.0, None)
    passes: tuple[tuple[list[Item], Where, float], ...] = (
        (own, "section", SECTION_THRESHOLD),
        (others, "moved", MOVED_THRESHOLD),
    )
    for items, where, threshold in passes:
        for item in items:
            written = words(item.text)
            score = similarity(wanted, written)
            turned = _turned(wanted, written)
            if score >= threshold and not turned:
                if best.where is None or score > best.score:
                    best = Match(sentence, score, where, item, item.heading)
            elif best.where is None and score > best.score:
                best = Match(sentence, score, None, item, item.heading, sorted(turned))
        if best.where is not None:
            return best
    section = agent.section(slug)
    if section is not None and section.code_blocks and wanted:
        code = words("\n".join(section.code_blocks))
        contained = len(wanted & code) / len(wanted)
        if contained >= CODE_THRESHOLD:
            return Match(sentence, contained, "code", None, section.heading)
        if best.item is None and contained > best.score:
            best = Match(sentence, contained, None, None, section.heading)
    return best
