"""Running the checks: once per touched project, side by side, merged into one.

A review's checks run per project: each project gets a context of its own
(its folder, its config, its own cache folder), its checks run concurrently
(each tool is its own subprocess), and the outcomes of all projects are
merged into one result per check, whose detail names each project when there
are several (or one outside the root). A cold review takes about as long as
its slowest check, so that check starts first and the others yield to it,
pytest less than the rest, a step less for each of the two that ends
(``projects.priority``).

The review's wall budget (``CheckContext.deadline``) holds here: a check
still running when it runs out (and a moment's grace for one that is just
ending) is reported as an error that says so, its commands are killed, and
the review goes on without it. When the checks are done, whatever their
commands left running is ended (``reaper``).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from pathlib import Path

from pattern_review.checks.registry import check_spec
from pattern_review.checks.result_cache import ResultCache, state_of
from pattern_review.context import CheckContext
from pattern_review.errors import CheckError
from pattern_review.findings.conclusion import worst_status
from pattern_review.models import CheckOutcome, CheckResult, Finding
from pattern_review.projects import reaper
from pattern_review.projects.discovery import ROOT, Project
from pattern_review.projects.per_project import project_configs
from pattern_review.projects.priority import NEXT_POLE_NICENESS, YIELD_NICENESS
from pattern_review.projects.process import Deadline

# The check a cold review waits for. The others run at a lower priority
# (YIELD_NICENESS) so that, on a small runner, they fill the cores it leaves
# idle instead of slowing it down, a step less once it ends (``priority``).
LONG_POLE = "mypy"
# pytest is one process, and on a large PR the last check to end: it yields
# to the long pole (NEXT_POLE_NICENESS) but goes before the convention engine,
# whose files spread over every core once the long pole is done.
NEXT_POLE = "pytest"
# How long the others wait for the long pole's tool to start: its process
# starts in tens of milliseconds; an environment still being set up (a
# download, an install) is waiting the others need not share.
POLE_HEAD_START_S = 1.0
# After the review's budget runs out, how long a check whose commands were
# just killed may take to report before it is given up on.
DEADLINE_GRACE_S = 2.0


def run_per_project(names: list[str], context: CheckContext) -> dict[str, CheckOutcome]:
    """Run checks once per touched project, projects side by side.

    Args:
        names: The checks to run.
        context: The review's context (the repository root's).

    Returns:
        One merged outcome per check.

    Raises:
        ConfigError: A project's own table is malformed.
    """
    contexts = project_contexts(context)
    # One project: its findings are the review's, so what the review does
    # with a check's findings can start as soon as it ends (several: the
    # review waits for all).
    ended = None
    if len(contexts) == 1:
        ended = _start_follow_ups(context, contexts[0], LONG_POLE in names)

    def run_project(project_context: CheckContext) -> dict[str, CheckOutcome]:
        own = project_context.config.checks
        left_out = {n for n in names if own is not None and n not in own}
        cache = None
        if project_context.config.result_cache:
            folder = project_context.cache_dir / "results"
            cache = ResultCache(folder, state_of(project_context))
        wanted = [n for n in names if n not in left_out]
        outcomes = run_checks(wanted, project_context, cache, ended) if wanted else {}
        for name in left_out:
            skipped = CheckResult(
                name=name, status="skipped", detail="left out by the project's checks"
            )
            outcomes[name] = CheckOutcome(result=skipped)
        return outcomes

    workers = max(1, min(len(contexts), os.cpu_count() or 1))
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            done = list(pool.map(run_project, contexts))
    finally:
        # Nothing a check started outlives the checks: not a daemon a PR's
        # test detached (``setsid``), not a command cut off by the budget.
        reaper.end_orphans()
    pairs = list(zip(contexts, done, strict=True))
    return {
        name: merge_outcomes(name, [(c.where, runs[name]) for c, runs in pairs])
        for name in names
    }


def _start_follow_ups(
    context: CheckContext, project_context: CheckContext, pole_runs: bool
) -> Callable[[str, CheckOutcome], None]:
    """Return what starts, beside mypy, what follows a check's end.

    A compared check's base-version run (``baseline``), and the safety check
    of its suggestions (``safe_suggestions``).

    Args:
        context: The review's context (the repository root's).
        project_context: The context of the one project reviewed.
        pole_runs: Whether the long pole is among the checks run.

    Returns:
        The callback for each check that ran, as it ends.
    """
    from pattern_review.baseline.base_run import introduced_early, start_early
    from pattern_review.checks.safe_suggestions import precheck

    pole_ended = threading.Event()
    if not pole_runs:
        pole_ended.set()  # nothing to hide the wait behind

    def ended(name: str, outcome: CheckOutcome) -> None:
        if name == LONG_POLE:
            pole_ended.set()
        if outcome.result.status not in ("passed", "failed"):
            return
        start_early(name, outcome.findings, context, YIELD_NICENESS)
        if not any(f.suggestion is not None for f in outcome.findings):
            return
        # While the long pole runs there is time to wait for the base run
        # and check only what the PR introduced (on a large PR most are not
        # the PR's); after it, the review waits: check them all at once.
        wait = not pole_ended.is_set()

        def check_suggestions() -> None:
            found = outcome.findings
            new = introduced_early(name, found, context) if wait else found
            precheck(new, project_context, YIELD_NICENESS)

        threading.Thread(target=check_suggestions, daemon=True).start()

    return ended


def _cache_dir(root: Path, project: Project) -> Path:
    if project.path == ROOT:
        return root
    slug = hashlib.sha256(project.path.encode()).hexdigest()[:8]
    name = project.path.replace("/", "_")[:40]
    return root / "projects" / f"{name}-{slug}"


def project_contexts(context: CheckContext) -> list[CheckContext]:
    """Split a review's context into one per project with changed Python files.

    A project's own ``[tool.pattern-review]`` applies over the root's (not in
    safe mode, where the PR's config is not read).

    Args:
        context: The review's context (the repository root's).

    Returns:
        One context per project, in folder order.

    Raises:
        ConfigError: A project's own table is malformed.
    """
    target = context.target
    folders = sorted(
        {f.project for f in target.reviewed_files if f.path.endswith(".py")}
    )
    configs = project_configs(target, context.config)
    contexts = []
    for folder in folders:
        project = Project(
            folder, target.repo / folder if folder != ROOT else target.repo
        )
        contexts.append(
            replace(
                context,
                project=project,
                config=configs[folder],
                cache_dir=_cache_dir(context.cache_dir, project),
            )
        )
    return contexts


def merge_outcomes(
    name: str, outcomes: list[tuple[Project, CheckOutcome]]
) -> CheckOutcome:
    """Combine one check's outcomes over the projects into one.

    Args:
        name: The check.
        outcomes: Each project and the check's outcome there.

    Returns:
        All findings; the worst status (``error`` over ``failed`` over
        ``passed``); the longest duration (projects run side by side); a
        detail naming each project, unless the only one is the root.
    """
    if len(outcomes) == 1 and outcomes[0][0].path == ROOT:
        return outcomes[0][1]
    findings: list[Finding] = []
    details = []
    output = []
    duration = 0.0
    for project, outcome in outcomes:
        result = outcome.result
        findings += outcome.findings
        duration = max(duration, result.duration_s)
        label = project.label
        details.append(f"{label}: {result.detail}" if result.detail else label)
        if result.output:
            output.append(f"--- {label}\n{result.output}")
    merged = CheckResult(
        name=name,
        status=worst_status(outcome.result.status for _, outcome in outcomes),
        duration_s=duration,
        detail="; ".join(details),
        output="\n".join(output),
    )
    return CheckOutcome(result=merged, findings=findings)


def run_checks(
    names: list[str],
    context: CheckContext,
    cache: ResultCache | None,
    ended: Callable[[str, CheckOutcome], None] | None = None,
) -> dict[str, CheckOutcome]:
    """Run one project's checks concurrently, reusing cached outcomes.

    Args:
        names: The checks to run.
        context: The project's context.
        cache: Outcomes of earlier identical runs; None when it is off.
        ended: Called with each check that ran (not a reused one) as it ends,
            before its outcome is handed on.

    Returns:
        The outcome of each check.
    """
    outcomes: dict[str, CheckOutcome] = {}
    to_run: list[str] = []
    for name in names:
        cached = cache.get(name) if cache else None
        if cached is None:
            to_run.append(name)
            continue
        note = "reused: same content, environment and config as an earlier run"
        detail = f"{cached.result.detail}; {note}" if cached.result.detail else note
        cached.result = cached.result.model_copy(
            update={"detail": detail, "duration_s": 0.0}
        )
        outcomes[name] = cached
    if not to_run:
        return outcomes
    # The engine starts on one worker beside the tools; the long pole's core
    # goes to it when that ends (unless the jobs setting caps it).
    grows = LONG_POLE in to_run and "conventions" in to_run and not context.config.jobs
    pool = ThreadPoolExecutor(max_workers=len(to_run))
    try:
        futures: dict[str, Future[CheckOutcome]] = {}
        # What the others yield to, while it runs, at its own niceness.
        poles: dict[str, int] = {}
        if LONG_POLE in to_run and len(to_run) > 1:
            poles = {LONG_POLE: 0, NEXT_POLE: NEXT_POLE_NICENESS}
            # The long pole starts alone: the others' start-up (libcst's
            # import, tool launches) would otherwise delay its process, and
            # everything that delays it delays the review.
            launched = threading.Event()
            pole_context = replace(
                context_for(LONG_POLE, to_run, context), tool_started=launched
            )
            for pole, niceness in poles.items():
                if pole in to_run:
                    context.shared.yielding.pole_started(niceness)
            futures[LONG_POLE] = pool.submit(
                _run_then,
                LONG_POLE,
                pole_context,
                ended,
                lends=grows,
                pole=poles[LONG_POLE],
            )
            # Also released if the pole ends without starting its tool.
            futures[LONG_POLE].add_done_callback(lambda _: launched.set())
            launched.wait(POLE_HEAD_START_S)
        for name in to_run:
            if name not in futures:
                futures[name] = pool.submit(
                    _run_then,
                    name,
                    context_for(name, to_run, context),
                    ended,
                    grows=grows and name == "conventions",
                    pole=poles.get(name),
                )
        for name in to_run:
            outcomes[name] = _outcome(name, futures[name], context.deadline)
            if cache:
                cache.put(name, outcomes[name])
    finally:
        # Not waiting for a check the budget gave up on: its commands are
        # killed, and its thread ends on its own.
        pool.shutdown(wait=False, cancel_futures=True)
        if grows:
            from pattern_review.conventions.pool import take_back_cores

            take_back_cores()
    return outcomes


def _run_then(
    name: str,
    context: CheckContext,
    ended: Callable[[str, CheckOutcome], None] | None,
    *,
    grows: bool = False,
    lends: bool = False,
    pole: int | None = None,
) -> CheckOutcome:
    """Run a check, then tell ``ended`` (a failure there is not the check's).

    Args:
        name: The check.
        context: Its context.
        ended: Told of its outcome; None: nobody.
        grows: The convention engine may take the cores lent meanwhile.
        lends: Its core is lent to the engine when it ends.
        pole: Its niceness when others yield to it until it ends (the long
            pole's 0, the next pole's 10); None: nothing does.

    Returns:
        Its outcome.
    """
    try:
        if grows:
            from pattern_review.conventions.pool import may_grow_to

            with may_grow_to(os.cpu_count() or 1):
                outcome = run_check(name, context)
        else:
            outcome = run_check(name, context)
    finally:
        if pole is not None:
            context.shared.yielding.pole_ended(pole)
    if lends:
        from pattern_review.conventions.pool import lend_core

        lend_core()
    if ended is not None:
        with contextlib.suppress(Exception):
            ended(name, outcome)
    return outcome


def _time_left(deadline: Deadline | None) -> float | None:
    """Seconds to wait for a check: the budget left and the grace; None: no end."""
    return None if deadline is None else deadline.left() + DEADLINE_GRACE_S


def _outcome(
    name: str, future: Future[CheckOutcome], deadline: Deadline | None
) -> CheckOutcome:
    """Wait for a check's outcome, or report it cut short by the review's budget."""
    try:
        return future.result(timeout=_time_left(deadline))
    except FutureTimeout:
        pass
    assert deadline is not None  # only a deadline stops the wait
    # Its commands may not have been told of the deadline (an environment
    # being built): end them, so that its thread ends too.
    reaper.end_commands()
    result = CheckResult(
        name=name,
        status="error",
        duration_s=deadline.budget_s,
        detail=deadline.reason(),
    )
    return CheckOutcome(result=result)


def context_for(name: str, running: list[str], context: CheckContext) -> CheckContext:
    """Adapt the shared context to a check that runs beside ``running``.

    Args:
        name: The check.
        running: Every check that runs now, ``name`` included.
        context: The project's context.

    Returns:
        The context as is when the check runs alone; else the convention
        engine on one worker, and every check but the long pole yielding to
        it (pytest less than the others).
    """
    if len(running) == 1:
        return context  # alone: every core is its own
    if name == "conventions" and context.config.jobs == 0:
        # More workers would only fight the tools for the cores (and pay a
        # start-up each): one worker is faster here, taking a core lent when
        # a tool ends (``_run_then``).
        context = replace(context, config=context.config.model_copy(update={"jobs": 1}))
    if LONG_POLE in running and name != LONG_POLE:
        niceness = NEXT_POLE_NICENESS if name == NEXT_POLE else YIELD_NICENESS
        context = replace(context, niceness=niceness)
    return context


def run_check(name: str, context: CheckContext) -> CheckOutcome:
    """Run one check, its module imported now; a check that cannot run is an error.

    Args:
        name: The check.
        context: Its context.

    Returns:
        Its outcome, timed; status ``error`` with the reason when it raised.
    """
    # Linux schedules threads separately: this lowers the priority of the
    # in-process convention engine as well as of the tools started here.
    context.shared.yielding.lower_thread(context.niceness)
    started = time.perf_counter()
    try:
        module = importlib.import_module(check_spec(name).module)
        run: Callable[[CheckContext], CheckOutcome] = module.run
        outcome = run(context)
    except CheckError as exc:
        outcome = CheckOutcome(result=CheckResult(name=name, status="error"))
        outcome.result.detail = str(exc)
        outcome.result.output = exc.output
    # pattern-review: ignore[ERR002] a crashing check is reported, not fatal
    except Exception as exc:  # noqa: BLE001
        outcome = CheckOutcome(result=CheckResult(name=name, status="error"))
        outcome.result.detail = f"internal error: {type(exc).__name__}: {exc}"
    deadline = context.deadline
    if outcome.result.status == "error" and deadline and deadline.passed():
        # Whatever it ran into, the budget's end is why: its commands were
        # killed (an environment build, a worker) or refused to start.
        outcome.result.output = outcome.result.output or outcome.result.detail
        outcome.result.detail = deadline.reason()
    outcome.result.duration_s = round(time.perf_counter() - started, 3)
    return outcome
