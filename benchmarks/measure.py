"""Wall time and peak memory of a command and every process it starts.

``getrusage(RUSAGE_CHILDREN)`` only knows the largest single descendant, and
only once it has been waited for; a review runs its tools side by side, so
what it costs is the *sum* of the tree's resident memory at its busiest
moment. We poll ``/proc`` for that sum and also keep ``wait4``'s figure (the
largest single process) as a cross-check.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
POLL_INTERVAL_S = 0.05


@dataclass(frozen=True)
class Measurement:
    """What one command cost.

    Attributes:
        argv: The command that ran.
        wall_s: Wall time from start to exit, in seconds.
        peak_tree_rss: Largest sum of resident memory of the process and its
            descendants seen while polling, in bytes.
        peak_single_rss: Largest resident memory of any one process of the
            tree (from ``wait4``), in bytes.
        cpu_s: User plus system CPU time of the process and the descendants
            it waited for, in seconds (``wait4``): unlike wall time, other
            work on the machine does not inflate it.
        returncode: The exit status.
        stdout: Captured standard output.
        stderr: Captured standard error.
    """

    argv: tuple[str, ...]
    wall_s: float
    peak_tree_rss: int
    peak_single_rss: int
    cpu_s: float
    returncode: int
    stdout: str
    stderr: str

    @property
    def peak_rss(self) -> int:
        """The better of the two memory figures (polling can miss a spike)."""
        return max(self.peak_tree_rss, self.peak_single_rss)


def _children_map() -> dict[int, list[int]]:
    """Map each pid to its direct children, from ``/proc/<pid>/stat``."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: split after the
        # last ")"; the parent pid is the second field there.
        fields = stat[stat.rfind(")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def _rss(pid: int) -> int:
    try:
        resident = Path(f"/proc/{pid}/statm").read_text().split()[1]
    except (OSError, IndexError):
        return 0
    return int(resident) * PAGE_SIZE


def tree_rss(root: int) -> int:
    """Return the summed resident memory of ``root`` and its descendants.

    Args:
        root: A live process id.

    Returns:
        Bytes resident now (0 for processes that already exited).
    """
    children = _children_map()
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += _rss(pid)
        stack.extend(children.get(pid, ()))
    return total


def run_measured(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 1800.0,
) -> Measurement:
    """Run a command to completion, measuring its time and memory.

    Output is captured in temporary files, not pipes, so a chatty tool never
    blocks on a full pipe while we poll.

    Args:
        argv: The command.
        cwd: Its working directory.
        env: Its environment (the current one when None).
        timeout_s: Kill the command after this long.

    Returns:
        The measurement.

    Raises:
        TimeoutError: The command ran longer than ``timeout_s``.
    """
    peak_tree = 0
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(argv), cwd=cwd, env=dict(env) if env is not None else None,
            stdout=out, stderr=err, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        status = None
        while status is None:
            peak_tree = max(peak_tree, tree_rss(proc.pid))
            pid, status_code, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                status = status_code
                break
            if time.perf_counter() - start > timeout_s:
                proc.kill()
                proc.wait()
                raise TimeoutError(f"{argv[0]} ran longer than {timeout_s:.0f}s")
            time.sleep(POLL_INTERVAL_S)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    return Measurement(
        argv=tuple(argv),
        wall_s=wall,
        peak_tree_rss=peak_tree,
        # ru_maxrss is in KiB on Linux.
        peak_single_rss=usage.ru_maxrss * 1024,
        cpu_s=usage.ru_utime + usage.ru_stime,
        returncode=proc.returncode,
        stdout=stdout,
        stderr=stderr,
    )
