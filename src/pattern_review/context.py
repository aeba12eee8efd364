"""What every check receives, and what the checks of one review set up once.

``CheckError`` (a check could not run) lives in ``errors``, below every
layer, so that the process primitive can raise it too. This module imports
no check and no environment strategy: the projects layer
(``projects.environments``, ``projects.tools``) builds on it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pattern_review.config import Config
from pattern_review.errors import CheckError
from pattern_review.models import CheckOutcome, CheckResult, Finding, ReviewTarget
from pattern_review.projects.discovery import ROOT, Project
from pattern_review.projects.priority import Yielding
from pattern_review.projects.process import Deadline

if TYPE_CHECKING:
    from pattern_review.projects.environments.kinds import Environment
    from pattern_review.rulebook.book import Rulebook

SetUp = TypeVar("SetUp")


@dataclass
class SharedSetup:
    """Set-up the checks of one review share: done once, by the first to ask.

    Attributes:
        environments: Each project's environment, or why it could not be
            set up, by environment key.
        ruff_programs: The pinned ruff each version resolved to, or why it
            could not be run, by ``("ruff", version)``.
        ruff_commands: How ruff starts for each project folder, and which
            ruff it is (``ruff_version.ruff_command``): hundreds of ruff runs
            on a large PR need not look for the pin each time.
        work_tree_states: The work tree's state (``git.work_tree_state``) as
            the checks found it, or the error reading it, by repository.
        suggestion_verdicts: Each suggestion's safety verdict, by project,
            file, lines and a digest of the text and suggestion
            (``checks.safe_suggestions``): worked out beside the long pole,
            taken after the checks.
        yielding: How much the checks still yield the CPU to the poles.
        lock: Held while a check looks up or adds an entry of ``locks``.
        locks: One lock per key, held while its entry is set up.
    """

    environments: dict[tuple[str, ...], Environment | CheckError] = field(
        default_factory=dict
    )
    ruff_programs: dict[tuple[str, ...], Path | str] = field(default_factory=dict)
    ruff_commands: dict[tuple[str, ...], tuple[tuple[str, ...], str]] = field(
        default_factory=dict
    )
    work_tree_states: dict[tuple[str, ...], str | Exception] = field(
        default_factory=dict
    )
    suggestion_verdicts: dict[tuple[str, ...], str | None] = field(default_factory=dict)
    yielding: Yielding = field(default_factory=Yielding)
    lock: threading.Lock = field(default_factory=threading.Lock)
    locks: dict[tuple[str, ...], threading.Lock] = field(default_factory=dict)

    def once(
        self,
        table: dict[tuple[str, ...], SetUp],
        key: tuple[str, ...],
        set_up: Callable[[], SetUp],
    ) -> SetUp:
        """Return ``table[key]``, set up by the first check to ask.

        The others asking for the same key wait for it; different keys are
        set up side by side (one lock per key).

        Args:
            table: One of the tables above.
            key: The entry's key.
            set_up: Makes the entry; it must not raise (a failure is kept
                as the entry, so every check reports the same reason).

        Returns:
            The entry.
        """
        with self.lock:
            own_lock = self.locks.setdefault(key, threading.Lock())
        with own_lock:
            if key not in table:
                table[key] = set_up()
            return table[key]


@dataclass(frozen=True)
class CheckContext:
    """Inputs shared by all checks of one review.

    Attributes:
        target: What is reviewed.
        config: The review's configuration.
        cache_dir: A writable folder outside the work tree for tool caches.
        niceness: Scheduling priority increment for the check's processes:
            checks that are not the review's long pole yield the CPU to it.
        tool_started: Set once the check's tool process has started (the
            review starts the other checks after the long pole's, or after
            a moment's head start when its environment is still being set up).
        shared: What the review's checks set up once for all of them.
        project: The Python project the check looks at (its folder is the
            tools' working directory); None is the repository root.
        rulebook: What the team's agent file turns on; None: every rule.
        deadline: When the review's wall budget runs out; every command is
            killed then, whatever its own budget. None: no review budget.
    """

    target: ReviewTarget
    config: Config
    cache_dir: Path
    niceness: int = 0
    tool_started: threading.Event | None = None
    shared: SharedSetup = field(default_factory=SharedSetup, compare=False)
    project: Project | None = None

    @property
    def where(self) -> Project:
        """The project checked: ``project``, else the repository root."""
        return self.project or Project(ROOT, self.target.repo)

    rulebook: Rulebook | None = field(default=None, compare=False)
    deadline: Deadline | None = field(default=None, compare=False)

    @property
    def niceness_now(self) -> int:
        """The niceness the check's commands start at: a step less a pole ended."""
        return self.shared.yielding.niceness(self.niceness)

    @property
    def python_paths(self) -> list[str]:
        """Reviewed ``.py`` files of the project, relative to the repo root."""
        only = self.project.path if self.project else None
        return [
            f.path
            for f in self.target.reviewed_files
            if f.path.endswith(".py") and (only is None or f.project == only)
        ]

    @property
    def tool_paths(self) -> list[str]:
        """``python_paths`` relative to the project's folder (the tools' cwd)."""
        return [self.where.relative(path) for path in self.python_paths]


def finished(
    name: str,
    findings: list[Finding],
    seconds: float,
    detail: str,
    notes: Sequence[str] = (),
) -> CheckOutcome:
    """Build the outcome of a check that ran to the end.

    Args:
        name: The check's name.
        findings: What it found (``failed`` when any, else ``passed``).
        seconds: How long its tool ran.
        detail: The one-line summary of what it did.
        notes: Remarks added in parentheses (empty ones are left out).

    Returns:
        The outcome.
    """
    shown = [note for note in notes if note]
    if shown:
        detail += f" ({'; '.join(shown)})"
    result = CheckResult(
        name=name,
        status="failed" if findings else "passed",
        duration_s=round(seconds, 3),
        detail=detail,
    )
    return CheckOutcome(result=result, findings=findings)
