"""How a review schedules its checks: the long pole first, the others yield.

The checks here are stand-ins registered under the real check names, so the
test sees exactly when and how ``run_review`` starts each one.
"""

from __future__ import annotations

import sys
import threading
import time
import types
from collections.abc import Callable
from pathlib import Path

import pytest

from pattern_review import review
from pattern_review.config import Config
from pattern_review.context import CheckContext, CheckError
from pattern_review.models import CHECK_NAMES, CheckOutcome, CheckResult
from pattern_review.rulebook.agent_file import builtin_agent_file
from tests.check_context import check_context
from tests.gitrepo import GitRepo

Starts = dict[str, tuple[float, int]]


def _register(
    monkeypatch: pytest.MonkeyPatch, name: str, run: Callable[[CheckContext], object]
) -> None:
    module = types.ModuleType(f"tests_fake_check_{name.replace('-', '_')}")
    module.run = run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(review.CHECK_MODULES, name, module.__name__)


def _passed(name: str) -> CheckOutcome:
    return CheckOutcome(result=CheckResult(name=name, status="passed"))


def _others(monkeypatch: pytest.MonkeyPatch, starts: Starts) -> None:
    for name in ("ruff-format", "ruff", "pytest", "conventions"):

        def run(ctx: CheckContext, name: str = name) -> CheckOutcome:
            starts[name] = (time.monotonic(), ctx.niceness)
            return _passed(name)

        _register(monkeypatch, name, run)


def _review(git_repo: GitRepo, tmp_path: Path) -> dict[str, str]:
    git_repo.write("app/mod.py", "x: int = 1\n")
    target = check_context(git_repo, tmp_path, "app/mod.py").target
    config = Config(cache_dir=str(tmp_path / "cache"), result_cache=False)
    statuses: dict[str, str] = {}

    def run() -> None:
        report = review.run_review(target, config, builtin_agent_file())
        statuses.update({check.name: check.status for check in report.checks})

    # In a thread, so that a scheduling deadlock fails the test, not hangs it.
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "the review never finished"
    return statuses


def test_the_other_checks_start_once_the_long_poles_tool_has(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    starts: Starts = {}
    launched_at: list[float] = []
    others_ran_beside_it = threading.Event()

    def pole(ctx: CheckContext) -> CheckOutcome:
        time.sleep(0.3)  # setting up its environment, say
        assert ctx.tool_started is not None
        launched_at.append(time.monotonic())
        ctx.tool_started.set()
        starts["mypy"] = (launched_at[0], ctx.niceness)
        # Its tool runs on: the others start now, not once it is done.
        others_ran_beside_it.wait(timeout=10)
        return _passed("mypy")

    _register(monkeypatch, "mypy", pole)
    _others(monkeypatch, starts)
    ruff = sys.modules[review.CHECK_MODULES["ruff"]].run

    def ruff_beside_the_pole(ctx: CheckContext) -> object:
        others_ran_beside_it.set()
        return ruff(ctx)

    _register(monkeypatch, "ruff", ruff_beside_the_pole)

    statuses = _review(git_repo, tmp_path)

    assert others_ran_beside_it.is_set()
    assert set(starts) == set(CHECK_NAMES)
    assert all(starts[name][0] >= launched_at[0] for name in starts)
    niceness = {name: nice for name, (_, nice) in starts.items()}
    assert niceness.pop("mypy") == 0
    assert set(niceness.values()) == {review.YIELD_NICENESS}
    assert set(statuses.values()) == {"passed"}


def test_a_long_pole_that_fails_before_its_tool_starts_holds_nothing_up(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    starts: Starts = {}
    never_set = threading.Event()

    def pole(ctx: CheckContext) -> CheckOutcome:
        assert ctx.tool_started is not None
        never_set.wait(0.2)
        raise CheckError("uv run failed: no network")

    _register(monkeypatch, "mypy", pole)
    _others(monkeypatch, starts)

    statuses = _review(git_repo, tmp_path)

    assert statuses.pop("mypy") == "error"
    assert set(statuses.values()) == {"passed"}
    assert set(starts) == set(statuses)
