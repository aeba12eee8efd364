"""The ``install`` strategy: the config's ``install`` command fills a fresh environment.

The command is the PR's (its config names it): it runs, through ``/bin/sh``,
with the fresh venv activated, as the user the PR's code runs as.
"""

from __future__ import annotations

from pathlib import Path

from pattern_review.context import CheckContext
from pattern_review.projects.accounts import Account
from pattern_review.projects.environments.build import (
    built_folder,
    digest,
    fresh_venv,
    install_into,
    python_pins,
)
from pattern_review.projects.environments.kinds import Environment
from pattern_review.projects.environments.requirements import requirement_files


def from_install_command(
    ctx: CheckContext, uv: str | None, account: Account | None, root: Path
) -> Environment:
    """Build the project's environment with the config's ``install`` command.

    It is kept, keyed by the command, the requirement files and the Python
    pins, and built again only when one of them changes.

    Args:
        ctx: A check's context; its config names the command.
        uv: The uv executable that makes the venv, or None (``venv``).
        account: The user the command runs as, None for us.
        root: The cache folder that user owns.

    Returns:
        The built environment.

    Raises:
        CheckError: The venv or the command failed.
    """
    project = ctx.where
    command = ctx.config.install or ""
    contents = [command.encode()] + [f.read_bytes() for f in requirement_files(project)]
    contents += python_pins(project)
    folder, ready = built_folder(root, "install", digest(*contents))
    origin = f"the environment of {project.label} built by `{command}`"
    if not ready:
        fresh_venv(ctx, uv, folder, account, root)
        install_into(ctx, [command], folder, account, root, shell=True)
    return Environment("install", folder, origin)
