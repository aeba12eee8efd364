"""ruff within a budget: the files that overrun it are found, the rest kept."""

from __future__ import annotations

import threading

from pattern_review.checks.ruff_budget import (
    PARTS,
    SINGLES_UP_TO,
    Overrun,
    isolate,
    split,
)


def test_the_files_that_overrun_are_found_and_the_others_results_kept() -> None:
    paths = [f"app/m{n}.py" for n in range(200)]
    slow = {"app/m7.py", "app/m150.py"}
    tried: list[list[str]] = []
    lock = threading.Lock()

    def attempt(part: list[str]) -> list[str] | Overrun:
        with lock:
            tried.append(part)
        if slow & set(part):
            return Overrun("took longer than its budget")
        return part

    done, failed = isolate([paths], attempt)

    assert failed == dict.fromkeys(sorted(slow), "took longer than its budget")
    kept = sorted(path for part in done for path in part)
    assert kept == sorted(set(paths) - slow)  # each other file exactly once
    # Whole, then its parts, then the two failed parts' single files: a
    # search, not a run per file.
    parts = split(paths)
    assert len(tried) == 1 + len(parts) + 2 * len(parts[0]) < len(paths) / 4


def test_a_batch_within_its_budget_runs_once() -> None:
    tried: list[list[str]] = []

    def attempt(part: list[str]) -> int:
        tried.append(part)
        return len(part)

    assert isolate([["a.py", "b.py"]], attempt) == ([2], {})
    assert tried == [["a.py", "b.py"]]


def test_a_small_batch_splits_into_single_files_a_large_one_into_parts() -> None:
    small = [f"{n}.py" for n in range(SINGLES_UP_TO)]
    assert split(small) == [[path] for path in small]
    large = [f"{n}.py" for n in range(1000)]
    parts = split(large)
    assert len(parts) <= PARTS
    assert [path for part in parts for path in part] == large
