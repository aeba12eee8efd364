"""A whole review: how it schedules its checks, and whose rules its ignores name.

The scheduling tests register stand-ins under the real check names, so the
test sees exactly when and how ``run_review`` starts each one.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import types
from collections.abc import Callable
from pathlib import Path

import pytest

from pattern_review import review
from pattern_review.checks import schedule
from pattern_review.checks.registry import CHECK_NAMES, check_spec
from pattern_review.config import Config
from pattern_review.context import CheckContext
from pattern_review.errors import CheckError
from pattern_review.models import CheckOutcome, CheckResult
from pattern_review.projects.priority import (
    NEXT_POLE_NICENESS,
    YIELD_NICENESS,
    thread_niceness,
)
from pattern_review.rulebook.agent_file import builtin_agent_file, parse_agent_file
from pattern_review.target import build_target
from tests.check_context import check_context
from tests.conftest import SEED_AGENT_FILE
from tests.gitrepo import GitRepo

Starts = dict[str, tuple[float, int]]


def _register(
    monkeypatch: pytest.MonkeyPatch, name: str, run: Callable[[CheckContext], object]
) -> None:
    module = types.ModuleType(f"tests_fake_check_{name.replace('-', '_')}")
    module.run = run  # type: ignore[attr-defined]
    # Found where the registry says the check lives: run_review imports it then.
    monkeypatch.setitem(sys.modules, check_spec(name).module, module)


def _passed(name: str) -> CheckOutcome:
    return CheckOutcome(result=CheckResult(name=name, status="passed"))


def _others(monkeypatch: pytest.MonkeyPatch, starts: Starts) -> None:
    for name in ("ruff-format", "ruff", "pytest", "conventions"):

        def run(ctx: CheckContext, name: str = name) -> CheckOutcome:
            starts[name] = (time.monotonic(), ctx.niceness)
            return _passed(name)

        _register(monkeypatch, name, run)


def _pole_beside_others(
    monkeypatch: pytest.MonkeyPatch,
    starts: Starts,
    pole: Callable[[CheckContext], CheckOutcome],
    ruff_started: threading.Event,
) -> None:
    """Register ``pole`` as mypy, stand-ins for the rest; ruff's sets the event."""
    _register(monkeypatch, "mypy", pole)
    _others(monkeypatch, starts)
    ruff = sys.modules[check_spec("ruff").module].run

    def ruff_then_tell(ctx: CheckContext) -> object:
        ruff_started.set()
        return ruff(ctx)

    _register(monkeypatch, "ruff", ruff_then_tell)


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

    _pole_beside_others(monkeypatch, starts, pole, others_ran_beside_it)

    statuses = _review(git_repo, tmp_path)

    assert others_ran_beside_it.is_set()
    assert set(starts) == set(CHECK_NAMES)
    # The convention check too, and with it the engine's forkserver, started
    # by its first worker (``checks/test_schedule.py``): after the pole's
    # process.
    assert all(starts[name][0] >= launched_at[0] for name in starts)
    niceness = {name: nice for name, (_, nice) in starts.items()}
    assert niceness.pop("mypy") == 0
    assert niceness.pop("pytest") == NEXT_POLE_NICENESS < YIELD_NICENESS
    assert set(niceness.values()) == {YIELD_NICENESS}
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


def test_a_long_pole_slow_to_start_its_tool_holds_the_others_a_moment_only(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    starts: Starts = {}
    others_started = threading.Event()
    seen: dict[str, bool] = {}
    monkeypatch.setattr(schedule, "POLE_HEAD_START_S", 0.2)

    def pole(ctx: CheckContext) -> CheckOutcome:
        # Building its environment, say: the others go once the head start ends.
        assert ctx.tool_started is not None
        seen["others went first"] = others_started.wait(timeout=10)
        seen["its tool had started"] = ctx.tool_started.is_set()
        return _passed("mypy")

    _pole_beside_others(monkeypatch, starts, pole, others_started)

    statuses = _review(git_repo, tmp_path)

    assert seen == {"others went first": True, "its tool had started": False}
    assert set(statuses.values()) == {"passed"}


# -- which check an ignore entry belongs to ------------------------------------

TEAM_SENTENCE = "Never call `print()` in application code; log instead"
TEAM_RULE = f'''\
"""The team's own rule: no print() in application code."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from pattern_review.conventions.rule import Example, Rule


class NoPrintRule(Rule):
    """Application code logs; ``print`` output is lost in production."""

    ID = "ACME001"
    PATTERN = "error-handling"
    SUMMARY = "No print() in application code"
    AGENT_TEXT = "{TEAM_SENTENCE}"
    MESSAGE = "print() in application code: log with logging.getLogger(__name__)."
    SEVERITY = "warning"
    VALID = (Example("def show(value: int) -> str:\\n    return str(value)\\n"),)
    INVALID = (Example("print('x')\\n", line=1, column=1),)

    def visit_Call(self, node: cst.Call) -> None:
        """Flag a call of the builtin ``print``."""
        if m.matches(node, m.Call(func=m.Name("print"))):
            self.report(node)
'''
HELPERS = '''\
"""Helpers."""

from __future__ import annotations


def double(value: int) -> int:
    """Return twice the value."""
    print(value)  # pattern-review: ignore[ACME001] a demo script
    return value * 2  # pattern-review: ignore[ACME001] stale
'''


def _team_rule_review(git_repo: GitRepo, tmp_path: Path, check: str) -> list[str]:
    """Review a PR under a team rule with one used and one unused ignore of it."""
    anchor = "- Use Pydantic validators for input validation"
    seed = SEED_AGENT_FILE.read_text(encoding="utf-8")
    agent_text = seed.replace(anchor, f"{anchor}\n- {TEAM_SENTENCE}")
    git_repo.write(".claude/agents/backend-developer.md", agent_text, dedent=False)
    git_repo.write("review_rules/acme.py", TEAM_RULE, dedent=False)
    git_repo.write("app/__init__.py", "")
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.write("app/helpers.py", HELPERS, dedent=False)
    git_repo.commit("feature")
    config = Config(
        checks=[check],
        rule_modules=["review_rules/acme.py"],
        cache_dir=str(tmp_path / "cache"),
        result_cache=False,
    )
    report = review.run_review(
        build_target(git_repo.path, "main", "HEAD"),
        config,
        parse_agent_file(agent_text, ".claude/agents/backend-developer.md"),
    )
    return [f"{f.rule} {f.line} {f.message}" for f in report.findings]


def test_an_unused_ignore_of_a_team_rule_is_reported_when_conventions_ran(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    found = _team_rule_review(git_repo, tmp_path, "conventions")
    # ACME001 belongs to the convention engine, which ran: the used entry
    # silences the print, the stale one is a note (not taken for ruff's).
    assert found == [
        "PR100 9 Unused pattern-review ignore[ACME001]: no ACME001 finding here;"
        " remove the entry."
    ]


def test_the_checks_yield_a_step_less_as_each_pole_ends(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    starts: Starts = {}
    ruff_beside_the_pole = threading.Event()
    pytest_beside_the_pole = threading.Event()
    pytest_seen_mypy_end = threading.Event()
    seen: dict[str, int] = {}

    def wait_for(condition: Callable[[], bool]) -> None:
        ends = time.monotonic() + 10
        while not condition() and time.monotonic() < ends:
            time.sleep(0.01)

    def mypy(ctx: CheckContext) -> CheckOutcome:
        assert ctx.tool_started is not None
        ctx.tool_started.set()
        ruff_beside_the_pole.wait(timeout=10)
        pytest_beside_the_pole.wait(timeout=10)
        return _passed("mypy")

    def pytest_(ctx: CheckContext) -> CheckOutcome:
        seen["pytest during"] = ctx.niceness_now
        pytest_beside_the_pole.set()
        yielding = ctx.shared.yielding
        wait_for(lambda: yielding.niceness(NEXT_POLE_NICENESS) == 0)
        # mypy has ended: pytest goes first now, the others a step behind it.
        seen["pytest after mypy"] = ctx.niceness_now
        seen["thread after mypy"] = thread_niceness()
        seen["others after mypy"] = yielding.niceness(YIELD_NICENESS)
        pytest_seen_mypy_end.set()
        return _passed("pytest")

    def ruff(ctx: CheckContext) -> CheckOutcome:
        seen["during"] = ctx.niceness_now
        seen["thread during"] = thread_niceness()
        ruff_beside_the_pole.set()
        pytest_seen_mypy_end.wait(timeout=10)
        wait_for(lambda: ctx.shared.yielding.ended)
        # Nothing to yield to any more: a busy machine would starve it.
        seen["after"] = ctx.niceness_now
        seen["thread after"] = thread_niceness()
        return _passed("ruff")

    _others(monkeypatch, starts)
    _register(monkeypatch, "mypy", mypy)
    _register(monkeypatch, "pytest", pytest_)
    _register(monkeypatch, "ruff", ruff)

    statuses = _review(git_repo, tmp_path)

    assert set(statuses.values()) == {"passed"}
    assert seen["pytest during"] == NEXT_POLE_NICENESS
    assert seen["during"] == YIELD_NICENESS
    assert seen["pytest after mypy"] == 0
    assert seen["others after mypy"] == NEXT_POLE_NICENESS
    assert seen["after"] == 0
    if os.geteuid() == 0:  # giving a niceness back needs the privilege to
        assert seen["thread during"] == YIELD_NICENESS
        assert seen["thread after mypy"] == thread_niceness()
        assert seen["thread after"] == thread_niceness()
