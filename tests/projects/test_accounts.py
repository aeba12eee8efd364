"""Every way a PR's code runs, it runs unprivileged when the review is root.

Not only the tests: setting the project's environment up runs the PR's
``install`` command and its build backend (``uv sync`` builds the project),
and mypy imports the plugins the PR's config names. Each case below hunts
its parents' environments for the job's secrets; as root (the switch off) it
finds them, as ``nobody`` it reads none.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from pattern_review.config import Config
from pattern_review.context import CheckContext
from pattern_review.errors import CheckError
from pattern_review.models import ReviewTarget
from pattern_review.projects.accounts import (
    Account,
    UnprivilegedError,
    account_for,
    refusal,
    why_unrunnable,
)
from pattern_review.projects.discovery import Project
from pattern_review.projects.environments import (
    code_account,
    find_uv,
    project_environment,
)
from pattern_review.redaction import REDACTED
from tests.gitrepo import GitRepo
from tests.secret_pr import (
    ANTHROPIC_KEY,
    DEPLOY_PASSWORD,
    GITHUB_TOKEN,
    HUNT,
    SECRETS,
    readable_folder,
)

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="the user switch needs root"),
    pytest.mark.skipif(find_uv() is None, reason="uv is not installed"),
]

NOTHING_FOUND = "parent environments, found []"


@pytest.fixture(scope="module")
def shared_uv() -> Iterator[Path]:
    """A uv binary an unprivileged user may run (this run's may be under /root)."""
    with readable_folder() as folder:
        uv = folder / "uv"
        shutil.copy(str(find_uv()), uv)
        uv.chmod(0o755)
        yield uv


def _review(repo: GitRepo, uv: Path, run_as: str, checks: str) -> dict[str, Any]:
    env = {
        **os.environ,
        "GITHUB_TOKEN": GITHUB_TOKEN,
        "ANTHROPIC_API_KEY": ANTHROPIC_KEY,
        "DEPLOY_PASSWORD": DEPLOY_PASSWORD,
        "PATTERN_REVIEW_RUN_AS": run_as,
        "UV": str(uv),
        "UV_OFFLINE": "1",
        "UV_PYTHON": "/usr/bin/python3",
        "XDG_CACHE_HOME": str(repo.path.parent / f"cache-{run_as}"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "pattern_review", "review", "--repo", str(repo.path),
         "--base", "main", "--head", "HEAD", "--no-ai", "--checks", checks,
         "--format", "json"],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert not any(secret in output for secret in SECRETS), output[-3000:]
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def _said(report: dict[str, Any], check: str) -> str:
    entry = next(c for c in report["checks"] if c["name"] == check)
    assert entry["status"] == "error", entry
    return f"{entry['detail']}\n{entry.get('output', '')}"


def _mypy_as_root_then_nobody(repo: GitRepo, uv: Path) -> tuple[str, str]:
    """What the mypy check said of the PR as root, then as nobody."""
    return (
        _said(_review(repo, uv, "root", "mypy"), "mypy"),
        _said(_review(repo, uv, "nobody", "mypy"), "mypy"),
    )


def _assert_contained(said_as_root: str, said_as_nobody: str) -> None:
    # As root the PR's code reads the job's secrets (redacted in the report) ...
    assert NOTHING_FOUND not in said_as_root and REDACTED in said_as_root
    # ... as nobody it finds none: it reads only the environments of its own
    # processes (a shell running the install command), which hold none.
    assert NOTHING_FOUND in said_as_nobody, said_as_nobody


def _pr(repo: GitRepo) -> None:
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("pkg/calc.py", "def add(a: int, b: int) -> int:\n    return b + a\n")
    repo.commit("pr")


def test_the_prs_install_command_runs_unprivileged(shared_uv: Path) -> None:
    with readable_folder() as folder:
        repo = GitRepo(folder / "repo")
        repo.write(
            "pyproject.toml",
            '[project]\nname = "pkg"\nversion = "0"\n'
            "[tool.pattern-review]\n"
            'environment = "install"\ninstall = "python hunter.py"\n',
        )
        repo.write(
            "hunter.py",
            HUNT + "\nprint(f'error: {hunt()}')\nraise SystemExit(1)\n",
            dedent=False,
        )
        repo.write("pkg/__init__.py", "")
        repo.write("pkg/calc.py", "def add(a: int, b: int) -> int:\n    return a + b\n")
        repo.commit("base")
        _pr(repo)

        as_root, as_nobody = _mypy_as_root_then_nobody(repo, shared_uv)
    assert "could not be set up: error: read" in as_nobody
    _assert_contained(as_root, as_nobody)


BACKEND = (
    HUNT
    + """
import sys

print(hunt(), file=sys.stderr)
raise SystemExit(1)
"""
)


def test_uv_sync_builds_the_prs_project_unprivileged(shared_uv: Path) -> None:
    with readable_folder() as folder:
        repo = GitRepo(folder / "repo")
        # An in-tree build backend: uv runs it to install the project.
        repo.write(
            "pyproject.toml",
            '[project]\nname = "pkg"\nversion = "0"\nrequires-python = ">=3.11"\n'
            "[build-system]\nrequires = []\n"
            'build-backend = "hunter_backend"\nbackend-path = ["."]\n',
        )
        repo.write("hunter_backend.py", BACKEND, dedent=False)
        repo.write("pkg/__init__.py", "")
        repo.write("pkg/calc.py", "def add(a: int, b: int) -> int:\n    return a + b\n")
        subprocess.run(
            [str(shared_uv), "lock", "--offline", "-q"], cwd=repo.path, check=True
        )
        repo.commit("base")
        _pr(repo)

        as_root, as_nobody = _mypy_as_root_then_nobody(repo, shared_uv)
    assert "could not be set up" in as_nobody
    _assert_contained(as_root, as_nobody)


PLUGIN = HUNT + "\nraise RuntimeError(hunt())\n"


def _venv_with_mypy(repo: GitRepo, uv: Path) -> None:
    """A project venv an unprivileged user can run, with this run's mypy."""
    venv = repo.path / ".venv"
    subprocess.run(
        [str(uv), "venv", "-q", "--python", "/usr/bin/python3", str(venv)], check=True
    )
    subprocess.run(
        [str(uv), "pip", "install", "-q", "--python", str(venv / "bin/python"),
         f"mypy=={metadata.version('mypy')}"],
        check=True,
    )  # fmt: skip


def test_mypy_imports_the_prs_plugins_unprivileged(shared_uv: Path) -> None:
    with readable_folder() as folder:
        repo = GitRepo(folder / "repo")
        repo.write(".gitignore", ".venv/\n")
        repo.write(
            "pyproject.toml",
            '[project]\nname = "pkg"\nversion = "0"\n'
            '[tool.mypy]\nplugins = ["hunter_plugin.py"]\n',
        )
        repo.write("hunter_plugin.py", PLUGIN, dedent=False)
        repo.write("pkg/__init__.py", "")
        repo.write("pkg/calc.py", "def add(a: int, b: int) -> int:\n    return a + b\n")
        repo.commit("base")
        _venv_with_mypy(repo, shared_uv)
        _pr(repo)

        as_root, as_nobody = _mypy_as_root_then_nobody(repo, shared_uv)
    assert "Error importing plugin" in as_nobody
    _assert_contained(as_root, as_nobody)


def test_the_jobs_mypy_workers_stay_off_for_the_unprivileged_user(
    shared_uv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # mypy's workers would write status files into the project's folder,
    # which nobody may only read: mypy would fail to start them.
    monkeypatch.setenv("MYPY_NUM_WORKERS", "2")
    with readable_folder() as folder:
        repo = GitRepo(folder / "repo")
        repo.write(".gitignore", ".venv/\n")
        repo.write("pyproject.toml", '[project]\nname = "pkg"\nversion = "0"\n')
        repo.write("pkg/__init__.py", "")
        repo.write("pkg/calc.py", "def add(a: int, b: int) -> int:\n    return a + b\n")
        repo.commit("base")
        _venv_with_mypy(repo, shared_uv)
        repo.git("checkout", "-q", "-b", "feature")
        repo.write("pkg/calc.py", 'def add(a: int, b: int) -> int:\n    return "a"\n')
        repo.commit("pr")

        report = _review(repo, shared_uv, "nobody", "mypy")

    mypy = next(c for c in report["checks"] if c["name"] == "mypy")
    assert mypy["status"] == "failed", mypy
    assert "parallel" not in mypy["detail"]
    assert [f["rule"] for f in report["findings"]] == ["mypy:return-value"]


# --- the pieces ------------------------------------------------------------


def _nobody(home: Path) -> Account:
    import pwd

    entry = pwd.getpwnam("nobody")
    return Account("nobody", entry.pw_uid, entry.pw_gid, home)


def test_a_program_out_of_reach_is_named() -> None:
    with readable_folder() as folder:
        private = folder / "private"
        (private / "bin").mkdir(parents=True)
        program = private / "bin" / "tool"
        program.write_text("#!/bin/sh\n")
        program.chmod(0o755)
        private.chmod(0o700)
        account = _nobody(folder)
        unreachable = why_unrunnable(account, program)

        # Reachable, but only its owner may run it.
        private.chmod(0o755)
        program.chmod(0o700)
        owner_only = why_unrunnable(account, program)
        program.chmod(0o755)
        runnable = why_unrunnable(account, program)
    assert unreachable == (
        f"the user 'nobody' that runs the PR's code may not enter {private}"
        f" (on the way to {program})"
    )
    assert owner_only == (
        f"the user 'nobody' that runs the PR's code may not run {program}"
    )
    assert runnable is None


def test_the_users_cache_folder_is_its_own_and_never_the_reviews() -> None:
    with readable_folder() as folder:
        home = folder / "home"
        home.mkdir()
        account = _nobody(home)
        reachable = folder / "cache"
        kept = account.cache_folder(reachable)
        kept_info, review_info = kept.stat(), reachable.stat()

        # A cache folder that user cannot reach (root's HOME): its own HOME.
        private = folder / "private"
        private.mkdir(mode=0o700)
        hidden = private / "cache"
        fallback = account.cache_folder(hidden)
        fallback_owner = fallback.stat().st_uid
    assert kept == reachable / "as-nobody"
    assert kept_info.st_uid == account.uid and kept_info.st_mode & 0o777 == 0o755
    assert review_info.st_uid == 0  # the review's own folder stays root's
    assert fallback == home / "cache" / "cache"
    assert fallback_owner == account.uid


def test_a_uv_the_user_cannot_run_fails_only_the_environment_and_says_why(
    shared_uv: Path,
) -> None:
    with readable_folder() as folder:
        private = folder / "private"
        private.mkdir(mode=0o700)
        hidden_uv = private / "uv"
        shutil.copy(shared_uv, hidden_uv)
        repo = GitRepo(folder / "repo")
        repo.write("requirements.txt", "pytest\n")
        repo.write("pkg/__init__.py", "")
        repo.write("pkg/calc.py", "def add(a: int, b: int) -> int:\n    return a + b\n")
        repo.commit("base")
        _pr(repo)

        report = _review(repo, hidden_uv, "nobody", "mypy,conventions")
    said = _said(report, "mypy")
    assert said.startswith(
        "environment of the repository root could not be set up: the PR's code is"
        f" not run (the review is root): the user 'nobody' that runs the PR's code"
        f" may not enter {private} (on the way to {hidden_uv}); make it reachable,"
        " or set"
        " PATTERN_REVIEW_RUN_AS=root where the code is trusted"
    ), said
    conventions = next(c for c in report["checks"] if c["name"] == "conventions")
    assert conventions["status"] == "passed"


def test_a_cache_restored_by_another_user_becomes_the_users_but_no_link_does() -> None:
    with readable_folder() as folder:
        home = folder / "home"
        home.mkdir()
        account = _nobody(home)
        base = folder / "cache"
        # What actions/cache restores: the runner's user owns everything.
        restored = base / "as-nobody"
        (restored / "mypy" / "3.11").mkdir(parents=True)
        (restored / "mypy" / "3.11" / "pkg.data.json").write_text("{}")
        roots_file = folder / "roots-file"
        roots_file.write_text("root's")
        os.link(roots_file, restored / "hard-link")
        (restored / "soft-link").symlink_to(roots_file)

        found = account.cache_folder(base)
        owners = {
            name: os.lstat(restored / name).st_uid
            for name in ("mypy", "mypy/3.11", "mypy/3.11/pkg.data.json", "soft-link")
        }
        roots_owner = roots_file.stat().st_uid
        mode = found.stat().st_mode & 0o777
    assert found == restored and mode == 0o755
    assert owners["mypy"] == owners["mypy/3.11"] == account.uid
    assert owners["mypy/3.11/pkg.data.json"] == account.uid
    # Neither a link nor a hard link to a file of root's changes hands.
    assert owners["soft-link"] == 0 and roots_owner == 0


def test_a_venv_the_user_cannot_run_is_named_when_the_bundled_tools_stand_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATTERN_REVIEW_RUN_AS", "nobody")
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    with readable_folder() as folder:
        # The project's venv, made by root from an interpreter in a private
        # folder (as one under /root would be).
        private = folder / "private"
        private.mkdir(mode=0o700)
        interpreter = private / "python3"
        interpreter.write_text("#!/bin/sh\necho /nowhere\n")
        interpreter.chmod(0o755)
        project = folder / "project"
        (project / ".venv" / "bin").mkdir(parents=True)
        (project / ".venv" / "bin" / "python").symlink_to(interpreter)
        target = ReviewTarget(repo=project, base="0" * 40, head="1" * 40)
        context = CheckContext(
            target=target, config=Config(), cache_dir=folder / "cache"
        )
        found = project_environment(replace(context, project=Project(".", project)))
    assert found.kind == "bundled"
    assert found.origin == (
        "bundled tools: no environment found for the repository root (.venv: out"
        " of the reach of 'nobody', the user the PR's code runs as)"
    )


def test_the_refusal_says_what_was_not_run_why_and_how_to_go_on() -> None:
    assert refusal("mypy not run", "the user 'nobody' may not run /x/mypy") == (
        "mypy not run (the review is root): the user 'nobody' may not run /x/mypy;"
        " make it reachable, or set PATTERN_REVIEW_RUN_AS=root where the code is"
        " trusted"
    )
    assert "make it readable," in refusal("tests not run", "why", "readable")


def test_who_runs_the_prs_code_is_decided_by_account_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATTERN_REVIEW_RUN_AS", "nobody")
    assert account_for(tmp_path, "tests not run", safe_mode=True) is None
    monkeypatch.setenv("PATTERN_REVIEW_RUN_AS", "root")
    assert account_for(tmp_path, "tests not run") is None
    monkeypatch.setenv("PATTERN_REVIEW_RUN_AS", "no-such-user-here")
    with pytest.raises(UnprivilegedError) as missing:
        account_for(tmp_path, "tests not run")
    assert str(missing.value) == (
        "tests not run (the review is root): the user 'no-such-user-here' to run"
        " the PR's code as does not exist (set PATTERN_REVIEW_RUN_AS)"
    )
    monkeypatch.setenv("PATTERN_REVIEW_RUN_AS", "nobody")
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    with pytest.raises(UnprivilegedError) as unreadable:
        account_for(private, "mypy not run")
    message = str(unreadable.value)
    assert message.startswith(
        "mypy not run (the review is root): the user 'nobody' that runs the PR's"
        " code may not "
    )
    assert message.endswith(
        "; make it readable, or set PATTERN_REVIEW_RUN_AS=root where the code is"
        " trusted"
    )
    with readable_folder() as folder:
        account = account_for(folder, "mypy not run")
    assert account is not None and account.name == "nobody"


def test_a_check_gets_the_refusal_as_its_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATTERN_REVIEW_RUN_AS", "nobody")
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    target = ReviewTarget(repo=private, base="0" * 40, head="1" * 40)
    ctx = CheckContext(target=target, config=Config(), cache_dir=tmp_path / "cache")
    with pytest.raises(CheckError, match=r"^tests not run \(the review is root\)"):
        code_account(ctx, "tests not run")
