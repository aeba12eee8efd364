"""Yielding the CPU to the long poles, step by step as they end.

While mypy (the review's long pole) runs, the other checks run niced, so that
on a small runner they fill the cores it leaves idle instead of slowing it:
pytest (the next pole, one process that ends last on a large PR) at 10, the
rest at 19, so pytest goes before the convention engine. Each pole that ends
moves everything below it one step up the ladder (19 -> 10 -> 0): once mypy
ends pytest runs at the review's own niceness and the rest at 10, once both
have ended everything does. Kept at 19 after mypy, a check would only lose
the CPU to whatever else the machine runs (on a busy runner, almost all of
it).

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


# The nicenesses of the review's checks, by rank: the long pole (mypy), the
# next pole (pytest), the rest.
LADDER = (0, 10, 19)
NEXT_POLE_NICENESS = LADDER[1]
YIELD_NICENESS = LADDER[2]


class Yielding:
    """One review's yielding to its poles: a step less for each pole that ended.

    Attributes:
        base: The review's own niceness, the lowest a check gets back.
    """

    def __init__(self) -> None:
        """Start with no pole running and nothing ended."""
        self.base = thread_niceness()
        self._lock = threading.Lock()
        self._running = [0] * len(LADDER)  # poles running, by rank
        self._steps = 0  # steps everything moved up the ladder

    @property
    def ended(self) -> bool:
        """True once every pole that started has ended (and the checks know)."""
        with self._lock:
            return self._steps == len(LADDER) - 1

    def niceness(self, wanted: int) -> int:
        """Return the niceness a check's command should start at now.

        Args:
            wanted: The check's niceness while every pole runs.

        Returns:
            ``wanted``, moved up the ladder a step for each pole that ended.
        """
        # Taken while a pole's end moves the running checks: a command that
        # starts meanwhile is not left behind at the old niceness.
        with self._lock:
            return _stepped(wanted, self._steps)

    def lower_thread(self, niceness: int) -> None:
        """Lower the calling thread's priority to what ``niceness`` is now.

        Args:
            niceness: The thread's niceness while every pole runs (its
                commands inherit it).
        """
        with self._lock:
            now = _stepped(niceness, self._steps)
            if now > self.base:
                with contextlib.suppress(OSError, AttributeError):
                    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), now)

    def pole_started(self, niceness: int = 0) -> None:
        """Count a pole that starts (several projects run one each).

        Args:
            niceness: Its own niceness: 0 for the long pole, 10 the next.
        """
        with self._lock:
            self._running[LADDER.index(niceness)] += 1

    def pole_ended(self, niceness: int = 0) -> int:
        """Count a pole that ended; what yielded to it gets its priority back.

        Args:
            niceness: Its own niceness, as when it started.

        Returns:
            How many threads got a lower niceness (none while a pole below
            runs, or without the privilege to lower a niceness).
        """
        with self._lock:
            rank = LADDER.index(niceness)
            self._running[rank] = max(0, self._running[rank] - 1)
            running = [r for r, count in enumerate(self._running) if count]
            steps = running[0] if running else len(LADDER) - 1
            if steps <= self._steps:
                return 0
            moved, self._steps = steps - self._steps, steps
            return _restore(moved, self.base)


def _stepped(niceness: int, steps: int) -> int:
    """Return a ladder niceness moved ``steps`` steps up (another: as is)."""
    if niceness not in LADDER:
        return niceness
    return LADDER[max(0, LADDER.index(niceness) - steps)]


def _restore(steps: int, base: int) -> int:
    """Move every niced thread of this process and its descendants up the ladder."""
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
                now = os.getpriority(os.PRIO_PROCESS, thread)
                wanted = max(base, _stepped(now, steps))
                if now > wanted:
                    os.setpriority(os.PRIO_PROCESS, thread, wanted)
                    restored += 1
    return restored
