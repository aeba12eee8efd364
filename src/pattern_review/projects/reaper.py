"""No child outlives its check: the review adopts its orphans and ends them.

A command runs in a process group of its own, and a timeout ends the group;
but a grandchild that starts a session of its own (``setsid``, a daemon's
double fork) leaves the group, and when its parent exits it is re-parented.
On Linux the review process makes itself a *child subreaper*
(``PR_SET_CHILD_SUBREAPER``), so such orphans become its children instead of
init's, where it can find them.

Every command carries a mark in its environment (``PATTERN_REVIEW_RUN``),
which its descendants inherit. When a command ends, the processes still
holding its mark are ended (with their descendants). At the end of a review
(or when its budget runs out) every adopted orphan is ended, marked or not.
Processes are stopped first and killed once no new one appears, so a process
that forks as fast as it can does not outrun the sweep.

Standard library only, like the process primitive that calls it; elsewhere
than Linux (no ``/proc``, no subreaper) every function is a no-op.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import os
import secrets
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

RUN_MARK = "PATTERN_REVIEW_RUN"
_PR_SET_CHILD_SUBREAPER = 36
# Each process's marks start with this: another pattern-review process's
# commands (a nested review in a test) carry another prefix.
_PREFIX = secrets.token_hex(6)
_numbers = itertools.count(1)
# Held while a command starts (until its pid is known) and while a sweep
# looks: a command being started is never taken for an orphan.
_lock = threading.Lock()
_commands: set[int] = set()
# By process id: a forked child is not its parent's subreaper (prctl's flag
# is not inherited), though it inherits this table.
_subreaper: dict[int, bool] = {}
# Rounds of stopping new descendants before the kill; a fork bomb that
# outgrows them is still stopped in part and killed at the next sweep.
_MAX_ROUNDS = 10
# How long a sweep waits for the processes it killed to become reapable.
_REAP_WAIT_S = 1.0


@dataclass(frozen=True)
class _Process:
    """One line of ``/proc/PID/stat``: what a sweep needs of a process."""

    ppid: int
    pgid: int
    state: str


def become_subreaper() -> bool:
    """Make this process the reaper of its descendants' orphans (Linux only).

    Idempotent; called before the first command starts.

    Returns:
        Whether this process is a child subreaper now.
    """
    own = os.getpid()
    if own in _subreaper:
        return _subreaper[own]
    done = False
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            done = libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    _subreaper[own] = done
    return done


def new_mark() -> str:
    """Return a mark for one command's environment, unique in this process.

    Returns:
        The value of ``PATTERN_REVIEW_RUN`` for the command.
    """
    return f"{_PREFIX}-{next(_numbers)}"


@contextlib.contextmanager
def starting() -> Iterator[Callable[[int], None]]:
    """Hold off sweeps while a command starts; yield how to register its pid.

    Yields:
        A function taking the started command's pid: it stays known (never
        an orphan) until ``finished`` is called with it.
    """
    with _lock:
        yield _commands.add


def finished(pid: int) -> None:
    """Forget a command whose process has been waited for.

    Args:
        pid: The command's pid.
    """
    with _lock:
        _commands.discard(pid)


def end_marked(mark: str) -> int:
    """End every process that carries one command's mark, and its descendants.

    Args:
        mark: The command's ``new_mark``.

    Returns:
        How many processes were killed.
    """
    wanted = f"\0{RUN_MARK}={mark}\0".encode()

    def chosen(table: dict[int, _Process]) -> set[int]:
        return {p for p in _may_be_orphans(table) if wanted in _environment(p)}

    return _end(chosen)


def _may_be_orphans(table: dict[int, _Process]) -> set[int]:
    """The processes that may be an ended command's leftovers.

    As subreaper, this process adopts every orphan of its commands: only its
    own descendants, outside the commands still running, can be one. Without
    it (not Linux, or ``prctl`` refused) any process can.
    """
    own = os.getpid()
    if not _subreaper.get(own):
        return set(table)
    running = _with_descendants(_commands & set(table), table)
    return _with_descendants({own}, table) - running - {own}


def end_orphans() -> int:
    """End what the review's commands left behind, and reap it.

    Processes carrying a mark of this process's commands, and orphans this
    process adopted as subreaper (a child it did not start as a command, in
    another process group than its own: the review's git and worker
    processes share its group), with their descendants. Commands still
    running are left alone (``end_commands`` ends them).

    Returns:
        How many processes were killed.
    """
    prefix = f"\0{RUN_MARK}={_PREFIX}-".encode()
    own = os.getpid()
    own_group = os.getpgrp()

    def chosen(table: dict[int, _Process]) -> set[int]:
        # A command still running (another review's, in this process) keeps
        # its processes: they are its own to end.
        running = _with_descendants(_commands & set(table), table)
        adopted = {
            pid
            for pid, info in table.items()
            if info.ppid == own and info.pgid != own_group and pid not in running
        }
        marked = {pid for pid in _may_be_orphans(table) if prefix in _environment(pid)}
        return adopted | marked

    return _end(chosen)


def end_commands() -> None:
    """Kill the process group of every command still running.

    For a review whose budget ran out: each command's own wait then returns.
    """
    with _lock:
        running = list(_commands)
    for pid in running:
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)


def _end(choose: Callable[[dict[int, _Process]], set[int]]) -> int:
    """Stop the chosen processes and their descendants until none is new; kill."""
    if not Path("/proc/self/stat").exists():
        return 0
    own = os.getpid()
    doomed: set[int] = set()
    table: dict[int, _Process] = {}
    with _lock:
        for _ in range(_MAX_ROUNDS):
            table = _processes()
            roots = {p for p in choose(table) if p != own} | (doomed & set(table))
            found = _with_descendants(roots, table) - {own} - _commands
            new = found - doomed
            for pid in new:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGSTOP)
            doomed |= found
            if not new:
                break
        # Already gone, or dead and waiting for its reaper: nothing to kill.
        gone = {p for p in doomed if p not in table or table[p].state == "Z"}
        for pid in doomed - gone:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        # Those re-parented to this process are its to reap (waiting for one
        # that is not fails at once).
        _reap(doomed)
    return len(doomed - gone)


def _reap(children: set[int]) -> None:
    """Collect the exit status of killed orphans re-parented to this process."""
    ends = time.monotonic() + _REAP_WAIT_S
    waiting = set(children)
    while waiting and time.monotonic() < ends:
        for pid in list(waiting):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid  # not ours (any more): nothing to reap
            if done:
                waiting.discard(pid)
        if waiting:
            time.sleep(0.01)


def descendants() -> set[int]:
    """Return the ids of this process's descendants, read from ``/proc``.

    Returns:
        Every process below this one (none where there is no ``/proc``).
    """
    if not Path("/proc/self/stat").exists():
        return set()
    own = os.getpid()
    return _with_descendants({own}, _processes()) - {own}


def _with_descendants(roots: set[int], table: dict[int, _Process]) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, info in table.items():
        children.setdefault(info.ppid, []).append(pid)
    found = set()
    todo = list(roots)
    while todo:
        pid = todo.pop()
        if pid in found:
            continue
        found.add(pid)
        todo += children.get(pid, [])
    return found


def _processes() -> dict[int, _Process]:
    """Read every process's parent, group and state from ``/proc``.

    With ``os`` calls rather than ``pathlib``: a sweep follows every command
    the review runs (hundreds on a large PR) and reads every process.
    """
    table: dict[int, _Process] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        stat = _read(f"/proc/{name}/stat")
        # The name (field 2) may hold spaces and parentheses: split after it.
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) >= 3:
            state = fields[0].decode("ascii", "replace")
            table[int(name)] = _Process(int(fields[1]), int(fields[2]), state)
    return table


def _environment(pid: int) -> bytes:
    """Return a process's initial environment, or nothing when unreadable."""
    return b"\0" + _read(f"/proc/{pid}/environ") + b"\0"


def _read(path: str) -> bytes:
    """Read a ``/proc`` file whole; nothing when it is gone or unreadable."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return b""  # it ended meanwhile
    try:
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError:
        return b""
    finally:
        os.close(fd)
