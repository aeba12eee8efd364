"""What every check receives, and the error a check raises when it cannot run."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pattern_review.config import Config
from pattern_review.models import CheckOutcome, CheckResult, Finding, ReviewTarget

if TYPE_CHECKING:
    from pattern_review.rulebook import Rulebook


class CheckError(Exception):
    """A check could not run (tool missing, timed out, crashed).

    The message is the one-line reason shown to the user; the check is then
    reported with status ``error``, never ``passed``.
    """


@dataclass
class SharedSetup:
    """Set-up the checks of one review share: done once, by the first to ask.

    Attributes:
        environments: The target's uv environment prefix, or why uv could
            not set it up, by environment key.
        lock: Held while one check sets something up for all.
    """

    environments: dict[tuple[str, ...], Path | CheckError] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


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
            review starts the other checks after the long pole's).
        shared: What the review's checks set up once for all of them.
        rulebook: What the team's agent file turns on; None: every rule.
    """

    target: ReviewTarget
    config: Config
    cache_dir: Path
    niceness: int = 0
    tool_started: threading.Event | None = None
    shared: SharedSetup = field(default_factory=SharedSetup, compare=False)
    rulebook: Rulebook | None = field(default=None, compare=False)

    @property
    def python_paths(self) -> list[str]:
        """Reviewed ``.py`` files, relative to the repo root, sorted."""
        return [f.path for f in self.target.reviewed_files if f.path.endswith(".py")]


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
