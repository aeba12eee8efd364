"""What the checks of one review share: set up once, by the first to ask."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from pattern_review.context import SharedSetup
from pattern_review.errors import CheckError


def test_an_entry_is_set_up_once_while_the_others_wait() -> None:
    shared = SharedSetup()
    calls: list[str] = []

    def set_up() -> str:
        calls.append("set up")
        time.sleep(0.05)  # the others arrive while it is being set up
        return "ruff"

    found: list[Path | str] = []
    threads = [
        threading.Thread(
            target=lambda: found.append(
                shared.once(shared.ruff_programs, ("ruff", "0.6.9"), set_up)
            )
        )
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert calls == ["set up"]
    assert found == ["ruff"] * 4
    assert shared.ruff_programs == {("ruff", "0.6.9"): "ruff"}


def test_other_keys_are_set_up_side_by_side() -> None:
    shared = SharedSetup()
    started = threading.Event()
    release = threading.Event()

    def slow() -> CheckError:
        started.set()
        release.wait(5)
        return CheckError("could not be set up")

    worker = threading.Thread(
        target=shared.once, args=(shared.environments, ("slow",), slow)
    )
    worker.start()
    assert started.wait(5)
    # Not blocked by the entry still being set up.
    fast = shared.once(shared.ruff_programs, ("ruff", "1"), lambda: Path("/bin/ruff"))
    release.set()
    worker.join()

    assert fast == Path("/bin/ruff")
    failure = shared.environments[("slow",)]
    assert isinstance(failure, CheckError)
    assert str(failure) == "could not be set up"
