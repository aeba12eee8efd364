"""Plain data types that carry a review from one stage to the next.

Data flows one way:
ReviewTarget -> checks -> Finding/CheckResult -> AI -> Report -> publishers.
Every stage takes and returns these types; none of them holds behaviour beyond
small derived properties.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["error", "warning", "note"]
Source = Literal["ruff-format", "ruff", "mypy", "pytest", "convention", "ai"]
CheckStatus = Literal["passed", "failed", "skipped", "error"]
Conclusion = Literal["success", "failure", "neutral"]
FilterMode = Literal["added", "diff_context", "file", "nofilter"]
FailOn = Literal["error", "warning", "never"]
FileStatus = Literal["added", "modified", "renamed", "deleted"]
AiStatus = Literal["ok", "skipped", "unavailable", "over_budget"]
# How a change to the standard moves it (see StandardChange).
ChangeDirection = Literal["weakens", "strengthens", "changes"]
# Files left out on purpose (not a failure to read them): generated code and
# the config's ``exclude`` globs.
SkipKind = Literal["generated", "excluded"]

# The skip reason of a changed file that is not Python (YAML, Markdown, ...).
NOT_PYTHON = "not a Python file"
SEVERITY_RANK: dict[str, int] = {"error": 3, "warning": 2, "note": 1}


class ChangedFile(BaseModel):
    """One file changed between base and head.

    Attributes:
        path: Path relative to the repo root, at head (the old path if deleted).
        status: How git saw the change.
        old_path: The path at base, for a rename.
        added_lines: 1-based head line numbers added or changed by the PR.
        hunks: Inclusive (start, end) head line ranges of each diff hunk,
            context lines included: the lines a review comment may target.
        removed_lines: How many base lines the PR removed or changed.
        skip_reason: Why the file is not reviewed (binary, deleted, not Python,
            not UTF-8, ...), or None when it is reviewed.
        project: Folder of the Python project the file belongs to, relative
            to the repo root (``.`` for the root; see projects/discovery.py).
        skip_kind: ``generated`` or ``excluded`` when the file is left out
            on purpose (its ``skip_reason`` says why); None otherwise.
    """

    model_config = ConfigDict(frozen=True)

    path: str
    status: FileStatus
    old_path: str | None = None
    added_lines: frozenset[int] = frozenset()
    hunks: tuple[tuple[int, int], ...] = ()
    removed_lines: int = 0
    skip_reason: str | None = None
    project: str = "."
    skip_kind: SkipKind | None = None

    @property
    def reviewed(self) -> bool:
        """Whether the checks look at this file."""
        return self.skip_reason is None

    def in_hunk(self, line: int) -> bool:
        """Return whether a head line lies inside one of the file's diff hunks.

        Args:
            line: A 1-based head line number.

        Returns:
            True when a review comment may be placed on that line.
        """
        return any(start <= line <= end for start, end in self.hunks)


# Path -> changed file, per ``files`` tuple (kept alive here, so its id is
# not reused); not on the model, whose equality and copies must not see it.
_FILE_INDEXES: dict[int, tuple[tuple[ChangedFile, ...], dict[str, ChangedFile]]] = {}
_KEEP_INDEXES = 8


class ReviewTarget(BaseModel):
    """What is reviewed: a repo, two commits, and the files between them.

    Attributes:
        repo: Absolute path of the git work tree.
        base: Full SHA of the base commit.
        head: Full SHA of the head commit.
        files: Every changed file, reviewed or skipped.
        repository: ``owner/name`` on GitHub, when known.
        pr: The pull request number, when known.
        event: The GitHub event that started the review, or ``local``.
        safe_mode: True when no code of the PR may be executed
            (``pull_request_target``): pytest and ``uv run`` are skipped.
        standard_from_base: True when pattern-review's own standard (its
            settings, agent file, rule modules, generated-code marks) is
            read from the base commit, not from the reviewed files
            (``rulebook/standard.py`` decides).
    """

    model_config = ConfigDict(frozen=True)

    repo: Path
    base: str
    head: str
    files: tuple[ChangedFile, ...] = ()
    repository: str | None = None
    pr: int | None = None
    event: str = "local"
    safe_mode: bool = False
    standard_from_base: bool = False

    @property
    def reviewed_files(self) -> list[ChangedFile]:
        """Changed files the checks look at, in path order."""
        return sorted((f for f in self.files if f.reviewed), key=lambda f: f.path)

    def file(self, path: str) -> ChangedFile | None:
        """Return the changed file at ``path``, or None if it did not change.

        Args:
            path: Path relative to the repo root.

        Returns:
            The changed file, or None.
        """
        files = self.files
        entry = _FILE_INDEXES.get(id(files))
        if entry is None or entry[0] is not files:
            # Built once per files tuple: a review looks a file up per finding.
            if len(_FILE_INDEXES) >= _KEEP_INDEXES:
                _FILE_INDEXES.clear()
            entry = (files, {changed.path: changed for changed in files})
            _FILE_INDEXES[id(files)] = entry
        return entry[1].get(path)


class Finding(BaseModel):
    """One problem found, citing the agent-file pattern it breaks.

    Attributes:
        rule: Stable rule id (``RTR001``, ``E501``, ``mypy:arg-type`` ...).
        pattern: Citation slug of the agent file section (see rulebook/catalog.py).
        source: The check that produced it.
        severity: ``error``, ``warning`` or ``note``.
        path: Path relative to the repo root.
        line: 1-based line.
        column: 1-based column.
        end_line: Last line of the finding (same as ``line`` for one line).
        message: What was found and what the pattern asks for.
        fingerprint: Stable id that does not depend on the line number.
        suggestion: Replacement text for lines ``line``..``end_line``, when
            the fix is safe and mechanical.
        project: Folder of the Python project the file belongs to (``.`` for
            the repo root), None when not known.
        introduced: False when the PR did not introduce it: it lies on no
            added line, or (ruff, formatting, conventions) the base version
            of the code already had it (see baseline/base_run.py).
    """

    rule: str
    pattern: str
    source: Source
    severity: Severity
    path: str
    line: int = Field(ge=1)
    column: int = Field(default=1, ge=1)
    end_line: int = Field(default=0, ge=0)
    message: str
    fingerprint: str = ""
    suggestion: str | None = None
    project: str | None = None
    introduced: bool = True

    def model_post_init(self, context: object, /) -> None:
        """Default ``end_line`` to ``line``.

        Args:
            context: Pydantic's validation context (unused).
        """
        if self.end_line < self.line:
            self.end_line = self.line


class CheckResult(BaseModel):
    """How one check went.

    Attributes:
        name: The check's name (see checks/registry.py).
        status: ``passed``, ``failed`` (it ran and found problems),
            ``skipped`` (not requested, or not allowed in safe mode) or
            ``error`` (it could not run: never reported as passed).
        duration_s: Wall time in seconds.
        detail: One line for a human: the reason for skip/error, or counts.
        output: What a command that failed printed (bounded), when the check
            could not run because of it; else empty.
    """

    name: str
    status: CheckStatus
    duration_s: float = 0.0
    detail: str = ""
    output: str = ""


class CheckOutcome(BaseModel):
    """What a check returns: its result and the findings it produced."""

    result: CheckResult
    findings: list[Finding] = Field(default_factory=list)


class AiInfo(BaseModel):
    """The AI section of a report.

    Attributes:
        status: ``ok``, ``skipped`` (no key or ``--no-ai``), ``unavailable``
            (errors, timeouts, unparseable) or ``over_budget``.
        model: The model asked, when one was.
        input_tokens: Input tokens billed.
        output_tokens: Output tokens billed.
        cache_read_tokens: Input tokens read from the prompt cache.
        cache_write_tokens: Input tokens written to the prompt cache.
        cost_usd: Estimated cost of the request(s).
        summary: The model's short verdict (sanitised), if any.
        notice: Why the AI section is missing or partial, for the reader.
        dropped: Model comments dropped by validation, by reason.
        not_sent: Changed files left out of the prompt by the budget.
    """

    status: AiStatus = "skipped"
    model: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0
    summary: str = ""
    notice: str = ""
    dropped: dict[str, int] = Field(default_factory=dict)
    not_sent: list[str] = Field(default_factory=list)


class TargetInfo(BaseModel):
    """Where the review belongs on GitHub."""

    repository: str | None = None
    pr: int | None = None
    event: str = "local"


class AddedSuppression(BaseModel):
    """A finding silenced by an ignore comment that the pull request adds.

    Listed in the report, so a human sees what the PR chose to hide.

    Attributes:
        path: Path relative to the repo root.
        line: The silenced finding's line.
        rule: The silenced finding's rule id.
        message: The silenced finding's message.
        comment_line: Line of the ignore comment (an added line).
        reason: The text after the comment's ``[...]``, if any.
    """

    path: str
    line: int
    rule: str
    message: str
    comment_line: int
    reason: str = ""


class CoverageItem(BaseModel):
    """One bullet or numbered rule of the agent file and what enforces it.

    Attributes:
        line: Its line in the agent file.
        section: The heading it stands under.
        pattern: Its citation slug, None when the section is not a pattern.
        text: The sentence as written.
        enforced_by: ``convention``, ``ruff``, ``checklist``, ``ai`` (only
            the AI review checks it) or ``nothing``.
        rules: Convention rule ids, ruff codes and checklist tools behind it.
    """

    line: int
    section: str
    pattern: str | None
    text: str
    enforced_by: str
    rules: list[str] = Field(default_factory=list)


class StandardChange(BaseModel):
    """A change the PR makes to how it is judged: listed, not obeyed.

    Attributes:
        path: The file that carries the change (``pyproject.toml``).
        what: What changed, in a few words (``setting fail-on``).
        base: The base commit's value, as text; None when it had none.
        head: The PR's value, as text; None when the PR removes it.
        effect: What the change does to this review, in words.
        direction: ``weakens`` when it narrows what is examined or how it is
            judged (a finding), ``strengthens`` when it only widens or
            tightens them, ``changes`` when neither can be told.
        rule: The ``PR1xx`` finding a weakening change raised, else None.
        line: The head line that carries the change, when known.
    """

    path: str
    what: str
    base: str | None = None
    head: str | None = None
    effect: str
    direction: ChangeDirection = "changes"
    rule: str | None = None
    line: int | None = None


class Report(BaseModel):
    """The whole review: the JSON report, and what every output reads.

    Attributes:
        version: Schema version of the JSON report.
        conclusion: ``success``, ``failure`` or ``neutral``.
        base: Base commit SHA.
        head: Head commit SHA.
        target: Repository, PR and event.
        findings: Every finding that passed the filter, most severe first.
        checks: One result per check, in the registry's order.
        ai: The AI section.
        agent_file: Path of the agent file the citations point to.
        skipped_files: Changed files not reviewed, with the reason.
        pre_existing: Findings in the changed files that the PR did not
            introduce, left out of ``findings`` by the ``added`` filter mode.
        diff_hunks: Head-side hunk ranges of each reviewed file, so a saved
            report can be published (inline comments placed) without the repo.
        safe_mode: True when the review ran without executing PR code.
        added_suppressions: Findings silenced by ignore comments the PR adds.
        rulebook_notice: Which rules the team's agent file turned off, in
            one line (empty when all are on).
        coverage: What enforces each sentence of the agent file, when the
            PR changed that file (else None).
        standard_changes: What the PR changes in pattern-review's own
            standard (settings, agent file, rule modules, generated marks);
            the base commit's standard judged it.
    """

    version: int = 1
    conclusion: Conclusion
    base: str
    head: str
    target: TargetInfo = Field(default_factory=TargetInfo)
    findings: list[Finding] = Field(default_factory=list)
    checks: list[CheckResult] = Field(default_factory=list)
    ai: AiInfo = Field(default_factory=AiInfo)
    agent_file: str | None = None
    skipped_files: dict[str, str] = Field(default_factory=dict)
    pre_existing: int = 0
    diff_hunks: dict[str, list[tuple[int, int]]] = Field(default_factory=dict)
    safe_mode: bool = False
    added_suppressions: list[AddedSuppression] = Field(default_factory=list)
    rulebook_notice: str = ""
    coverage: list[CoverageItem] | None = None
    standard_changes: list[StandardChange] = Field(default_factory=list)

    @property
    def deterministic_findings(self) -> list[Finding]:
        """Findings from checks, not from the model."""
        return [f for f in self.findings if f.source != "ai"]


class FindingDelta(BaseModel):
    """How this run's findings compare with the previous run's on the same PR.

    Attributes:
        new: Fingerprints of findings absent from the previous run.
        fixed: Findings of the previous run that are gone now.
    """

    new: set[str] = Field(default_factory=set)
    fixed: list[Finding] = Field(default_factory=list)
