"""The ``venv`` strategy: an environment the project (or the job) already has.

The project's own ``.venv`` or ``venv``, else ``$VIRTUAL_ENV`` (an
environment the job's earlier steps activated), whose interpreter runs. A
committed ``.venv/bin/python`` is PR code: it is probed as the user the PR's
code runs as.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pattern_review.errors import CheckError
from pattern_review.projects.accounts import Account, why_unrunnable
from pattern_review.projects.discovery import Project
from pattern_review.projects.environments.kinds import PRINT_PREFIX, Environment
from pattern_review.projects.process import run_command


def _runs(python: Path, folder: Path, account: Account | None) -> Path | None:
    """Return the prefix of an interpreter that starts, else None."""
    if not python.is_file():
        return None
    if account is not None and why_unrunnable(account, python):
        return None
    try:
        argv = [str(python), "-c", PRINT_PREFIX]
        run = run_command(argv, folder, 60, account=account)
    except CheckError:
        return None
    lines = run.stdout.strip().splitlines()
    return Path(lines[-1]) if run.exit_code == 0 and lines else None


def _venv_candidates(project: Project) -> list[tuple[Path, str]]:
    """The venvs a project may already have, in order, each with its name."""
    inside = "" if project.path == "." else f"{project.path}/"
    named = [(project.folder / name, f"{inside}{name}") for name in (".venv", "venv")]
    active = os.environ.get("VIRTUAL_ENV")
    # Not pattern-review's own environment (``uv run pattern-review`` sets it).
    if active and Path(active).resolve() != Path(sys.prefix).resolve():
        named.append((Path(active), f"$VIRTUAL_ENV ({active})"))
    return named


def existing_venv(project: Project, account: Account | None) -> Environment | None:
    """Return the first venv the project (or the job) has whose python runs.

    Args:
        project: The project.
        account: The user the PR's code runs as (it probes the
            interpreter), None for us.

    Returns:
        The venv, or None.
    """
    for prefix, name in _venv_candidates(project):
        if _runs(prefix / "bin" / "python", project.folder, account) is not None:
            return Environment("venv", prefix, f"the venv {name}")
    return None


def venvs_out_of_reach(project: Project, account: Account | None) -> list[str]:
    """Name the venvs passed over only because the user cannot run them.

    Args:
        project: The project.
        account: The user the PR's code runs as, None for us.

    Returns:
        The venvs' names (``backend/.venv``), empty when we run the code.
    """
    if account is None:
        return []
    return [
        name
        for prefix, name in _venv_candidates(project)
        if (prefix / "bin" / "python").is_file()
        and why_unrunnable(account, prefix / "bin" / "python")
    ]
