"""The one sentence of the agent file a finding's rule is bound to, and its line.

The rulebook binds every convention rule to its sentence(s), every ruff code
cited to a numbered style rule to that rule, and each checklist tool to its
Completion Checklist line (rulebook/coverage.py). A finding quotes that
sentence, not the first bullets of its section.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from pattern_review.config import Config
from pattern_review.models import Finding
from pattern_review.rulebook.agent_file import AgentFile
from pattern_review.rulebook.book import build_rulebook
from pattern_review.rulebook.catalog import cite_ruff_code
from pattern_review.rulebook.coverage import CoverageRow

# The sentence of a section whose rules live in its example code.
_CODE_ROW = "(example code of "


@dataclass(frozen=True)
class Citation:
    """A sentence of the agent file and where it stands.

    Attributes:
        line: Its 1-based line in the agent file.
        text: The sentence as written (markdown kept), or, for rules that
            live in a section's example code, a phrase saying so.
        code: The sentence is the section's example code.
    """

    line: int
    text: str
    code: bool = False


@dataclass(frozen=True)
class _Index:
    rules: dict[str, Citation]
    ruff: dict[str, Citation]
    tools: dict[str, Citation]


def _citation(row: CoverageRow) -> Citation:
    if row.text.startswith(_CODE_ROW):
        return Citation(row.line, f"the {row.section}'s example code", code=True)
    return Citation(row.line, row.text)


# Agent file id -> (the file, kept alive so the id is not reused; its index).
_INDEXES: dict[int, tuple[AgentFile, _Index]] = {}
_KEEP_INDEXES = 8


def _index(agent: AgentFile) -> _Index:
    cached = _INDEXES.get(id(agent))
    if cached is not None and cached[0] is agent:
        return cached[1]
    rules: dict[str, Citation] = {}
    ruff: dict[str, Citation] = {}
    tools: dict[str, Citation] = {}
    # The rules' sentences are the team's file's; config only turns rules
    # on or off, which does not move a sentence.
    for row in build_rulebook(agent, Config()).rows:
        if row.credited:
            continue  # its enforcers are bound to (and quote) another sentence
        for rule in row.rules:
            rules.setdefault(rule, _citation(row))
        for prefix in row.ruff:
            ruff.setdefault(prefix, _citation(row))
        for tool in row.tools:
            tools.setdefault(tool, _citation(row))
    if len(_INDEXES) >= _KEEP_INDEXES:
        _INDEXES.clear()
    _INDEXES[id(agent)] = (agent, _Index(rules, ruff, tools))
    return _INDEXES[id(agent)][1]


def bound_sentence(agent: AgentFile, finding: Finding) -> Citation | None:
    """Return the sentence of the agent file a finding's rule is bound to.

    Args:
        agent: The agent file the review cites.
        finding: Any finding.

    Returns:
        Its citation: the rule's own sentence, the numbered style rule of a
        ruff code, or the checklist line of the tool; None when the file
        has none (a team rule, an AI finding, a sentence removed).
    """
    index = _index(agent)
    if finding.source == "convention" and finding.rule in index.rules:
        return index.rules[finding.rule]
    if finding.source == "ruff":
        prefix = cite_ruff_code(finding.rule).prefix
        if prefix in index.ruff and finding.pattern != "completion-checklist":
            return index.ruff[prefix]
    if finding.source in index.tools:
        return index.tools[finding.source]
    return None


# Where the built-in agent file lies in pattern-review's own repository.
BUILTIN_SOURCE = "src/pattern_review/data/backend-developer.md"
_ACTION_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


def builtin_source_url(environ: Mapping[str, str] | None = None) -> str | None:
    """Return the URL of the built-in agent file in the action's own repository.

    The runner names the repository and ref of the action that runs
    (``GITHUB_ACTION_REPOSITORY``, ``GITHUB_ACTION_REF``): that is the copy
    this run ships, line for line. A run from a local path or outside
    Actions has neither, and gets no link rather than a guessed one.

    Args:
        environ: The environment; None reads this process's.

    Returns:
        ``https://host/owner/pattern-review/blob/<ref>/<BUILTIN_SOURCE>``, or
        None.
    """
    env = os.environ if environ is None else environ
    repository = env.get("GITHUB_ACTION_REPOSITORY", "").strip()
    ref = env.get("GITHUB_ACTION_REF", "").strip()
    server = env.get("GITHUB_SERVER_URL", "").strip().rstrip("/")
    if not (_ACTION_REPOSITORY.fullmatch(repository) and ref and server):
        return None
    if not server.startswith(("https://", "http://")):
        return None
    return f"{server}/{repository}/blob/{quote(ref, safe='')}/{BUILTIN_SOURCE}"


def sentence_url(agent: AgentFile, line: int, blob_base: str | None) -> str | None:
    """Return a link to one line of the agent file.

    Args:
        agent: The agent file.
        line: A 1-based line of it.
        blob_base: ``https://host/owner/repo/blob/<sha>``, or None.

    Returns:
        The URL of the line in the reviewed repository; for the built-in
        file, in the running action's own repository when the runner names
        it; None for a review without GitHub links.
    """
    if blob_base is None:
        return None
    if agent.builtin:
        source = builtin_source_url()
        return f"{source}#L{line}" if source else None
    return f"{blob_base.rstrip('/')}/{agent.path}#L{line}"
