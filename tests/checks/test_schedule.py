"""The schedule: mypy first, the engine beside it taking mypy's core after."""

from __future__ import annotations

from pathlib import Path

from pattern_review.checks.schedule import run_checks
from pattern_review.config import Config
from pattern_review.conventions.pool import lend_core, lent_cores, take_back_cores
from tests.check_context import check_context
from tests.gitrepo import GitRepo

MODULE = "def f(:\n"  # a finding in every file, whoever runs the engine


def _repo(git_repo: GitRepo) -> list[str]:
    paths = [f"app/m{i:02d}.py" for i in range(10)]
    for path in paths:
        git_repo.write(path, MODULE, dedent=False)
    git_repo.commit()
    return paths


def test_mypys_core_is_lent_to_the_engine_and_none_stays_lent(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    paths = _repo(git_repo)
    context = check_context(git_repo, tmp_path, *paths)

    outcomes = run_checks(["mypy", "conventions"], context, None)
    alone = run_checks(["conventions"], context, None)

    assert lent_cores() == 0  # taken by the engine, or taken back after
    assert outcomes["conventions"].findings == alone["conventions"].findings
    assert {f.path for f in alone["conventions"].findings} == set(paths)


def test_a_capped_engine_leaves_a_lent_core_to_be_taken_back(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    paths = _repo(git_repo)
    capped = check_context(git_repo, tmp_path, *paths, config=Config(jobs=1))
    lend_core()
    try:
        run_checks(["conventions"], capped, None)
        left = lent_cores()
    finally:
        take_back_cores()

    assert left == 1  # jobs = 1: the engine never grows
