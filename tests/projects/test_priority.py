"""Yielding to the poles: a step up the ladder for each pole that ended."""

from __future__ import annotations

import os
import subprocess
import threading

import pytest

from pattern_review.projects.priority import (
    NEXT_POLE_NICENESS,
    YIELD_NICENESS,
    Yielding,
    thread_niceness,
)

needs_privilege = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="giving a niceness back (lowering it) needs root",
)


def test_each_pole_that_ends_moves_the_rest_a_step_up() -> None:
    yielding = Yielding()
    yielding.pole_started(0)
    yielding.pole_started(0)  # two projects, a mypy each
    yielding.pole_started(NEXT_POLE_NICENESS)  # pytest
    assert yielding.niceness(YIELD_NICENESS) == YIELD_NICENESS
    assert yielding.niceness(NEXT_POLE_NICENESS) == NEXT_POLE_NICENESS

    yielding.pole_ended(0)  # the other project's mypy still runs
    assert yielding.niceness(YIELD_NICENESS) == YIELD_NICENESS

    yielding.pole_ended(0)  # pytest, the next pole, goes first now
    assert yielding.niceness(NEXT_POLE_NICENESS) == 0
    assert yielding.niceness(YIELD_NICENESS) == NEXT_POLE_NICENESS
    assert not yielding.ended

    yielding.pole_ended(NEXT_POLE_NICENESS)
    assert yielding.ended
    assert yielding.niceness(YIELD_NICENESS) == 0


def test_a_next_pole_that_ends_first_changes_nothing_until_the_long_pole_does() -> None:
    yielding = Yielding()
    yielding.pole_started(0)
    yielding.pole_started(NEXT_POLE_NICENESS)

    assert yielding.pole_ended(NEXT_POLE_NICENESS) == 0
    assert yielding.niceness(YIELD_NICENESS) == YIELD_NICENESS

    yielding.pole_ended(0)
    assert yielding.ended
    assert yielding.niceness(YIELD_NICENESS) == 0


@needs_privilege
def test_threads_and_their_commands_get_their_priority_back_step_by_step() -> None:
    yielding = Yielding()
    yielding.pole_started(0)
    yielding.pole_started(NEXT_POLE_NICENESS)
    niced = threading.Event()
    checked = threading.Event()
    seen: dict[str, int] = {}
    children: list[subprocess.Popen[bytes]] = []

    def yielding_check() -> None:
        yielding.lower_thread(YIELD_NICENESS)
        seen["thread"] = threading.get_native_id()
        # A tool it starts inherits the thread's niceness, and so do its threads.
        children.append(subprocess.Popen(["sleep", "30"]))
        niced.set()
        checked.wait(timeout=30)
        seen["after"] = thread_niceness()
        yielding.lower_thread(YIELD_NICENESS)  # too late: nothing to yield to
        seen["lowered again"] = thread_niceness()

    check = threading.Thread(target=yielding_check)
    check.start()
    try:
        assert niced.wait(timeout=30)
        child = children[0]
        assert os.getpriority(os.PRIO_PROCESS, seen["thread"]) == YIELD_NICENESS
        assert os.getpriority(os.PRIO_PROCESS, child.pid) == YIELD_NICENESS

        assert yielding.pole_ended(0) >= 2  # the check's thread and its command
        assert os.getpriority(os.PRIO_PROCESS, child.pid) == NEXT_POLE_NICENESS
        assert os.getpriority(os.PRIO_PROCESS, seen["thread"]) == NEXT_POLE_NICENESS

        yielding.pole_ended(NEXT_POLE_NICENESS)
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
    yielding.pole_started(0)
    yielding.pole_ended(0)
    assert yielding.pole_ended(0) == 0
    assert yielding.ended
