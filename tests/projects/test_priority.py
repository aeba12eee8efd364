"""Yielding to the long pole: niced while one runs, the review's niceness after."""

from __future__ import annotations

import os
import subprocess
import threading

import pytest

from pattern_review.projects.priority import Yielding, thread_niceness

needs_privilege = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="giving a niceness back (lowering it) needs root",
)


def test_commands_start_niced_only_while_a_long_pole_runs() -> None:
    yielding = Yielding()
    yielding.pole_started()
    yielding.pole_started()  # two projects, a mypy each
    assert yielding.niceness(19) == 19

    yielding.pole_ended()
    assert not yielding.ended
    assert yielding.niceness(19) == 19  # the other project's mypy still runs

    yielding.pole_ended()
    assert yielding.ended
    assert yielding.niceness(19) == 0


@needs_privilege
def test_the_last_pole_to_end_gives_threads_and_their_commands_priority_back() -> None:
    yielding = Yielding()
    yielding.pole_started()
    niced = threading.Event()
    checked = threading.Event()
    seen: dict[str, int] = {}
    children: list[subprocess.Popen[bytes]] = []

    def yielding_check() -> None:
        yielding.lower_thread(19)
        seen["thread"] = threading.get_native_id()
        # A tool it starts inherits the thread's niceness, and so do its threads.
        children.append(subprocess.Popen(["sleep", "30"]))
        niced.set()
        checked.wait(timeout=30)
        seen["after"] = thread_niceness()
        yielding.lower_thread(19)  # too late: nothing to yield to any more
        seen["lowered again"] = thread_niceness()

    check = threading.Thread(target=yielding_check)
    check.start()
    try:
        assert niced.wait(timeout=30)
        child = children[0]
        assert os.getpriority(os.PRIO_PROCESS, seen["thread"]) == 19
        assert os.getpriority(os.PRIO_PROCESS, child.pid) == 19

        restored = yielding.pole_ended()

        assert restored >= 2  # the check's thread and its command
        assert os.getpriority(os.PRIO_PROCESS, child.pid) == yielding.base
    finally:
        checked.set()
        check.join(timeout=30)
        for child in children:
            child.kill()
            child.wait()
    assert seen["after"] == seen["lowered again"] == yielding.base


def test_a_pole_that_ends_twice_restores_once() -> None:
    yielding = Yielding()
    yielding.pole_started()
    yielding.pole_ended()
    assert yielding.pole_ended() == 0
    assert yielding.ended
