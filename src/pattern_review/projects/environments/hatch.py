"""The ``hatch`` strategy: the dependencies of a project's hatch environments.

A hatch project (``[tool.hatch.envs.*]`` tables, no uv lock) tests in a hatch
environment: the project (editable) with the env's ``features``, plus its
``dependencies`` and ``extra-dependencies``, each env inheriting from its
template (``default``). The envs installed are the ``default`` and those the
CI runs (``hatch run test:cov``), else those named dev/test (a CI that
installs the project with pip and its extras, and runs no hatch env, is
followed instead: ``requirements``); uv installs them
into one fresh venv of the cache folder, as hatch itself would but without
hatch's own data folders.
"""

from __future__ import annotations

from pathlib import Path

from pattern_review.context import CheckContext
from pattern_review.projects.accounts import Account
from pattern_review.projects.environments.build import UvPipBuild, uv_pip_built
from pattern_review.projects.environments.ci import TEST_NAMES, ci_install, normalized
from pattern_review.projects.environments.declared import (
    declared_extras,
    hatch_envs,
    hatch_requirements,
)
from pattern_review.projects.environments.kinds import Environment


def is_hatch_project(repo: Path, folder: Path) -> bool:
    """Return whether the project's environment is one of its hatch envs.

    Args:
        repo: The repository's work tree (its CI workflows).
        folder: A project's folder.

    Returns:
        True with at least one ``[tool.hatch.envs.<name>]`` table, unless the
        CI installs the project otherwise (``pip install -e .[test]`` naming
        its extras) and runs none of those envs.
    """
    envs = hatch_envs(folder)
    if not envs:
        return False
    ci = ci_install(repo)
    if any(name in ci.hatch_envs for name in envs):
        return True
    extras = {normalized(extra) for extra in declared_extras(folder)}
    named = {normalized(extra) for extra in ci.extras}
    return not (extras & named or (ci.all_extras and extras))


def chosen_envs(repo: Path, folder: Path) -> tuple[list[str], str]:
    """Return the hatch envs to install, and why those.

    Args:
        repo: The repository's work tree (its CI workflows).
        folder: The project's folder.

    Returns:
        ``default`` (when declared) and the CI's envs; else the dev/test ones.
    """
    envs = hatch_envs(folder)
    ci = ci_install(repo)
    from_ci = [name for name in envs if name in ci.hatch_envs]
    if from_ci:
        where = ", ".join(sorted(ci.sources))
        reason = f"hatch envs {', '.join(from_ci)} run in {where}"
    else:
        from_ci = [name for name in envs if normalized(name) in TEST_NAMES]
        reason = (
            f"hatch envs {', '.join(from_ci) or 'default'}; no CI workflow runs one"
        )
    names = (["default"] if "default" in envs else []) + from_ci
    return list(dict.fromkeys(names)), reason


def from_hatch(
    ctx: CheckContext, uv: str, account: Account | None, root: Path
) -> Environment:
    """Build (or reuse) the environment of the project's hatch envs.

    Args:
        ctx: A check's context.
        uv: The uv executable: it makes the venv and installs into it.
        account: Whom the install runs as (it builds the PR's project), None
            for us.
        root: The cache folder that user owns.

    Returns:
        The environment.

    Raises:
        CheckError: uv could not make the venv or install the envs.
    """
    project = ctx.where
    envs = hatch_envs(project.folder)
    names, reason = chosen_envs(ctx.target.repo, project.folder)
    dependencies: list[str] = []
    features: list[str] = []
    installs = False
    for name in names or ["default"]:
        needed, extras, itself = hatch_requirements(envs, name)
        dependencies += needed
        features += extras
        installs = installs or itself
    spec = list(dict.fromkeys(dependencies))
    if installs or not names:
        wanted = ",".join(dict.fromkeys(features))
        spec = ["-e", f".[{wanted}]" if wanted else ".", *spec]
    origin = f"the hatch environment of {project.label} built by uv ({reason})"
    # The Python the env names (`python = "3.12"`): its pins may have no
    # wheels for another.
    pythons = [envs.get(name, {}).get("python") for name in [*names, "default"]]
    python = next((p for p in pythons if isinstance(p, str)), "")
    build = UvPipBuild("hatch", spec, [], origin, python)
    return uv_pip_built(ctx, uv, account, root, build)
