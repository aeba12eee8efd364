"""A whole review: ReviewTarget in, Report out.

The stages, in order: narrow the target and assign projects; bind the
rulebook; run the checks (checks/schedule.py: per project, concurrently, so a
review takes about as long as its slowest check); collect their findings and
mark what the PR introduced (baseline/); suppress, filter to the diff,
fingerprint and order them (findings/); conclude from them alone; and let the
optional AI review add advisory findings and its own section. Everything
published is rendered from the report, redacted last. The whole review has
one wall budget (``review-budget-s``): every command's timeout is cut to what
is left of it, and a check it cuts short is an error that says so.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pattern_review import git
from pattern_review.baseline.base_run import mark_introduced
from pattern_review.checks.registry import CHECK_NAMES, check_of_rule, check_spec
from pattern_review.checks.result_cache import private_cache_root
from pattern_review.checks.safe_suggestions import (
    check_suggestions,
    project_contexts_by_folder,
)
from pattern_review.checks.schedule import project_contexts, run_per_project
from pattern_review.config import Config
from pattern_review.context import CheckContext
from pattern_review.findings.conclusion import conclude, sort_findings
from pattern_review.findings.fingerprints import fingerprint
from pattern_review.findings.merge import merge_duplicates
from pattern_review.findings.rules import one_syntax_error_per_file
from pattern_review.findings.scope import (
    count_pre_existing,
    filter_findings,
    unreadable_files,
)
from pattern_review.findings.severity import soften_test_style
from pattern_review.models import (
    AddedSuppression,
    AiInfo,
    CheckOutcome,
    CheckResult,
    Finding,
    Report,
    ReviewTarget,
    StandardChange,
    TargetInfo,
)
from pattern_review.projects.per_project import (
    label_findings,
    project_configs,
    split_by_project,
    with_projects,
)
from pattern_review.projects.process import (
    PASS_ENV_VARIABLE,
    Deadline,
    withheld_names,
)
from pattern_review.redaction import redact_report, secrets_in
from pattern_review.rulebook.agent_file import AgentFile
from pattern_review.target import exclude_files

if TYPE_CHECKING:
    from pattern_review.rulebook.book import Rulebook


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
        An existing folder nobody else can write (``private_cache_root``).
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
    return private_cache_root(root)


def run_review(
    target: ReviewTarget,
    config: Config,
    agent: AgentFile,
    *,
    ai: AiOptions | None = None,
    standard_changes: Sequence[StandardChange] = (),
) -> Report:
    """Review a target.

    Args:
        target: What changed.
        config: How to review it.
        agent: The rulebook the findings cite.
        ai: AI review options; None (or no key) skips it.
        standard_changes: What the PR changes in how it is judged; each one
            that weakens the standard is a finding too.

    Returns:
        The report: findings in scope, one result per check, the conclusion.
    """
    from pattern_review.rulebook.coverage import coverage_items

    requested = requested_checks(config, agent)
    deadline = Deadline.start(config.review_budget_s)
    target = with_projects(exclude_files(target, config.exclude), config.projects)
    folder = cache_dir_for(config, target.repo)
    rulebook = _bind_rulebook(target, config, agent, folder, requested)
    context = CheckContext(target, config, folder, rulebook=rulebook, deadline=deadline)
    outcomes = _run_requested(requested, context)
    ran = {name for name in CHECK_NAMES if outcomes[name].result.status != "skipped"}
    sources = _read_sources(target)
    found = _found_findings(outcomes, context, rulebook, sources, ran)
    kept = _kept_findings(found, context, rulebook, sources, ran)
    kept = _with_safe_suggestions(kept, context, sources)
    checks = _check_results(outcomes, kept.findings, found)
    kept = _with_standard_findings(kept, standard_changes, config, sources)
    report = _report(kept, checks, context, rulebook, agent, sources)
    report.standard_changes = list(standard_changes)
    if not agent.builtin and not target.safe_mode and target.file(agent.path):
        report.coverage = coverage_items(rulebook.rows)  # the PR edits the rulebook
    report = _with_ai_section(report, context, rulebook, agent, ai, sources)
    # Everything published or written is rendered from this report: no
    # secret a PR's test printed gets past here.
    return redact_report(report, ai.secrets if ai else ())


@dataclass(frozen=True)
class _Kept:
    """What the filter stage keeps of a review's findings.

    Attributes:
        findings: The findings in scope, fingerprinted, most severe first.
        pre_existing: Findings the ``added`` filter mode left out as not the
            PR's.
        added_suppressions: Findings silenced by ignore comments the PR adds.
    """

    findings: list[Finding]
    pre_existing: int
    added_suppressions: list[AddedSuppression]


def _bind_rulebook(
    target: ReviewTarget,
    config: Config,
    agent: AgentFile,
    folder: Path,
    requested: list[str],
) -> Rulebook:
    """Return which rules the team's agent file still asks for, team rules too."""
    from pattern_review.rulebook.team_modules import rulebook_for

    conventions = "conventions" in requested
    return rulebook_for(target, config, agent, folder, conventions=conventions)


def _skip_reason(name: str, requested: list[str], context: CheckContext) -> str | None:
    """Return why a check does not run in this review, or None when it does."""
    if name not in requested:
        if context.config.checks is None:
            return "not in the agent file's Completion Checklist"
        return "left out by the checks setting"
    if not context.python_paths:
        return "no changed Python files"
    return None


def _run_requested(
    requested: list[str], context: CheckContext
) -> dict[str, CheckOutcome]:
    """Run the checks that apply; every other check is skipped with its reason."""
    outcomes: dict[str, CheckOutcome] = {}
    runnable: list[str] = []
    for name in CHECK_NAMES:
        reason = _skip_reason(name, requested, context)
        if reason:
            result = CheckResult(name=name, status="skipped", detail=reason)
            outcomes[name] = CheckOutcome(result=result)
        else:
            runnable.append(name)
    if runnable:
        outcomes.update(run_per_project(runnable, context))
    return outcomes


def _read_sources(target: ReviewTarget) -> dict[str, str]:
    sources: dict[str, str] = {}
    for changed in target.reviewed_files:
        try:
            sources[changed.path] = (target.repo / changed.path).read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    return sources


def _found_findings(
    outcomes: dict[str, CheckOutcome],
    context: CheckContext,
    rulebook: Rulebook,
    sources: dict[str, str],
    ran: set[str],
) -> list[Finding]:
    """Collect every check's findings, cited and labelled, ``introduced`` set."""
    target = context.target
    found = [
        rulebook.recite(f) for name in CHECK_NAMES for f in outcomes[name].findings
    ]
    found += unreadable_files(target)
    found = label_findings(found, target)
    return mark_introduced(found, target, context, sources, ran)


def _kept_findings(
    found: list[Finding],
    context: CheckContext,
    rulebook: Rulebook,
    sources: dict[str, str],
    ran: set[str],
) -> _Kept:
    """Suppress and filter the findings, each project by its own config."""
    target, config = context.target, context.config
    configs = project_configs(target, config)
    # Team rules included: an ignore entry names the check that owns its rule.
    convention_rules = frozenset(
        b.rule for b in rulebook.bindings if b.via == "convention"
    )
    kept = []
    pre_existing = 0
    added_suppressions: list[AddedSuppression] = []
    for project, group, texts in split_by_project(target, found, sources):
        own = configs.get(project, config)
        part, added = _suppress(group, target, texts, own, ran, convention_rules)
        added_suppressions += added
        if own.filter_mode == "added":  # the mode that leaves them out
            pre_existing += count_pre_existing(part, target)
        kept += filter_findings(part, target, own.filter_mode)
    kept = label_findings(kept, target)  # the suppressions' own notes too
    kept = sort_findings(fingerprint(kept, sources))
    return _Kept(kept, pre_existing, added_suppressions)


def _with_safe_suggestions(
    kept: _Kept, context: CheckContext, sources: dict[str, str]
) -> _Kept:
    """Keep only the suggestions that, applied, leave ruff as clean as before."""
    return replace(kept, findings=_safe_suggestions(kept.findings, context, sources))


def _safe_suggestions(
    findings: list[Finding], context: CheckContext, sources: dict[str, str]
) -> list[Finding]:
    """Check each suggestion with ruff in its project (the AI's ones too)."""
    if all(f.suggestion is None for f in findings):
        return findings
    contexts = project_contexts_by_folder(project_contexts(context))
    labelled = label_findings(findings, context.target)
    return check_suggestions(labelled, contexts, sources)


def _with_standard_findings(
    kept: _Kept,
    changes: Sequence[StandardChange],
    config: Config,
    sources: dict[str, str],
) -> _Kept:
    """Add a finding for each change that weakens the standard (no check's own)."""
    from pattern_review.findings.standard import standard_findings

    raised = standard_findings(changes, config.standard_change_severity)
    if not raised:
        return kept
    findings = sort_findings([*kept.findings, *fingerprint(raised, sources)])
    return replace(kept, findings=findings)


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


def _check_results(
    outcomes: dict[str, CheckOutcome], kept: list[Finding], found: list[Finding]
) -> list[CheckResult]:
    """Give each check its final status and counts, in the registry's order."""
    checks = []
    for name in CHECK_NAMES:
        source = check_spec(name).source
        result = _final_result(
            outcomes[name].result,
            sum(1 for f in kept if f.source == source),
            sum(1 for f in found if f.source == source),
        )
        if check_spec(name).runs_pr_code and result.status in ("failed", "error"):
            result = _with_withheld_note(result)
        checks.append(result)
    return checks


def _with_withheld_note(result: CheckResult) -> CheckResult:
    """Name the secret-named variables the PR's code ran without.

    A test that fails on a missing setting then points at the fix, where a
    silent withholding would leave the author guessing.
    """
    names = withheld_names()
    if not names:
        return result
    shown = ", ".join(names[:8]) + (
        f" and {len(names) - 8} more" if len(names) > 8 else ""
    )
    note = (
        f"withheld from the PR's code, as secret-named: {shown}"
        f" (name any it needs in {PASS_ENV_VARIABLE})"
    )
    detail = f"{result.detail}; {note}" if result.detail else note
    return result.model_copy(update={"detail": detail})


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


def _report(
    kept: _Kept,
    checks: list[CheckResult],
    context: CheckContext,
    rulebook: Rulebook,
    agent: AgentFile,
    sources: dict[str, str],
) -> Report:
    """Assemble the report of the deterministic checks, and conclude."""
    target, config = context.target, context.config
    # Each check's status counts its own syntax errors; the list says each once,
    # and what several checks say of one piece of code is one finding.
    findings = one_syntax_error_per_file(kept.findings)
    findings = merge_duplicates(soften_test_style(findings, config), sources)
    return Report(
        conclusion=conclude(findings, checks, config.fail_on),
        base=target.base,
        head=target.head,
        target=TargetInfo(
            repository=target.repository, pr=target.pr, event=target.event
        ),
        findings=findings,
        checks=checks,
        agent_file=agent.path,
        skipped_files={f.path: f.skip_reason for f in target.files if f.skip_reason},
        diff_hunks={f.path: list(f.hunks) for f in target.reviewed_files},
        safe_mode=target.safe_mode,
        added_suppressions=kept.added_suppressions,
        pre_existing=kept.pre_existing,
        rulebook_notice=rulebook.notice(),
    )


def _with_ai_section(
    report: Report,
    context: CheckContext,
    rulebook: Rulebook,
    agent: AgentFile,
    ai: AiOptions | None,
    sources: dict[str, str],
) -> Report:
    """Run the AI review when it is on and has a key; else say why not."""
    if ai is None:
        report.ai = AiInfo(status="skipped", notice="AI review turned off (--no-ai)")
        return report
    if not ai.api_key:
        report.ai = AiInfo(status="skipped", notice="no Anthropic API key configured")
        return report
    deadline = context.deadline
    if deadline is not None and deadline.passed():
        report.ai = AiInfo(status="skipped", notice=deadline.reason())
        return report
    uncovered = tuple((row.slug or "", row.text) for row in rulebook.uncovered())
    if deadline is not None:
        # The model gets what is left of the review's budget, at most.
        left = max(min(context.config.ai_timeout_s, deadline.left()), 1.0)
        config = context.config.model_copy(update={"ai_timeout_s": left})
        context = replace(context, config=config)
    return _with_ai(report, context, agent, ai, sources, uncovered)


def _with_ai(
    report: Report,
    context: CheckContext,
    agent: AgentFile,
    ai: AiOptions,
    sources: dict[str, str],
    uncovered: tuple[tuple[str, str], ...] = (),
) -> Report:
    from pattern_review.ai.review import AiRequest, run_ai_review

    result = run_ai_review(
        AiRequest(
            target=context.target,
            findings=list(report.findings),
            agent=agent,
            config=context.config,
            api_key=ai.api_key,
            pr_title=ai.pr_title,
            pr_body=ai.pr_body,
            # What a PR's test printed is in the findings: no secret to the model.
            secrets=(*ai.secrets, *secrets_in(os.environ)),
            uncovered=uncovered,
            check_suggestions=lambda found: _safe_suggestions(found, context, sources),
        )
    )
    advisory = fingerprint(result.findings, sources)
    return report.model_copy(
        update={
            "ai": result.info,
            "findings": sort_findings([*report.findings, *advisory]),
        }
    )
