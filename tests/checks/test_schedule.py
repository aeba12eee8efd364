"""The schedule: mypy first, the engine beside it taking mypy's core after."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pattern_review.checks.schedule import run_checks
from pattern_review.config import Config
from pattern_review.conventions.pool import lend_core, lent_cores, take_back_cores
from pattern_review.projects.priority import YIELD_NICENESS
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


# Run in a fresh interpreter: the engine's forkserver lives as long as the
# process that started it, and this one's may be running already.
_MYPY_WATCHES_THE_FORKSERVER = """
import os, sys, time, types
from pathlib import Path
from pattern_review.checks.registry import check_spec
from pattern_review.checks.schedule import run_checks
from pattern_review.models import CheckOutcome, CheckResult
from pattern_review.projects.reaper import descendants
from tests.check_context import check_context
from tests.gitrepo import GitRepo

def forkserver_niceness():
    for pid in descendants():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if b"forkserver" in cmdline.read():
                    return os.getpriority(os.PRIO_PROCESS, pid)
        except OSError:
            pass
    return None

def mypy(ctx):
    print(forkserver_niceness())  # none yet: nothing starts before mypy's tool
    ctx.tool_started.set()  # the others start now, beside it
    ends = time.monotonic() + 60
    while (seen := forkserver_niceness()) is None and time.monotonic() < ends:
        time.sleep(0.01)
    print(seen)
    return CheckOutcome(result=CheckResult(name="mypy", status="passed"))

if __name__ == "__main__":
    module = types.ModuleType("fake_mypy")
    module.run = mypy
    sys.modules[check_spec("mypy").module] = module
    work = Path(sys.argv[1])
    repo = GitRepo(work / "repo")
    repo.write("app/m.py", "def f(:\\n", dedent=False)
    repo.commit()
    run_checks(["mypy", "conventions"], check_context(repo, work, "app/m.py"), None)
"""


def test_the_engine_boots_at_the_niceness_of_the_checks_that_yield_to_mypy(
    tmp_path: Path,
) -> None:
    # Its forkserver imports libcst and the rules (about 0.6 CPU-s) while
    # mypy runs: at the review's own priority, that time came off mypy's
    # core; it yields like the rest of the convention check.
    done = subprocess.run(
        [sys.executable, "-c", _MYPY_WATCHES_THE_FORKSERVER, str(tmp_path)],
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    # Booted once mypy's tool had started, and at the yielding niceness.
    assert done.stdout.split() == ["None", str(YIELD_NICENESS)]
