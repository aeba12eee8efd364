"""The agent definition file: its sections, style rules and Completion Checklist.

The file is the rulebook a review cites. Teams keep it in their repo
(``.claude/agents/*.md``); without one, the built-in copy of the seed is used.
Headings are matched to citation slugs loosely (case, punctuation and a
trailing parenthesis do not matter) so a team may reword them a little.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from pattern_review.rulebook.catalog import PATTERN_SECTIONS, STYLE_RULES_HEADING

BUILTIN_NAME = "backend-developer.md (built-in)"
AGENTS_DIR = Path(".claude") / "agents"
CHECKLIST_TOOLS: dict[str, re.Pattern[str]] = {
    "ruff-format": re.compile(r"\bruff\s+format\b"),
    "ruff": re.compile(r"\bruff\s+check\b"),
    "mypy": re.compile(r"\bmypy\b"),
    "pytest": re.compile(r"\bpytest\b"),
}
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_NUMBERED = re.compile(r"^(\d+)\.\s+(.*)$")
_BULLET_ITEM = re.compile(r"^(\s*)[-*+]\s+(.*)$")
_NUMBERED_ITEM = re.compile(r"^(\s*)(\d+)[.)]\s+(.*)$")
_FENCE = re.compile(r"^\s*(```|~~~)")


class AgentFileError(Exception):
    """The agent file cannot be read; the message says why in one line."""


@cache
def _normalize(heading: str) -> str:
    text = re.sub(r"\(.*?\)", "", heading).lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def github_anchor(heading: str) -> str:
    """Return the anchor GitHub gives a markdown heading.

    Args:
        heading: The heading text without the ``#`` marks.

    Returns:
        Lower-case, punctuation removed, spaces turned into hyphens.
    """
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


@dataclass
class Section:
    """One heading of the agent file and what stands under it.

    Attributes:
        heading: The heading text.
        level: Number of ``#`` marks.
        line: 1-based line of the heading.
        body: The text up to the next heading of the same or a higher level.
        code_blocks: The fenced code blocks of the body, in order.
    """

    heading: str
    level: int
    line: int
    body: str = ""
    code_blocks: list[str] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        """The heading's GitHub anchor."""
        return github_anchor(self.heading)


@dataclass(frozen=True)
class Item:
    """One bullet or numbered rule of the agent file (outside code blocks).

    Attributes:
        heading: The heading it stands under (the innermost one).
        line: 1-based line where it starts.
        text: Its words, continuation lines joined, markdown kept.
        number: Its number, for a numbered rule.
    """

    heading: str
    line: int
    text: str
    number: int | None = None


@dataclass
class AgentFile:
    """A parsed agent definition file.

    Attributes:
        path: Repo-relative path, or BUILTIN_NAME for the built-in copy.
        text: The whole file.
        sections: Every heading, in file order.
        style_rules: Style rule number -> its text.
        checklist_tools: Check names the Completion Checklist runs, in order.
        builtin: True for the built-in copy.
        items: Every bullet and numbered rule, in file order.
    """

    path: str
    text: str
    sections: list[Section]
    style_rules: dict[int, str]
    checklist_tools: list[str]
    builtin: bool = False
    items: list[Item] = field(default_factory=list)

    def slug_of(self, heading: str, number: int | None = None) -> str | None:
        """Return the citation slug of a heading (and numbered rule) of the file.

        Args:
            heading: A heading of this file.
            number: The item's number, for the Style Rules.

        Returns:
            ``router-pattern``, ``style-rules#4`` ..., or None for a section
            that is not a catalogued pattern (Expertise, a team's own).
        """
        key = _normalize(heading)
        if key == _normalize(STYLE_RULES_HEADING):
            return f"style-rules#{number}" if number else None
        for slug, wanted in PATTERN_SECTIONS.items():
            if _normalize(wanted) == key:
                return slug
        return None

    def section(self, slug: str) -> Section | None:
        """Return the section a citation slug names.

        Args:
            slug: A catalog slug (``router-pattern``, ``style-rules#4`` ...).

        Returns:
            The matching section, or None when the file has no such heading.
        """
        base = slug.split("#", 1)[0]
        wanted = (
            STYLE_RULES_HEADING if base == "style-rules" else PATTERN_SECTIONS.get(base)
        )
        if wanted is None:
            return None
        key = _normalize(wanted)
        return next((s for s in self.sections if _normalize(s.heading) == key), None)

    def rule_text(self, slug: str) -> str:
        """Return the agent file's own words for a slug.

        Args:
            slug: A catalog slug.

        Returns:
            The numbered style rule, the section's "Key rules" / bullets, or
            the heading; empty when the file lacks the section.
        """
        if slug.startswith("style-rules#"):
            number = int(slug.split("#", 1)[1])
            return self.style_rules.get(number, "")
        found = self.section(slug)
        if found is None:
            return ""
        bullets = [
            line.strip()[2:]
            for line in _without_code(found.body).splitlines()
            if line.strip().startswith("- ")
        ]
        return "\n".join(bullets) if bullets else found.heading

    def anchor(self, slug: str) -> str | None:
        """Return the GitHub anchor of the section a slug cites.

        Args:
            slug: A catalog slug.

        Returns:
            The anchor, or None when the file lacks the section.
        """
        found = self.section(slug)
        return found.anchor if found else None

    def url_for(self, slug: str, blob_base: str | None) -> str | None:
        """Return a link to the section a slug cites.

        Args:
            slug: A catalog slug.
            blob_base: ``https://host/owner/repo/blob/<sha>`` for links on
                GitHub, or None for a local review.

        Returns:
            The URL, or None where no link can be made (built-in rulebook
            without a GitHub location, or a missing section).
        """
        anchor = self.anchor(slug)
        if anchor is None or self.builtin or blob_base is None:
            return None
        return f"{blob_base.rstrip('/')}/{self.path}#{anchor}"


def _without_code(body: str) -> str:
    kept: list[str] = []
    inside = False
    for line in body.splitlines():
        if _FENCE.match(line):
            inside = not inside
            continue
        if not inside:
            kept.append(line)
    return "\n".join(kept)


def parse_agent_file(text: str, path: str, *, builtin: bool = False) -> AgentFile:
    """Parse an agent definition file.

    Args:
        text: The markdown text (YAML front matter allowed).
        path: Where it came from, for citations.
        builtin: Whether this is the built-in copy.

    Returns:
        The parsed file.
    """
    lines = text.splitlines()
    sections: list[Section] = []
    inside_code = False
    for number, line in enumerate(lines, start=1):
        if _FENCE.match(line):
            inside_code = not inside_code
            continue
        match = _HEADING.match(line)
        if match and not inside_code:
            sections.append(Section(match.group(2), len(match.group(1)), number))
    for index, section in enumerate(sections):
        end = len(lines)
        for later in sections[index + 1 :]:
            if later.level <= section.level:
                end = later.line - 1
                break
        section.body = "\n".join(lines[section.line : end])
        section.code_blocks = _code_blocks(section.body)
    agent = AgentFile(path, text, sections, {}, [], builtin, _items(lines, sections))
    style = agent.section("style-rules#1")
    if style is not None:
        agent.style_rules = _numbered_items(_without_code(style.body))
    checklist = agent.section("completion-checklist")
    if checklist is not None:
        body = checklist.body
        agent.checklist_tools = [
            name for name, pattern in CHECKLIST_TOOLS.items() if pattern.search(body)
        ]
    return agent


def _items(lines: list[str], sections: list[Section]) -> list[Item]:
    """Return the bullets and numbered rules, each under its innermost heading.

    An indented line that is not an item continues the item above it.
    """
    starts = {section.line: section.heading for section in sections}
    items: list[Item] = []
    heading = ""
    inside_code = False
    current: list[str] | None = None
    start = number = 0
    for line_number, line in enumerate(lines, start=1):
        if _FENCE.match(line):
            inside_code = not inside_code
        bullet = _BULLET_ITEM.match(line)
        numbered = _NUMBERED_ITEM.match(line)
        continues = (
            current is not None
            and not inside_code
            and line.startswith((" ", "\t"))
            and line.strip()
            and not bullet
            and not numbered
        )
        if continues and current is not None:
            current.append(line.strip())
            continue
        if current is not None:
            items.append(Item(heading, start, " ".join(current), number or None))
            current = None
        if inside_code or _FENCE.match(line):
            continue
        if line_number in starts:
            heading = starts[line_number]
        elif bullet and heading:
            current, start, number = [bullet.group(2).strip()], line_number, 0
        elif numbered and heading:
            current, start = [numbered.group(3).strip()], line_number
            number = int(numbered.group(2))
    if current is not None:
        items.append(Item(heading, start, " ".join(current), number or None))
    return items


def _code_blocks(body: str) -> list[str]:
    blocks: list[str] = []
    current: list[str] | None = None
    for line in body.splitlines():
        if _FENCE.match(line):
            if current is None:
                current = []
            else:
                blocks.append("\n".join(current) + "\n")
                current = None
        elif current is not None:
            current.append(line)
    return blocks


def _numbered_items(body: str) -> dict[int, str]:
    items: dict[int, str] = {}
    for line in body.splitlines():
        match = _NUMBERED.match(line.strip())
        if match:
            items[int(match.group(1))] = match.group(2).replace("**", "").strip()
    return items


def builtin_agent_file() -> AgentFile:
    """Return the built-in rulebook (a copy of the seed agent file).

    Returns:
        The parsed built-in file.
    """
    text = (
        resources.files("pattern_review.data")
        .joinpath("backend-developer.md")
        .read_text(encoding="utf-8")
    )
    return parse_agent_file(text, BUILTIN_NAME, builtin=True)


def inside_repo(repo: Path, configured: str) -> tuple[Path, str]:
    """Place a configured agent file path inside the work tree, or refuse it.

    The setting comes from the reviewed repo's config (a PR's own) or from a
    saved report: it must not read a file elsewhere on the runner.

    Args:
        repo: The work tree.
        configured: The path as configured.

    Returns:
        The file's resolved path, and its path relative to the work tree.

    Raises:
        AgentFileError: The path is absolute or leads out of the work tree
            (through ``..`` or a symbolic link).
    """
    if Path(configured).is_absolute():
        raise AgentFileError(
            f"agent file {configured} is an absolute path; give it relative to "
            "the repository"
        )
    root = repo.resolve()
    path = (root / configured).resolve()
    if not path.is_relative_to(root):
        raise AgentFileError(f"agent file {configured} is outside the repository")
    return path, path.relative_to(root).as_posix()


def find_agent_file(
    repo: Path, configured: str | None = None, start: Path | None = None
) -> AgentFile:
    """Find and parse the agent file a review of ``repo`` follows.

    Args:
        repo: The target's work tree.
        configured: The ``agent_file`` setting, relative to ``repo``.
        start: The reviewed project's folder inside ``repo``: its
            ``.claude/agents`` comes first, then each folder up to ``repo``.

    Returns:
        The configured file; else the first ``.claude/agents/*.md`` with a
        Completion Checklist, nearest the project first; else the built-in
        rulebook.

    Raises:
        AgentFileError: The configured file is missing, not UTF-8, or not
            inside ``repo``.
    """
    if configured:
        path, relative = inside_repo(repo, configured)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise AgentFileError(f"cannot read agent file {configured}: {exc}") from exc
        return parse_agent_file(text, relative)
    folders = [repo]
    if start is not None and start.is_relative_to(repo):
        folders = [start, *(p for p in start.parents if p.is_relative_to(repo))]
    for folder in folders:
        agents = folder / AGENTS_DIR
        if not agents.is_dir():
            continue
        for candidate in sorted(agents.glob("*.md")):
            try:
                text = candidate.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            parsed = parse_agent_file(text, candidate.relative_to(repo).as_posix())
            if parsed.section("completion-checklist") is not None:
                return parsed
    return builtin_agent_file()
