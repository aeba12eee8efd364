"""The ``poetry`` strategy: a poetry project installed by poetry from its lock.

A project with ``[tool.poetry]`` and a ``poetry.lock`` (and no uv lock) is
installed as its CI does: ``poetry install`` from the lock, with the groups
and extras the CI names (``--with``, ``--extras``), else all extras and the
dev/test groups. Poetry runs through uv's tool runner (a pinned major, from
the uv cache after the first run) into a fresh venv of the cache folder that
pattern-review owns: poetry uses the active ``VIRTUAL_ENV``, never its own
virtualenvs folder, and never writes the lock (``--no-interaction``, the lock
is only read).
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
from pattern_review.projects.environments.ci import Selection, ci_install, select
from pattern_review.projects.environments.declared import (
    poetry_extras,
    poetry_groups,
)
from pattern_review.projects.environments.kinds import Environment

# Poetry 2 reads both [tool.poetry] and PEP 621 projects and has --all-groups.
POETRY = "poetry>=2,<3"


def poetry_install_argv(
    uv: str, repo: Path, folder: Path
) -> tuple[list[str], Selection]:
    """Return the ``poetry install`` command for a project, and why.

    Args:
        uv: The uv executable (its tool runner starts poetry).
        repo: The repository's work tree (its CI workflows).
        folder: The project's folder.

    Returns:
        The command, and its groups and extras with why.
    """
    chosen = select(ci_install(repo), poetry_extras(folder), poetry_groups(folder))
    argv = [uv, "tool", "run", "--from", POETRY, "poetry", "install"]
    argv += ["--no-interaction", "--no-ansi"]
    if chosen.groups:
        argv += ["--with", ",".join(chosen.groups)]
    for extra in chosen.extras:
        argv += ["--extras", extra]
    return argv, chosen


def from_poetry(
    ctx: CheckContext, uv: str, account: Account | None, root: Path
) -> Environment:
    """Build (or reuse) the environment poetry installs from the project's lock.

    Args:
        ctx: A check's context.
        uv: The uv executable: it makes the venv and runs poetry.
        account: Whom poetry runs as (it builds the PR's project), None for us.
        root: The cache folder that user owns.

    Returns:
        The environment, keyed by the lock, the command and the Python pins.

    Raises:
        CheckError: The venv or ``poetry install`` failed.
    """
    project = ctx.where
    argv, reason = poetry_install_argv(uv, ctx.target.repo, project.folder)
    lock = (project.folder / "poetry.lock").read_bytes()
    contents = [" ".join(argv[1:]).encode(), lock, *python_pins(project)]
    folder, ready = built_folder(root, "poetry", digest(*contents))
    if not ready:
        fresh_venv(ctx, uv, folder, account, root)
        install_into(ctx, argv, folder, account, root)
    origin = f"the poetry.lock environment of {project.label}{reason}"
    return Environment("poetry", folder, origin)
