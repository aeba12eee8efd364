"""The checklist once per touched project, and one result per check for the report.

A review's checks run per project (projects/discovery.py): each project gets a context
of its own (its folder, its config, its own cache folder) and the outcomes of
all projects are merged into one result per check, whose detail names each
project when there are several (or one outside the root).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from pattern_review.config import Config, project_config
from pattern_review.context import CheckContext
from pattern_review.findings.conclusion import worst_status
from pattern_review.models import (
    CheckOutcome,
    CheckResult,
    Finding,
    ReviewTarget,
)
from pattern_review.projects.discovery import ROOT, Project, assign
from pattern_review.rulebook.agent_file import AgentFile, find_agent_file


def with_projects(target: ReviewTarget, configured: list[str] | None) -> ReviewTarget:
    """Record on each changed file the project it belongs to.

    Args:
        target: The review's target.
        configured: The ``projects`` setting (None: discover by markers).

    Returns:
        The target with ``ChangedFile.project`` set.
    """
    folders = assign(target.repo, [f.path for f in target.files], configured)
    files = tuple(
        f.model_copy(update={"project": folders.get(f.path, ROOT)})
        for f in target.files
    )
    return target.model_copy(update={"files": files})


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


def project_configs(target: ReviewTarget, config: Config) -> dict[str, Config]:
    """Return each touched project's config: its own table over the root's.

    Args:
        target: The change, projects assigned.
        config: The review's configuration.

    Returns:
        Project folder -> config (the root's where a project has no table of
        its own, and always in safe mode, where the PR's config is not read).

    Raises:
        ConfigError: A project's own table is malformed.
    """
    configs = {}
    for folder in sorted({f.project for f in target.files}):
        own = config
        if folder != ROOT and not target.safe_mode:
            own = project_config(config, target.repo / folder)
        configs[folder] = own
    return configs


def split_by_project(
    target: ReviewTarget, findings: list[Finding], sources: dict[str, str]
) -> list[tuple[str, list[Finding], dict[str, str]]]:
    """Group findings and source texts by the project they belong to.

    Args:
        target: The change, projects assigned.
        findings: Findings, ``project`` set (None counts as the root).
        sources: Path -> text of the reviewed files.

    Returns:
        (project folder, its findings, its files' texts), in folder order.
    """
    folders = {f.path: f.project for f in target.files}
    groups: dict[str, tuple[list[Finding], dict[str, str]]] = {}
    for finding in findings:
        groups.setdefault(finding.project or ROOT, ([], {}))[0].append(finding)
    for path, text in sources.items():
        groups.setdefault(folders.get(path, ROOT), ([], {}))[1][path] = text
    return [(folder, *groups[folder]) for folder in sorted(groups)]


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


def label_findings(findings: list[Finding], target: ReviewTarget) -> list[Finding]:
    """Set each finding's ``project`` from the file it is on.

    Args:
        findings: Findings with repository-relative paths.
        target: The target, its files' projects assigned.

    Returns:
        The findings, ``project`` set where it is known.
    """
    known = {f.path: f.project for f in target.files}
    # A finding on an unchanged file (a failing test) is in the deepest
    # touched project that holds it.
    folders = sorted(set(known.values()), key=lambda p: (-p.count("/"), p == ROOT, p))

    def project_of(path: str) -> str | None:
        if path in known:
            return known[path]
        for folder in folders:
            if folder == ROOT or path.startswith(f"{folder}/"):
                return folder
        return None

    return [f.model_copy(update={"project": project_of(f.path)}) for f in findings]


def subfolder(root: Path, folder: Path) -> str | None:
    """Return ``folder`` relative to the repository root, None for the root.

    Args:
        root: The repository's root.
        folder: A folder the user named (``--repo backend``), resolved.

    Returns:
        The relative folder, or None when it is the root (or outside it).
    """
    try:
        inside = folder.relative_to(root.resolve()).as_posix()
    except ValueError:
        return None
    return None if inside in ("", ".") else inside


def only_under(target: ReviewTarget, folder: str) -> tuple[ReviewTarget, int]:
    """Narrow a target to the changed files under a folder.

    Args:
        target: The whole change.
        folder: A folder relative to the repository root.

    Returns:
        The target with only those files, and how many were left out.
    """
    prefix = folder.rstrip("/") + "/"
    kept = tuple(f for f in target.files if f.path.startswith(prefix))
    narrowed = target.model_copy(update={"files": kept})
    return narrowed, len(target.files) - len(kept)


def single_project(target: ReviewTarget, configured: list[str] | None) -> str | None:
    """Return the one project outside the root that all reviewed files are in.

    Args:
        target: The change.
        configured: The ``projects`` setting.

    Returns:
        Its folder, or None when the files span several projects or the root.
    """
    paths = [f.path for f in target.reviewed_files]
    folders = set(assign(target.repo, paths, configured).values())
    if len(folders) != 1:
        return None
    only = folders.pop()
    return None if only == ROOT else only


def agent_file_for_change(
    repo: Path, target: ReviewTarget, config: Config, found: AgentFile
) -> AgentFile:
    """Return the agent file of the one project a change lies in, if it has one.

    A monorepo's projects may keep their own ``.claude/agents``: a change that
    lies in one project follows the file nearest it. The ``agent_file``
    setting, or a change spanning projects, keeps ``found``.

    Args:
        repo: The work tree.
        target: The change.
        config: Its ``agent_file`` and ``projects`` settings.
        found: The agent file found from the repository root.

    Returns:
        The agent file the review follows.

    Raises:
        AgentFileError: The nearest agent file cannot be read.
    """
    if config.agent_file:
        return found
    touched = single_project(target, config.projects)
    if touched is None:
        return found
    return find_agent_file(repo, None, repo / touched)
