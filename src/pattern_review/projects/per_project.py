"""Which project each changed file and finding belongs to, and each one's config.

A repository may hold several Python projects (projects/discovery.py finds
them). Each changed file is assigned to one, each project may have its own
``[tool.pattern-review]`` table, and the findings are split by project so
that each project's own suppression lists and filter mode apply to them.
Running the checks per project is checks/schedule.py's.
"""

from __future__ import annotations

from pattern_review.config import Config, project_config
from pattern_review.models import Finding, ReviewTarget
from pattern_review.projects.discovery import ROOT, assign


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
