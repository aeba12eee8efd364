"""Run the convention engine on PR files in child processes, one file at a time.

PR files are hostile input to a native parser: libcst's overflows its stack
(SIGSEGV) on 1,500 nested parentheses and takes seconds on a ``1+1+...``
chain of a few thousand terms. So the engine never parses in the review's
own process: a small pool of workers, forked from a forkserver that has
imported libcst and the rules once, each takes one file, answers with its
findings and takes the next. A worker that dies (a signal, an exit) or
overruns the file's time budget is killed and replaced; that file gets one
error finding ("could not be analysed"), and the other files go on.

The budget counts the CPU time the worker spent on the file, not the time
on the clock: on a loaded runner a file waits for a core without using its
budget, so the same file gets the same verdict whatever else runs. A wall
ceiling far above it still ends a worker that sleeps or waits.

This module itself imports neither libcst nor the rules (the worker loop,
``worker``, is imported in the children only): the review's process pays
only for the pipe.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from pathlib import Path

from pattern_review.config import Config
from pattern_review.conventions.failures import could_not_analyse
from pattern_review.conventions.selection import RuleSelection
from pattern_review.models import Finding

# What the forkserver imports once, so that each worker starts warm.
PRELOAD = "pattern_review.conventions.preload"
# A file's CPU time budget: a fixed part plus a part that grows with its
# size. Real code takes about 1 s of CPU per MiB (a 5,000-line module, 200
# KiB: 0.3 s); a pathological file (a long ``1+1+...`` chain: 20 KiB, over
# 5 s) is far slower.
BASE_BUDGET_S = 10.0
BUDGET_S_PER_MIB = 20.0
# The wall ceiling: CPU budget times this, plus the margin below. Only a
# worker that sleeps or waits (never a busy one, however loaded the runner)
# reaches it.
WALL_FACTOR = 10.0
WALL_MARGIN_S = 60.0
# Shortest wait between two readings of the workers' CPU time.
_POLL_S = 0.02
# Below this many files per worker, another worker costs more than it saves.
MIN_FILES_PER_WORKER = 8
_JOIN_S = 2.0
# A worker's first message: it is up, and its first file's time may start.
READY = "ready"
START_TIMEOUT_S = 120.0


class _SpareCores:
    """Cores another check left idle, for a pool that may grow to take them.

    Attributes:
        lock: Guards ``count``.
        count: Cores lent and not yet taken (one count for the process).
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0

    def borrow(self) -> bool:
        """Take one lent core, if there is one."""
        with self.lock:
            if self.count <= 0:
                return False
            self.count -= 1
            return True


_SPARE = _SpareCores()
# Per thread: how many workers a pool started there may grow to.
_growth = threading.local()


def lend_core() -> None:
    """Offer a core that just went idle to a pool that may grow (``may_grow_to``)."""
    with _SPARE.lock:
        _SPARE.count += 1


def lent_cores() -> int:
    """Return how many lent cores no pool has taken yet."""
    with _SPARE.lock:
        return _SPARE.count


def take_back_cores() -> None:
    """Withdraw the cores no pool took (the checks that could are done)."""
    with _SPARE.lock:
        _SPARE.count = 0


@contextlib.contextmanager
def may_grow_to(workers: int) -> Iterator[None]:
    """Let the pools started in this thread take lent cores, up to ``workers``.

    Beside the tools the engine starts on one worker (the cores are theirs);
    when one of them ends, its core is lent (``lend_core``) and the engine
    takes it for the files still to do.

    Args:
        workers: The most workers a pool may have.

    Yields:
        Nothing; the limit holds inside the block only.
    """
    before = getattr(_growth, "limit", 0)
    _growth.limit = workers
    try:
        yield
    finally:
        _growth.limit = before


class EngineStartError(Exception):
    """A worker process did not start; the conventions check cannot run."""


Budget = Callable[[str], float]


def budget_for(size: int) -> float:
    """Return the CPU seconds a file of ``size`` bytes may take in the engine.

    Args:
        size: The file's size in bytes.

    Returns:
        Seconds of CPU time.
    """
    return BASE_BUDGET_S + BUDGET_S_PER_MIB * size / (1024 * 1024)


def wall_ceiling(budget: float) -> float:
    """Return the wall-clock seconds a file with a CPU ``budget`` may take.

    Args:
        budget: The file's CPU time budget in seconds.

    Returns:
        Seconds on the clock: far above what any load makes of the budget.
    """
    return WALL_FACTOR * budget + WALL_MARGIN_S


def _clock_ticks() -> int:
    try:
        return os.sysconf("SC_CLK_TCK")
    except (AttributeError, ValueError, OSError):
        return 100


_TICKS_PER_S = _clock_ticks()


def cpu_seconds(pid: int | None) -> float | None:
    """Return the CPU time (user and system) a process has used so far.

    Args:
        pid: The process.

    Returns:
        Seconds, or None where ``/proc`` cannot tell (not Linux, gone).
    """
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat", "rb") as stream:
            # The command name may hold spaces and parentheses: split after it.
            fields = stream.read().rsplit(b")", 1)[1].split()
        # Fields 14 and 15 of stat(5); the state (field 3) is fields[0].
        return (int(fields[11]) + int(fields[12])) / _TICKS_PER_S
    except (OSError, IndexError, ValueError):
        return None


def _serve(
    conn: Connection, repo: Path, config: Config, selection: RuleSelection | None
) -> None:
    """Start the worker loop in the child: only the child imports it (and libcst)."""
    from pattern_review.conventions.worker import serve

    conn.send(READY)  # the budget of the first file starts from here
    serve(conn, repo, config, selection)


def _context() -> BaseContext:
    """Return a start method that is safe from any thread, preloading the engine.

    The review runs its checks in threads, and a plain fork would copy into
    the child any lock another thread holds at that moment. The forkserver
    starts with the first worker, from the thread of the check that needs
    it, and so at that thread's niceness: beside mypy, its import of libcst
    and the rules (about 0.6 CPU-s) yields to mypy like the rest of the
    engine, where a server started at the review's own priority took that
    time from mypy's core.
    """
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" not in methods:
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([PRELOAD])
    return context


def _share_priority(pid: int | None) -> None:
    """Give a worker the niceness of the thread that starts it.

    The review lowers the priority of the checks that must yield the CPU to
    its long pole (mypy) thread by thread; a worker forked by the forkserver
    would otherwise run at the forkserver's (started by another check's
    thread, or moved up since as the poles ended), and starve the niced
    tests.
    """
    if pid is None or not hasattr(os, "getpriority"):
        return
    with contextlib.suppress(OSError):
        own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        if own > os.getpriority(os.PRIO_PROCESS, pid):
            os.setpriority(os.PRIO_PROCESS, pid, own)


def _death(process: BaseProcess) -> str:
    code = process.exitcode
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        if -code in (signal.SIGSEGV, signal.SIGBUS):
            return f"the parser crashed ({name}: nesting too deep for its stack)"
        return f"the parser was killed ({name})"
    return f"the parser exited unexpectedly (exit status {code})"


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    path: str | None = None
    budget: float = 0.0
    started: float = 0.0
    cpu_at_start: float | None = None

    def take(self, path: str, budget: float) -> None:
        """Note that the worker starts ``path``: its clocks start now."""
        self.path, self.budget = path, budget
        self.started = time.monotonic()
        self.cpu_at_start = cpu_seconds(self.process.pid)

    def cpu_used(self) -> float:
        """CPU seconds spent on the current file (wall seconds without /proc)."""
        if self.cpu_at_start is None:
            return time.monotonic() - self.started
        now = cpu_seconds(self.process.pid)
        return 0.0 if now is None else now - self.cpu_at_start

    def wall_left(self) -> float:
        """Seconds on the clock before the file reaches its wall ceiling."""
        return self.started + wall_ceiling(self.budget) - time.monotonic()

    def next_look(self) -> float:
        """Seconds the pool may wait before the file can be over a budget.

        CPU time never runs faster than the clock (the worker is one
        thread), so what is left of the CPU budget is a safe wait.
        """
        left = min(self.budget - self.cpu_used(), self.wall_left())
        return max(left, _POLL_S)

    def overrun(self) -> str | None:
        """Why the current file is over its budget, or None when it is not."""
        if self.cpu_used() > self.budget:
            return f"it needed more than its {self.budget:.1f} s CPU time budget"
        if self.wall_left() <= 0:
            return (
                f"it took longer than {wall_ceiling(self.budget):.0f} s on the"
                " clock (the worker was stuck)"
            )
        return None

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(_JOIN_S)
        self.conn.close()


class _Pool:
    """Workers for one call; each file is sent alone and waited for in time."""

    def __init__(
        self,
        repo: Path,
        config: Config,
        selection: RuleSelection | None,
        size: int,
    ) -> None:
        self.repo = repo
        self.config = config
        self.selection = selection
        self.context = _context()
        self.workers = [self.start() for _ in range(size)]

    def start(self) -> _Worker:
        """Start one more worker and wait until it is ready."""
        ours, theirs = self.context.Pipe()
        process = self.context.Process(  # type: ignore[attr-defined]
            target=_serve,
            args=(theirs, self.repo, self.config, self.selection),
            daemon=True,
        )
        process.start()
        theirs.close()
        _share_priority(process.pid)
        # A loaded runner may take seconds to fork and import; that is not
        # the first file's time.
        try:
            ready = ours.poll(START_TIMEOUT_S) and ours.recv() == READY
        except (EOFError, OSError):
            ready = False
        if not ready:
            process.kill()
            raise EngineStartError(
                f"the convention engine's worker did not start within "
                f"{START_TIMEOUT_S:g} s (exit status {process.exitcode})"
            )
        return _Worker(process, ours)

    def replace(self, worker: _Worker) -> _Worker:
        worker.stop()
        fresh = self.start()
        self.workers[self.workers.index(worker)] = fresh
        return fresh

    def close(self) -> None:
        for worker in self.workers:
            if worker.path is None and worker.process.is_alive():
                try:
                    worker.conn.send(None)
                except OSError:
                    pass
        deadline = time.monotonic() + _JOIN_S
        for worker in self.workers:
            if worker.path is None:
                worker.process.join(max(deadline - time.monotonic(), 0.0))
            worker.stop()


def lint_isolated(
    repo: Path,
    paths: Sequence[str],
    config: Config,
    selection: RuleSelection | None,
    *,
    workers: int,
    budget: Budget,
) -> dict[str, list[Finding]]:
    """Run the convention engine over files in child processes.

    Args:
        repo: The work tree.
        paths: Paths relative to ``repo``, in the order to check them.
        config: The review's configuration.
        selection: The rules the team's agent file turns on; None: all.
        workers: How many child processes at most.
        budget: CPU seconds each path may take.

    Returns:
        Each path's findings; a path whose worker died or overran its budget
        has one ``could_not_analyse`` finding.
    """
    todo = deque(paths)
    results: dict[str, list[Finding]] = {}
    pool = _Pool(repo, config, selection, max(1, min(workers, len(todo))))
    limit = getattr(_growth, "limit", 0)
    try:
        while todo or any(w.path is not None for w in pool.workers):
            if (
                len(pool.workers) < limit
                and len(todo) >= MIN_FILES_PER_WORKER
                and _SPARE.borrow()
            ):
                pool.workers.append(pool.start())
            for worker in pool.workers:
                if worker.path is None and todo:
                    path = todo.popleft()
                    worker.take(path, budget(path))
                    try:
                        worker.conn.send(path)
                    except OSError:  # died while idle: its file goes to a new one
                        worker.path = None
                        worker = pool.replace(worker)
                        worker.take(path, budget(path))
                        worker.conn.send(path)
            busy = [w for w in pool.workers if w.path is not None]
            timeout = min(w.next_look() for w in busy)
            wait(
                [w.conn for w in busy] + [w.process.sentinel for w in busy],
                timeout,
            )
            for worker in busy:
                _collect(pool, worker, results)
    finally:
        pool.close()
    return results


def _collect(pool: _Pool, worker: _Worker, results: dict[str, list[Finding]]) -> None:
    """Take a worker's answer, or its death, or its overrun, if any yet."""
    path = worker.path
    assert path is not None
    reason = None
    try:
        if worker.conn.poll():
            results[path] = worker.conn.recv()
            worker.path = None
            return
    except (EOFError, OSError):
        pass  # the pipe closed: the worker died
    if not worker.process.is_alive():
        worker.process.join(_JOIN_S)
        reason = _death(worker.process)
    else:
        reason = worker.overrun()
    if reason is None:
        return
    results[path] = [could_not_analyse(path, "convention", reason)]
    worker.path = None
    pool.replace(worker)


def worker_count(config: Config, files: int) -> int:
    """Return how many engine workers are worth starting for ``files`` files.

    Args:
        config: ``jobs`` caps it (0: all cores).
        files: Files to check.

    Returns:
        At least 1.
    """
    wanted = config.jobs or os.cpu_count() or 1
    return max(1, min(wanted, -(-files // MIN_FILES_PER_WORKER)))


def lint_paths(
    repo: Path,
    paths: Sequence[str],
    config: Config,
    selection: RuleSelection | None = None,
    *,
    time_budget: float | None = None,
) -> list[Finding]:
    """Run the convention rules over many files of a work tree, out of process.

    PR files are parsed in child processes: a file that crashes the parser
    or overruns its time budget gives one error finding, never a crash of
    the review. Files are spread over ``config.jobs`` workers (0: all cores)
    when there are enough of them to pay for it.

    Args:
        repo: The work tree.
        paths: Paths relative to ``repo``.
        config: The review's configuration.
        selection: The rules the team's agent file turns on; None: all.
        time_budget: CPU seconds each file may take; None: by its size
            (``budget_for``). The wall clock allows far more
            (``wall_ceiling``).

    Returns:
        Findings in path order, then line order (the same for any job count).
    """
    ordered = sorted(set(paths))

    def budget(path: str) -> float:
        if time_budget is not None:
            return time_budget
        try:
            size = (repo / path).stat().st_size
        except OSError:
            size = 0
        return budget_for(size)

    results = lint_isolated(
        repo,
        ordered,
        config,
        selection,
        workers=worker_count(config, len(ordered)),
        budget=budget,
    )
    return [finding for path in ordered for finding in results.get(path, ())]
