"""A whole review: ReviewTarget in, Report out.

The checks run concurrently (each tool is its own subprocess, and the
convention engine spreads over the cores), so a review takes about as long as
its slowest check. Their findings are suppressed, filtered to the diff,
fingerprinted and ordered; the conclusion comes from them alone; the optional
AI review only adds advisory findings and its own section.
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
from dataclasses import dataclass, replace
from pathlib import Path

from pattern_review import git
from pattern_review.baseline.base_run import mark_introduced
from pattern_review.checks.registry import CHECK_NAMES, check_of_rule, check_spec
from pattern_review.checks.result_cache import ResultCache, state_of
from pattern_review.config import Config
from pattern_review.context import CheckContext, CheckError
from pattern_review.findings.conclusion import conclude, sort_findings
from pattern_review.findings.fingerprints import fingerprint
from pattern_review.findings.rules import one_syntax_error_per_file
from pattern_review.findings.scope import (
    count_pre_existing,
    filter_findings,
    unreadable_files,
)
from pattern_review.models import (
    AddedSuppression,
    AiInfo,
    CheckOutcome,
    CheckResult,
    Finding,
    Report,
    ReviewTarget,
    TargetInfo,
)
from pattern_review.projects.per_project import (
    label_findings,
    merge_outcomes,
    project_configs,
    project_contexts,
    split_by_project,
    with_projects,
)
from pattern_review.redaction import redact_report, secrets_in
from pattern_review.rulebook.agent_file import AgentFile
from pattern_review.target import exclude_files

# The check a cold review waits for. The others run at a lower priority so
# that, on a small runner, they fill the cores it leaves idle instead of
# slowing it down.
LONG_POLE = "mypy"
YIELD_NICENESS = 19


@dataclass(frozen=True)
class AiOptions:
    """What the AI review needs beyond the findings.

    Attributes:
        api_key: The Anthropic key; None skips the AI review.
        pr_title: The pull request's title (untrusted).
        pr_body: The pull request's body (untrusted).
        secrets: Values that must never reach the model (tokens).
    """

    api_key: str | None
    pr_title: str = ""
    pr_body: str = ""
    secrets: tuple[str, ...] = ()


def requested_checks(config: Config, agent: AgentFile) -> list[str]:
    """Return the checks a review runs, in CHECK_NAMES order.

    Args:
        config: ``checks`` overrides everything when set.
        agent: Its Completion Checklist names the tools otherwise.

    Returns:
        Check names.
    """
    wanted = config.checks
    if wanted is None:
        wanted = [*agent.checklist_tools, "conventions"]
    return [name for name in CHECK_NAMES if name in wanted]


def cache_dir_for(config: Config, repo: Path) -> Path:
    """Return the folder for tool caches, outside the work tree.

    Args:
        config: ``cache_dir`` wins when set.
        repo: The reviewed repo; its path keys the cache.

    Returns:
        An existing folder.
    """
    if config.cache_dir:
        root = Path(config.cache_dir).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        # Keyed by the repository, not the work tree: a head reviewed in a
        # temporary work tree (as the action does) still finds its caches.
        try:
            identity = str(git.common_dir(repo))
        except git.GitError:
            identity = str(repo)
        key = hashlib.sha256(identity.encode()).hexdigest()[:12]
        root = Path(base) / "pattern-review" / key
    root.mkdir(parents=True, exist_ok=True)
    return root


def _run_check(name: str, context: CheckContext) -> CheckOutcome:
    if context.niceness:
        # Linux schedules threads separately: this lowers the priority of the
        # in-process convention engine as well as of the tools started here.
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), context.niceness)
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
    outcome.result.duration_s = round(time.perf_counter() - started, 3)
    return outcome


def _read_sources(target: ReviewTarget) -> dict[str, str]:
    sources: dict[str, str] = {}
    for changed in target.reviewed_files:
        try:
            sources[changed.path] = (target.repo / changed.path).read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    return sources


def _suppress(
    findings: list[Finding],
    target: ReviewTarget,
    sources: dict[str, str],
    config: Config,
    ran: set[str],
    convention_rules: frozenset[str],
) -> tuple[list[Finding], list[AddedSuppression]]:
    from pattern_review.findings.suppressions import suppress

    added = {f.path: f.added_lines for f in target.reviewed_files}
    done = suppress(
        findings,
        sources,
        config,
        checked=lambda rule: check_of_rule(rule, convention_rules) in ran,
        added_lines=added,
    )
    return done.kept, done.added_by_pr


def _context_for(name: str, running: list[str], context: CheckContext) -> CheckContext:
    """Adapt the shared context to a check that runs beside ``running``."""
    if len(running) == 1:
        return context  # alone: every core is its own
    if name == "conventions" and context.config.jobs == 0:
        # Worker processes would only fight the tools for the cores (and pay
        # a start-up of their own): one in-process engine is faster here.
        context = replace(context, config=context.config.model_copy(update={"jobs": 1}))
    if LONG_POLE in running and name != LONG_POLE:
        context = replace(context, niceness=YIELD_NICENESS)
    return context


def _run_checks(
    names: list[str], context: CheckContext, cache: ResultCache | None
) -> dict[str, CheckOutcome]:
    """Run checks concurrently, reusing cached outcomes of identical runs."""
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
    if "conventions" in to_run:
        from pattern_review.conventions.pool import prestart

        prestart()  # PR files are parsed out of process: it boots meanwhile
    with ThreadPoolExecutor(max_workers=len(to_run)) as pool:
        futures: dict[str, Future[CheckOutcome]] = {}
        if LONG_POLE in to_run and len(to_run) > 1:
            # The long pole starts alone: the others' start-up (libcst's
            # import, tool launches) would otherwise delay its process, and
            # everything that delays it delays the review.
            launched = threading.Event()
            pole_context = replace(
                _context_for(LONG_POLE, to_run, context), tool_started=launched
            )
            futures[LONG_POLE] = pool.submit(_run_check, LONG_POLE, pole_context)
            # Also released if the pole ends without starting its tool.
            futures[LONG_POLE].add_done_callback(lambda _: launched.set())
            launched.wait()
        for name in to_run:
            if name not in futures:
                futures[name] = pool.submit(
                    _run_check, name, _context_for(name, to_run, context)
                )
        for name in to_run:
            future = futures[name]
            outcomes[name] = future.result()
            if cache:
                cache.put(name, outcomes[name])
    return outcomes


def _run_projects(names: list[str], context: CheckContext) -> dict[str, CheckOutcome]:
    """Run the checks once per touched project, projects side by side."""
    contexts = project_contexts(context)

    def run_project(project_context: CheckContext) -> dict[str, CheckOutcome]:
        own = project_context.config.checks
        left_out = {n for n in names if own is not None and n not in own}
        cache = None
        if project_context.config.result_cache:
            folder = project_context.cache_dir / "results"
            cache = ResultCache(folder, state_of(project_context))
        wanted = [n for n in names if n not in left_out]
        outcomes = _run_checks(wanted, project_context, cache) if wanted else {}
        for name in left_out:
            skipped = CheckResult(
                name=name, status="skipped", detail="left out by the project's checks"
            )
            outcomes[name] = CheckOutcome(result=skipped)
        return outcomes

    workers = max(1, min(len(contexts), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = list(pool.map(run_project, contexts))
    pairs = list(zip(contexts, done, strict=True))
    return {
        name: merge_outcomes(name, [(c.where, runs[name]) for c, runs in pairs])
        for name in names
    }


def _final_result(result: CheckResult, kept: int, found: int) -> CheckResult:
    if result.status in ("error", "skipped"):
        return result
    status = "failed" if kept else "passed"
    detail = f"{kept} finding(s) in scope"
    if found > kept:
        detail += f", {found - kept} outside the diff or suppressed"
    if result.detail:
        detail += f"; {result.detail}"
    return result.model_copy(update={"status": status, "detail": detail})


def run_review(
    target: ReviewTarget,
    config: Config,
    agent: AgentFile,
    *,
    ai: AiOptions | None = None,
) -> Report:
    """Review a target.

    Args:
        target: What changed.
        config: How to review it.
        agent: The rulebook the findings cite.
        ai: AI review options; None (or no key) skips it.

    Returns:
        The report: findings in scope, one result per check, the conclusion.
    """
    from pattern_review.rulebook.binding import coverage_items, rulebook_for

    requested = requested_checks(config, agent)
    target = exclude_files(target, config.exclude)
    target = with_projects(target, config.projects)
    folder = cache_dir_for(config, target.repo)
    # Which rules the team's agent file still asks for.
    rulebook = rulebook_for(
        target, config, agent, folder, conventions="conventions" in requested
    )
    context = CheckContext(target, config, folder, rulebook=rulebook)
    outcomes: dict[str, CheckOutcome] = {}
    runnable: list[str] = []
    for name in CHECK_NAMES:
        reason = None
        if name not in requested:
            reason = (
                "not in the agent file's Completion Checklist"
                if config.checks is None
                else "left out by the checks setting"
            )
        elif target.safe_mode and check_spec(name).safe_mode_skip:
            reason = check_spec(name).safe_mode_skip
        elif not context.python_paths:
            reason = "no changed Python files"
        if reason:
            result = CheckResult(name=name, status="skipped", detail=reason)
            outcomes[name] = CheckOutcome(result=result)
        else:
            runnable.append(name)
    if runnable:
        outcomes.update(_run_projects(runnable, context))

    sources = _read_sources(target)
    found = [
        rulebook.recite(f) for name in CHECK_NAMES for f in outcomes[name].findings
    ]
    found += unreadable_files(target)
    found = label_findings(found, target)
    ran = {name for name in CHECK_NAMES if outcomes[name].result.status != "skipped"}
    found = mark_introduced(found, target, context, sources, ran)
    # Each project's own select/ignore lists and filter mode apply to it.
    configs = project_configs(target, config)
    kept = []
    pre_existing = 0
    added_suppressions: list[AddedSuppression] = []
    # Team rules included: an ignore entry names the check that owns its rule.
    convention_rules = frozenset(
        b.rule for b in rulebook.bindings if b.via == "convention"
    )
    for project, group, texts in split_by_project(target, found, sources):
        own = configs.get(project, config)
        part, added = _suppress(group, target, texts, own, ran, convention_rules)
        added_suppressions += added
        if own.filter_mode == "added":  # the mode that leaves them out
            pre_existing += count_pre_existing(part, target)
        kept += filter_findings(part, target, own.filter_mode)
    kept = label_findings(kept, target)  # the suppressions' own notes too
    kept = sort_findings(fingerprint(kept, sources))
    checks = []
    for name in CHECK_NAMES:
        source = check_spec(name).source
        checks.append(
            _final_result(
                outcomes[name].result,
                sum(1 for f in kept if f.source == source),
                sum(1 for f in found if f.source == source),
            )
        )
    # Each check's status counts its own syntax errors; the list says each once.
    kept = one_syntax_error_per_file(kept)
    report = Report(
        conclusion=conclude(kept, checks, config.fail_on),
        base=target.base,
        head=target.head,
        target=TargetInfo(
            repository=target.repository, pr=target.pr, event=target.event
        ),
        findings=kept,
        checks=checks,
        agent_file=agent.path,
        skipped_files={f.path: f.skip_reason for f in target.files if f.skip_reason},
        diff_hunks={f.path: list(f.hunks) for f in target.reviewed_files},
        safe_mode=target.safe_mode,
        added_suppressions=added_suppressions,
        pre_existing=pre_existing,
        rulebook_notice=rulebook.notice(),
    )
    if not agent.builtin and not target.safe_mode and target.file(agent.path):
        report.coverage = coverage_items(rulebook)  # the PR edits the rulebook
    if ai is None:
        report.ai = AiInfo(status="skipped", notice="AI review turned off (--no-ai)")
    elif not ai.api_key:
        report.ai = AiInfo(status="skipped", notice="no Anthropic API key configured")
    else:
        uncovered = tuple((row.slug or "", row.text) for row in rulebook.uncovered())
        report = _with_ai(report, target, config, agent, ai, sources, uncovered)
    # Everything published or written is rendered from this report: no
    # secret a PR's test printed gets past here.
    return redact_report(report, ai.secrets if ai else ())


def _with_ai(
    report: Report,
    target: ReviewTarget,
    config: Config,
    agent: AgentFile,
    ai: AiOptions,
    sources: dict[str, str],
    uncovered: tuple[tuple[str, str], ...] = (),
) -> Report:
    from pattern_review.ai.review import AiRequest, run_ai_review

    result = run_ai_review(
        AiRequest(
            target=target,
            findings=list(report.findings),
            agent=agent,
            config=config,
            api_key=ai.api_key,
            pr_title=ai.pr_title,
            pr_body=ai.pr_body,
            # What a PR's test printed is in the findings: no secret to the model.
            secrets=(*ai.secrets, *secrets_in(os.environ)),
            uncovered=uncovered,
        )
    )
    advisory = fingerprint(result.findings, sources)
    return report.model_copy(
        update={
            "ai": result.info,
            "findings": sort_findings([*report.findings, *advisory]),
        }
    )
