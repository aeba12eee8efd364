"""Keep what the review prints in an Actions job from acting as workflow commands.

The runner reads every line of a step's stdout and stderr: a line that starts
(after spaces) with ``::`` is a workflow command, and ``##[`` anywhere in a
line starts a legacy one. The review prints text it does not control (a PR's
config keys and file names in an error message, a tool's output), so such a
line could add annotations, mask text or print a fake verdict. Under Actions,
``guard_streams`` neutralises every line on its way out; the review's own
commands go through ``write_commands``.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO, cast

# Invisible in the log, and not whitespace to the runner's TrimStart (nor to
# str.isspace), so a line that begins with it is never a command.
NEUTRAL = "\u200b"


def neutralise(text: str, *, at_line_start: bool = True) -> str:
    """Return ``text`` with nothing in it the runner would read as a command.

    Carriage returns become newlines (the runner splits lines at either), a
    line whose first non-blank characters are ``:`` gets ``NEUTRAL`` before
    them, and every ``#[`` gets it in between.

    Args:
        text: Text about to be printed.
        at_line_start: Whether the stream is at the start of a line (or has
            only blanks on it so far).

    Returns:
        The text to print.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("#[", f"#{NEUTRAL}[")
    lines = text.split("\n")
    for index, line in enumerate(lines):
        starts = at_line_start if index == 0 else True
        if starts and line.lstrip().startswith(":"):
            blank = len(line) - len(line.lstrip())
            lines[index] = line[:blank] + NEUTRAL + line[blank:]
    return "\n".join(lines)


class CommandSafeStream:
    """A text stream that writes through ``neutralise``, line state included."""

    def __init__(self, stream: TextIO) -> None:
        """Wrap a stream.

        Args:
            stream: The stream to write to (sys.stdout or sys.stderr).
        """
        self.raw = stream
        self._blank_line = True  # only blanks written since the last newline
        self._last = ""

    def write(self, text: str) -> int:
        """Write neutralised text.

        Args:
            text: What the caller prints.

        Returns:
            The length of ``text`` (what the caller asked to write).
        """
        if not text:
            return 0
        joined = NEUTRAL if self._last == "#" and text.startswith("[") else ""
        safe = joined + neutralise(text, at_line_start=self._blank_line)
        self.raw.write(safe)
        _, newline, tail = safe.rpartition("\n")
        self._blank_line = (bool(newline) or self._blank_line) and not tail.strip()
        self._last = safe[-1]
        return len(text)

    def flush(self) -> None:
        """Flush the wrapped stream."""
        self.raw.flush()

    def __getattr__(self, name: str) -> object:
        # fileno, encoding, isatty, buffer…: as the wrapped stream has them.
        return getattr(self.raw, name)


def in_actions() -> bool:
    """Return whether this process runs as a step of a GitHub Actions job."""
    return os.environ.get("GITHUB_ACTIONS") == "true"


def guard_streams() -> None:
    """Under Actions, neutralise everything later printed to stdout and stderr."""
    if not in_actions():
        return
    if not isinstance(sys.stdout, CommandSafeStream):
        sys.stdout = cast(TextIO, CommandSafeStream(sys.stdout))
    if not isinstance(sys.stderr, CommandSafeStream):
        sys.stderr = cast(TextIO, CommandSafeStream(sys.stderr))


def write_commands(text: str) -> None:
    """Print the review's own workflow commands, past the guard.

    Every value in them is escaped where it is built
    (``report.workflow_commands``), so they carry nothing the PR wrote as a
    command of its own.

    Args:
        text: Complete command lines.
    """
    stream = sys.stdout
    raw = stream.raw if isinstance(stream, CommandSafeStream) else stream
    raw.write(text)
    raw.flush()
