"""Yielding the CPU to the long pole, and no longer once it has ended.

While mypy (the review's long pole) runs, the other checks run niced, so that
on a small runner they fill the cores it leaves idle instead of slowing it.
Once every long pole has ended there is nothing left to yield to: a niced
check would then only lose the CPU to whatever else the machine runs (on a
busy runner a niceness of 19 gets almost none of it), so the checks' threads
and every process they started get the review's own niceness back, and the
commands started afterwards run at it.

Lowering a niceness needs the privilege to (root, as in the action's
container); without it the checks stay niced, as before. Standard library
only (and ``reaper``, which reads the process tree), like the process
primitive that asks it.
"""

from __future__ import annotations

import contextlib
import os
import threading

from pattern_review.projects import reaper


def thread_niceness() -> int:
    """Return the calling thread's niceness (Linux keeps one per thread)."""
    try:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    except (OSError, AttributeError):
        return 0


class Yielding:
    """One review's yielding to its long poles: on while one runs, then off.

    Attributes:
        base: The review's own niceness, which the checks get back.
    """

    def __init__(self) -> None:
        """Start with no long pole running and nothing ended."""
        self.base = thread_niceness()
        self._lock = threading.Lock()
        self._poles = 0
        self._ended = False

    @property
    def ended(self) -> bool:
        """True once every long pole that started has ended."""
        return self._ended

    def niceness(self, wanted: int) -> int:
        """Return the niceness a check's command should start at now.

        Args:
            wanted: The check's niceness while a long pole runs.

        Returns:
            ``wanted``, or 0 (the review's own) once the long poles ended.
        """
        return 0 if self._ended else wanted

    def lower_thread(self, niceness: int) -> None:
        """Lower the calling thread's priority, unless the long poles ended.

        Args:
            niceness: The thread's niceness (its commands inherit it).
        """
        with self._lock:
            if niceness and not self._ended:
                with contextlib.suppress(OSError, AttributeError):
                    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)

    def pole_started(self) -> None:
        """Count a long pole that starts (several projects run one each)."""
        with self._lock:
            self._poles += 1

    def pole_ended(self) -> int:
        """Count a long pole that ended; the last one ends the yielding.

        Returns:
            How many threads got the review's niceness back (0 while another
            long pole runs, or without the privilege to lower a niceness).
        """
        with self._lock:
            self._poles = max(0, self._poles - 1)
            if self._poles or self._ended:
                return 0
            self._ended = True
            return _restore(self.base)


def _restore(base: int) -> int:
    """Give every thread of this process and its descendants ``base`` back."""
    own = os.getpid()
    restored = 0
    for pid in sorted({own} | reaper.descendants()):
        try:
            threads = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue  # ended meanwhile, or not Linux
        for name in threads:
            with contextlib.suppress(OSError, ValueError):
                thread = int(name)
                if os.getpriority(os.PRIO_PROCESS, thread) > base:
                    os.setpriority(os.PRIO_PROCESS, thread, base)
                    restored += 1
    return restored
