"""Where mypy and pytest find a project's packages: its Python environment.

Each project gets one environment per review, found or built by the first
check that needs it and shared with the others (``SharedSetup``). In order,
unless the ``environment`` setting picks one:

1. ``install``: the ``install`` command of the config, run into a fresh
   environment in the cache folder: when set, it wins over any venv or lock;
2. ``venv``: the project's own ``.venv`` or ``venv``, else ``$VIRTUAL_ENV``
   (an environment the job's earlier steps activated), whose interpreter runs;
3. ``uv``: a uv project (its ``uv.lock``, or its workspace's), synced with
   ``uv sync --frozen`` into the cache folder, as ``uv run`` would, with the
   extras and groups the repository's CI names (``ci``);
4. ``poetry``: a ``[tool.poetry]`` project with a ``poetry.lock``, installed
   by ``poetry install`` (run by uv's tool runner) into the cache folder;
5. ``hatch``: a project with hatch environments: their dependencies and
   the project, installed by uv;
6. ``requirements``: ``requirements*.txt``, or a PEP 621 project without a
   uv lock (installed itself, editable, when it builds a package): an
   environment uv builds in the cache folder, keyed by those files' content;
7. ``bundled``: none; the tools installed with pattern-review run alone (mypy
   then ignores missing imports), and the check's detail says so.

ruff needs none of this: it never waits for an environment (see ``ruff_version``).
An environment that cannot be set up fails only the checks that need it,
with the meaningful line of the failed command as the reason.

This package is the entry (``project_environment``) and the dispatcher; each
strategy is a module of its own (``venv``, ``uv``, ``poetry``, ``hatch``,
``requirements``, ``install``, ``bundled``), built environments share
``build``; what the CI installs is read by ``ci``, what ``pyproject.toml``
declares by ``declared``. Each environment's ``origin`` says which strategy
and why (``the uv.lock environment of the repository root (extras server,
groups dev from .github/workflows/ci.yml)``).

Finding and building an environment runs the PR's code (a committed
``.venv/bin/python``, its build backend, its ``install`` command): when the
review is root, all of it runs as the unprivileged user of ``accounts``,
into a folder that user owns.
"""

from __future__ import annotations

from pathlib import Path

from pattern_review.context import CheckContext
from pattern_review.errors import CheckError
from pattern_review.projects.accounts import (
    Account,
    UnprivilegedError,
    account_for,
)
from pattern_review.projects.discovery import Project, uv_lock
from pattern_review.projects.environments.build import require_runnable
from pattern_review.projects.environments.bundled import bundled
from pattern_review.projects.environments.declared import is_poetry_project
from pattern_review.projects.environments.hatch import from_hatch, is_hatch_project
from pattern_review.projects.environments.install import from_install_command
from pattern_review.projects.environments.kinds import (
    Environment,
    EnvironmentKind,
    EnvironmentSetupError,
    environment_failure,
)
from pattern_review.projects.environments.missing import missing_module_hint
from pattern_review.projects.environments.poetry import from_poetry
from pattern_review.projects.environments.requirements import (
    from_requirements,
    has_pep621_dependencies,
    requirement_files,
)
from pattern_review.projects.environments.uv import find_uv, has_lock, uv_sync
from pattern_review.projects.environments.venv import (
    existing_venv,
    venvs_out_of_reach,
)
from pattern_review.projects.error_lines import first_error_line

__all__ = [
    "Environment",
    "EnvironmentKind",
    "EnvironmentSetupError",
    "cache_root",
    "code_account",
    "environment_failure",
    "find_uv",
    "first_error_line",
    "missing_module_hint",
    "project_environment",
]


def code_account(ctx: CheckContext, what: str) -> Account | None:
    """Return the user the project's code runs as (None: as we are).

    Args:
        ctx: A check's context.
        what: What does not happen when that user cannot (``tests not run``).

    Returns:
        None in safe mode (no PR code runs), when not root, or when the
        switch is off (``accounts.account_for`` decides).

    Raises:
        CheckError: That user does not exist or cannot read the work tree.
    """
    try:
        return account_for(ctx.target.repo, what, ctx.target.safe_mode)
    except UnprivilegedError as exc:
        raise CheckError(str(exc)) from exc


def cache_root(ctx: CheckContext, account: Account | None) -> Path:
    """Return where the project's environments and mypy's cache live.

    Args:
        ctx: A check's context.
        account: The user the project's code runs as, if not us.

    Returns:
        The project's cache folder, or a folder of it that user owns.
    """
    if account is None:
        return ctx.cache_dir
    return account.cache_folder(ctx.cache_dir)


def _wanted(ctx: CheckContext) -> str:
    if ctx.config.runner == "direct":
        return "bundled"
    if ctx.config.runner == "uv":
        return "uv"
    return ctx.config.environment


def _usable_uv(
    project: Project, account: Account | None, uv: str | None, builds: bool = True
) -> str:
    """Return uv for a strategy that builds with it, or fail the environment."""
    if uv is None:
        needed = "uv is needed to build it and is not installed"
        raise environment_failure(
            project, needed if builds else "uv is not installed", ""
        )
    require_runnable(project, account, uv)
    return uv


def _set_up(ctx: CheckContext) -> Environment:
    """Find or build the project's environment; see the module docstring."""
    project = ctx.where
    if ctx.target.safe_mode:
        return bundled(project, "safe mode, no PR code runs")
    wanted = _wanted(ctx)
    if wanted == "bundled":
        return bundled(project, "the environment setting says so")
    account = code_account(ctx, "the PR's code is not run")
    root = cache_root(ctx, account)
    # The install setting is the user's word: it wins over any venv or lock.
    if wanted == "install" or (wanted == "auto" and ctx.config.install):
        if not ctx.config.install:
            raise environment_failure(project, "no install command configured", "")
        uv = find_uv()
        if uv is not None:
            require_runnable(project, account, uv)
        return from_install_command(ctx, uv, account, root)
    if wanted in ("auto", "venv"):
        found = existing_venv(project, account)
        if found is not None:
            return found
        if wanted == "venv":
            raise environment_failure(
                project, "no .venv or venv whose python runs, and no $VIRTUAL_ENV", ""
            )
    # Only now: finding uv may start pyenv (a tenth of a second or more),
    # which a project with its own venv never needs, and mypy waits for this.
    uv = find_uv()
    if wanted in ("auto", "uv") and (has_lock(ctx) or wanted == "uv"):
        uv = _usable_uv(project, account, uv, builds=False)
        return uv_sync(ctx, uv, account, root)
    folder = project.folder
    if wanted == "auto" and is_poetry_project(folder) and not has_lock(ctx):
        return from_poetry(ctx, _usable_uv(project, account, uv), account, root)
    if wanted == "auto" and is_hatch_project(ctx.target.repo, folder):
        return from_hatch(ctx, _usable_uv(project, account, uv), account, root)
    if wanted in ("auto", "requirements"):
        if requirement_files(project) or has_pep621_dependencies(project):
            uv = _usable_uv(project, account, uv)
            return from_requirements(ctx, uv, account, root)
        if wanted == "requirements":
            raise environment_failure(
                project, "no requirements*.txt or PEP 621 dependencies", ""
            )
    why = f"no environment found for {project.label}"
    out_of_reach = venvs_out_of_reach(project, account)
    if out_of_reach:
        assert account is not None
        why += (
            f" ({', '.join(out_of_reach)}: out of the reach of {account.name!r},"
            " the user the PR's code runs as)"
        )
    return bundled(project, why)


def _key(ctx: CheckContext) -> tuple[str, ...]:
    folder = ctx.where.folder
    stamps = []
    for name in ("uv.lock", "pyproject.toml", ".python-version"):
        try:
            stat = (folder / name).stat()
            stamps.append(f"{name}:{stat.st_mtime_ns}:{stat.st_size}")
        except OSError:
            stamps.append(f"{name}:-")
    lock = uv_lock(ctx.target.repo, ctx.where.path)
    if lock is not None and lock.parent != folder:
        stat = lock.stat()
        stamps.append(f"{lock}:{stat.st_mtime_ns}:{stat.st_size}")
    config = ctx.config
    settings = (config.runner, config.environment, config.install or "")
    return (str(folder), str(ctx.cache_dir), *settings, *stamps)


def project_environment(ctx: CheckContext) -> Environment:
    """Return the environment of the context's project, set up once per review.

    The first check to ask sets it up while the others wait; a failure is
    kept too, so every check that needs it reports the same reason at once.

    Args:
        ctx: A check's context.

    Returns:
        The environment.

    Raises:
        CheckError: It could not be set up (``environment of backend/ could
            not be set up: <reason>``).
    """
    found = ctx.shared.once(
        ctx.shared.environments, _key(ctx), lambda: _set_up_or_failure(ctx)
    )
    if isinstance(found, CheckError):
        raise EnvironmentSetupError(str(found), found.output)
    return found


def _set_up_or_failure(ctx: CheckContext) -> Environment | CheckError:
    """Set the environment up, or return why it could not be (kept for all)."""
    try:
        return _set_up(ctx)
    except CheckError as exc:
        return exc
