"""The team's agent file decides the rulebook, sentence by sentence.

Every convention rule is bound to the sentence(s) of the agent file it
enforces (``Rule.sentences()``), and every ruff code cited to a numbered
style rule to that rule's sentence in the built-in seed. When a review
starts, each sentence is looked for in the team's file:

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

A rule is on while one of its sentences matches; it is off when its section
or its sentences are gone, and the report says so. A rule with VARIANTS keeps
only the variants whose word the matched sentence still has. The config has
the last word: ``ignore`` turns a rule off, ``select`` brings one back.

Sentences no rule covers are the AI review's to check; ``coverage()`` maps
every bullet and numbered rule to what enforces it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pattern_review.config import Config
from pattern_review.conventions.selection import RuleSelection
from pattern_review.findings.suppressions import rule_matches
from pattern_review.models import CoverageItem, Finding, ReviewTarget
from pattern_review.rulebook.agent_file import CHECKLIST_TOOLS, AgentFile, Item
from pattern_review.rulebook.catalog import (
    RUFF_MAPPINGS,
    RUFF_STYLE_SELECT,
    heading_for,
)

if TYPE_CHECKING:
    # The rule classes come in as arguments: a review that runs no convention
    # rule never loads them (nor libcst).
    from pattern_review.conventions.rule import Rule

# What binding needs of each built-in rule, written from the rule classes
# (``write_rule_facts``): a review binds the rules to the agent file without
# importing them, and libcst, before its tools start. A test keeps it true.
RULE_FACTS = "rule_facts.json"

SECTION_THRESHOLD = 0.5
MOVED_THRESHOLD = 0.8
CODE_THRESHOLD = 0.8
# The report's one line names at most this many rules off.
MAX_IDS_LISTED = 8
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
Enforcer = Literal["convention", "ruff", "checklist", "ai", "nothing"]


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


@dataclass(frozen=True)
class CoverageRow:
    """One bullet or numbered rule of the agent file and what enforces it.

    Attributes:
        line: 1-based line in the agent file.
        section: The heading it stands under.
        slug: Its citation slug, None for a section that is not a pattern.
        text: The sentence as written.
        enforced_by: The strongest enforcer: ``convention``, ``ruff``,
            ``checklist``, ``ai`` (no static check: the AI reviews it) or
            ``nothing`` (not a citable pattern).
        rules: Convention rule ids bound to it.
        ruff: Ruff codes cited to it.
        tools: Checklist tools it names.
    """

    line: int
    section: str
    slug: str | None
    text: str
    enforced_by: Enforcer
    rules: tuple[str, ...] = ()
    ruff: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()


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
        off = self.off_patterns()
        kept: list[str] = []
        for code in select:
            cited = [
                m.pattern
                for m in RUFF_MAPPINGS
                if m.prefix.startswith(code) or code.startswith(m.prefix)
            ]
            if not cited or not all(pattern in off for pattern in cited):
                kept.append(code)
        return tuple(kept)

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
    from pattern_review.rulebook.agent_file import builtin_agent_file

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


def _row(
    agent: AgentFile, item: Item, enforcers: Mapping[int, list[Binding]]
) -> CoverageRow:
    slug = agent.slug_of(item.heading, item.number)
    bound = enforcers.get(item.line, [])
    rules = tuple(b.rule for b in bound if b.via == "convention")
    ruff = tuple(b.rule for b in bound if b.via == "ruff")
    tools: tuple[str, ...] = ()
    if slug == "completion-checklist":
        tools = tuple(n for n, p in CHECKLIST_TOOLS.items() if p.search(item.text))
    enforced: Enforcer
    if rules:
        enforced = "convention"
    elif ruff:
        enforced = "ruff"
    elif tools:
        enforced = "checklist"
    elif slug is not None:
        enforced = "ai"
    else:
        enforced = "nothing"
    return CoverageRow(
        item.line, item.heading, slug, item.text, enforced, rules, ruff, tools
    )


def coverage(agent: AgentFile, bindings: Sequence[Binding]) -> list[CoverageRow]:
    """Map every bullet and numbered rule of the file to what enforces it.

    A section whose rules live in its example code (the Celery Task Pattern)
    gets a row of its own for that code.

    Args:
        agent: The team's file.
        bindings: From :func:`build_rulebook`.

    Returns:
        Rows in file order.
    """
    by_line: dict[int, list[Binding]] = {}
    by_code: dict[str, list[str]] = {}
    for binding in bindings:
        if not binding.on:
            continue
        for match in binding.matches:
            if match.where == "code":
                by_code.setdefault(match.heading, []).append(binding.rule)
            elif match.found and match.item is not None:
                by_line.setdefault(match.item.line, []).append(binding)
    rows = [_row(agent, item, by_line) for item in agent.items]
    for section in agent.sections:
        coded = tuple(dict.fromkeys(by_code.get(section.heading, [])))
        if coded:
            rows.append(
                CoverageRow(
                    section.line,
                    section.heading,
                    agent.slug_of(section.heading),
                    f"(example code of {section.heading})",
                    "convention",
                    coded,
                )
            )
    rows.sort(key=lambda row: row.line)
    return rows


def _module_file(spec: str, target: ReviewTarget, folder: Path) -> str:
    """Return the absolute path a configured ``.py`` rule module is loaded from.

    Under ``pull_request_target`` the file is taken from the base commit
    (copied under ``folder``): the PR's own version is never loaded.
    """
    from pattern_review.conventions.team_rules import RuleModuleError
    from pattern_review.rulebook.agent_file import AgentFileError, inside_repo

    try:
        path, relative = inside_repo(target.repo, spec)
    except AgentFileError as exc:
        raise RuleModuleError(str(exc).replace("agent file", "rule module")) from exc
    if not target.safe_mode:
        if not path.is_file():
            raise RuleModuleError(f"rule module {spec} does not exist")
        return str(path)
    from pattern_review import git

    data = git.show_file(target.repo, target.base, relative)
    if data is None:
        raise RuleModuleError(f"rule module {spec} does not exist at base")
    copy = folder / "team-rules" / target.base / relative
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes(data)
    return str(copy)


def _installed_module(name: str, target: ReviewTarget) -> str:
    """Refuse, in safe mode, a module name that Python would find in the PR."""
    if target.safe_mode:
        import importlib.util

        from pattern_review.conventions.team_rules import RuleModuleError

        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError) as exc:
            raise RuleModuleError(f"rule module {name} cannot be found: {exc}") from exc
        origin = Path(spec.origin) if spec and spec.origin else None
        if origin is not None and origin.resolve().is_relative_to(
            target.repo.resolve()
        ):
            raise RuleModuleError(
                f"rule module {name} resolves to the pull request's own files; "
                "under pull_request_target only installed modules or base-commit "
                "files load"
            )
    return name


def rulebook_for(
    target: ReviewTarget,
    config: Config,
    agent: AgentFile,
    folder: Path,
    *,
    conventions: bool = True,
) -> Rulebook:
    """Build the rulebook of one review: built-in rules and the team's own.

    Args:
        target: What is reviewed (its repo holds the team's rule modules).
        config: ``rule_modules``, ``ignore`` and ``select``.
        agent: The team's agent file.
        folder: A writable folder outside the work tree (safe mode copies
            base-commit rule modules there).
        conventions: Whether the convention rules run; when they do not,
            only ruff codes are bound, and the sentences the rules would
            enforce are the AI's.

    Returns:
        The rulebook.

    Raises:
        RuleModuleError: A team rule module is missing or breaks the contract.
    """
    if not conventions:
        return build_rulebook(agent, config, rules=[])
    modules = tuple(
        _module_file(spec, target, folder)
        if spec.endswith(".py")
        else _installed_module(spec, target)
        for spec in config.rule_modules
    )
    team: Sequence[type[Rule]] = ()
    if modules:
        # Only a team's own rules are imported here (with libcst); the
        # built-in ones bind from their facts.
        from pattern_review.conventions.team_rules import team_rules

        team = team_rules(modules)
    return build_rulebook(
        agent,
        config,
        [*builtin_rule_facts(), *team],
        modules,
        frozenset(rule.ID for rule in team),
    )


def coverage_items(rulebook: Rulebook) -> list[CoverageItem]:
    """Return the coverage as report data.

    Args:
        rulebook: The review's rulebook.

    Returns:
        One item per row, enforcers listed rule ids first, then ruff codes,
        then checklist tools.
    """
    return [
        CoverageItem(
            line=row.line,
            section=row.section,
            pattern=row.slug,
            text=row.text,
            enforced_by=row.enforced_by,
            rules=[*row.rules, *row.ruff, *row.tools],
        )
        for row in rulebook.rows
    ]
