"""The convention engine runs PR files out of process: no file crashes a review."""

from __future__ import annotations

import functools
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

from pattern_review.config import Config
from pattern_review.conventions.engine import MAX_FILE_BYTES
from pattern_review.conventions.pool import (
    READY,
    _Pool,
    _Worker,
    budget_for,
    cpu_seconds,
    lend_core,
    lent_cores,
    lint_paths,
    may_grow_to,
    take_back_cores,
    wall_ceiling,
)
from pattern_review.conventions.roles import guess_tree
from pattern_review.findings.rules import ANALYSIS_FAILED_RULE, PARSE_ERROR_RULE
from tests.hostile import LONG_CHAIN, NESTED_PARENS, PADDED_BARE_EXCEPT


def _write(root: Path, files: dict[str, str]) -> list[str]:
    for path, text in files.items():
        (root / path).write_text(text, encoding="utf-8")
    return sorted(files)


def test_a_file_that_crashes_the_parser_is_an_error_and_the_rest_is_checked(
    tmp_path: Path,
) -> None:
    paths = _write(
        tmp_path,
        {"a_broken.py": "def f(:\n", "deep.py": NESTED_PARENS, "z_ok.py": "x = (\n"},
    )

    findings = lint_paths(tmp_path, paths, Config(jobs=1))

    assert [(f.path, f.rule, f.severity) for f in findings] == [
        ("a_broken.py", PARSE_ERROR_RULE, "error"),
        ("deep.py", ANALYSIS_FAILED_RULE, "error"),
        ("z_ok.py", PARSE_ERROR_RULE, "error"),
    ]
    assert "could not be analysed" in findings[1].message
    assert "SIGSEGV" in findings[1].message


def test_a_file_over_its_time_budget_is_an_error_and_does_not_hold_the_rest(
    tmp_path: Path,
) -> None:
    paths = _write(tmp_path, {"chain.py": LONG_CHAIN, "later.py": "def g(:\n"})

    findings = lint_paths(tmp_path, paths, Config(jobs=1), time_budget=1.0)

    assert [(f.path, f.rule) for f in findings] == [
        ("chain.py", ANALYSIS_FAILED_RULE),
        ("later.py", PARSE_ERROR_RULE),
    ]
    assert "more than its 1.0 s CPU time budget" in findings[0].message


def _spin() -> None:
    while True:
        pass


def _ready_then(conn: Connection, target: Callable[[], None]) -> None:
    conn.send(READY)
    target()


def _worker_running(target: Callable[[], None]) -> _Worker:
    """A worker running ``target``, its start-up done (as the pool's are)."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=_ready_then, args=(theirs, target), daemon=True)
    process.start()
    theirs.close()
    # A spawned interpreter's imports take CPU time, more than a 0.3 s budget
    # on a loaded runner: the pool, too, starts a file's clock only after this.
    assert ours.poll(60) and ours.recv() == READY
    return _Worker(process, ours)


def test_the_budget_counts_the_workers_cpu_time_not_the_clock() -> None:
    # A worker that waits (for a core on a loaded runner, here: asleep) does
    # not use its budget; one that computes does, and is stopped.
    waiting = _worker_running(functools.partial(time.sleep, 30))
    computing = _worker_running(_spin)
    try:
        waiting.take("waits.py", 0.3)
        computing.take("computes.py", 0.3)
        while computing.overrun() is None:
            time.sleep(0.05)
        assert waiting.overrun() is None
        assert waiting.cpu_used() < 0.3
        assert "more than its 0.3 s CPU time budget" in (computing.overrun() or "")
    finally:
        waiting.stop()
        computing.stop()


def test_a_worker_stuck_waiting_ends_at_its_wall_ceiling() -> None:
    waiting = _worker_running(functools.partial(time.sleep, 30))
    try:
        waiting.take("stuck.py", 0.3)
        waiting.started -= wall_ceiling(0.3)  # as if it had waited that long
        assert "on the clock" in (waiting.overrun() or "")
    finally:
        waiting.stop()


def test_the_budget_of_a_real_file_is_far_above_what_it_takes() -> None:
    # A 5,000-line module takes about 0.3 s of CPU (docs/benchmarks.md).
    assert budget_for(200 * 1024) >= 10 * 0.5
    assert wall_ceiling(budget_for(0)) >= 10 * budget_for(0) + 60
    assert cpu_seconds(os.getpid()) is not None


def test_a_file_too_large_for_the_engine_is_an_error_not_a_silent_pass(
    tmp_path: Path,
) -> None:
    paths = _write(tmp_path, {"padded.py": PADDED_BARE_EXCEPT})
    assert (tmp_path / "padded.py").stat().st_size > MAX_FILE_BYTES

    findings = lint_paths(tmp_path, paths, Config(jobs=1))

    assert [(f.rule, f.severity, f.line) for f in findings] == [
        (ANALYSIS_FAILED_RULE, "error", 1)
    ]
    assert "over their 2 MiB limit" in findings[0].message


def test_many_files_over_several_workers_keep_path_order(tmp_path: Path) -> None:
    files = {f"m{i:02d}.py": "def f(:\n" for i in range(20)}
    files["m05.py"] = NESTED_PARENS
    paths = _write(tmp_path, files)

    findings = lint_paths(tmp_path, paths, Config(jobs=2))

    assert [f.path for f in findings] == paths
    assert [f.rule for f in findings if f.path == "m05.py"] == [ANALYSIS_FAILED_RULE]


def test_the_ai_prompt_guesses_roles_without_parsing_hostile_files() -> None:
    from pattern_review.ai.prompt import file_roles

    # Too deep for the review's own process to read: judged by path alone.
    assert file_roles("lib/deep.py", Config(), NESTED_PARENS) == ("other",)
    assert file_roles("lib/chain.py", Config(), LONG_CHAIN) == ("other",)
    assert guess_tree(NESTED_PARENS) is None
    assert guess_tree(LONG_CHAIN) is None
    assert guess_tree("from fastapi import APIRouter\n") is not None


def test_a_worker_runs_at_the_niceness_of_the_check_that_starts_it(
    tmp_path: Path,
) -> None:
    # The review lowers a yielding check's thread priority; the engine's
    # workers (forked by the forkserver, at its priority) must follow, or
    # they take the CPU the niced tests should get after mypy.
    niceness: dict[str, int] = {}
    # The forkserver at full priority (started by a check that ran alone).
    _Pool(tmp_path, Config(), None, 1).close()

    def start_from_a_niced_thread() -> None:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 7)
        pool = _Pool(tmp_path, Config(), None, 1)
        try:
            niceness["worker"] = os.getpriority(
                os.PRIO_PROCESS, pool.workers[0].process.pid or 0
            )
        finally:
            pool.close()

    thread = threading.Thread(target=start_from_a_niced_thread)
    thread.start()
    thread.join(60)
    assert niceness == {"worker": 7}


def test_a_pool_that_may_grow_takes_a_lent_core_and_finds_the_same(
    tmp_path: Path,
) -> None:
    files = {f"m{i:02d}.py": "def f(:\n" for i in range(24)}
    paths = _write(tmp_path, files)
    alone = lint_paths(tmp_path, paths, Config(jobs=1))
    try:
        lend_core()
        # A pool that may not grow leaves the core lent...
        capped = lint_paths(tmp_path, paths, Config(jobs=1))
        left_after_capped = lent_cores()
        # ... one that may takes it for the files still to do.
        with may_grow_to(2):
            grown = lint_paths(tmp_path, paths, Config(jobs=1))
        left_after_grown = lent_cores()
    finally:
        take_back_cores()

    assert (left_after_capped, left_after_grown) == (1, 0)
    assert alone == capped == grown
    assert {f.path for f in alone} == set(paths)
