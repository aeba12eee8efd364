"""A pull request whose test hunts for the job's secrets, and where it may run."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.gitrepo import GitRepo

PYTEST_FILES = (
    "pytest", "_pytest", "pluggy", "iniconfig", "packaging", "pygments", "py.py"
)  # fmt: skip

GITHUB_TOKEN = "ghs_" + "Q7x" * 12
ANTHROPIC_KEY = "sk-ant-api03-" + "k9Z" * 10
# A secret of no known shape, known only by its variable's name.
DEPLOY_PASSWORD = "correct-horse-battery-staple"
SECRETS = (GITHUB_TOKEN, ANTHROPIC_KEY, DEPLOY_PASSWORD)

# Walks up its parent processes and reads each one's environment: the job's
# review process holds the token there, whatever it passes to the PR's code.
# ``hunt()`` says what it found; PR code of any kind (a test, a build
# backend, a mypy plugin, an install script) carries it.
HUNT = """\
import os

NAMES = ("GITHUB_TOKEN=", "ANTHROPIC_API_KEY=", "DEPLOY_PASSWORD=")


def _parent(pid):
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def hunt():
    read, found = 0, []
    pid = os.getppid()
    while pid > 1:
        try:
            with open(f"/proc/{pid}/environ", "rb") as environ:
                data = environ.read().decode("utf-8", "replace")
            read += 1
            found += [v for v in data.split("\\0") if v.startswith(NAMES)]
        except OSError:
            pass
        pid = _parent(pid)
    return f"read {read} parent environments, found {found}"
"""
HUNTING_TEST = (
    HUNT
    + """
from pkg.calc import add


def test_hunts_the_parents_secrets() -> None:
    assert add(1, 1) == 3, hunt()
"""
)


@contextmanager
def readable_folder() -> Iterator[Path]:
    """Yield a folder an unprivileged user may read (pytest's own are 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="pattern-review-secrets-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def secret_pr(repo: GitRepo) -> None:
    """Commit a small uv project, then a PR whose test hunts for secrets.

    The project's ``.venv`` (uv, offline, from the system Python, with this
    run's pure-Python pytest copied in) is one an unprivileged user can run,
    unlike this test run's own.
    """
    repo.write(".gitignore", ".venv/\n")
    repo.write(
        "pyproject.toml",
        '[project]\nname = "pkg"\nversion = "0"\nrequires-python = ">=3.11"\n'
        "[tool.uv]\npackage = false\n"
        '[tool.pytest.ini_options]\npythonpath = ["."]\n',
    )
    repo.write("pkg/__init__.py", "")
    repo.write("pkg/calc.py", "def add(a: int, b: int) -> int:\n    return a + b\n")
    repo.commit("base")
    venv = repo.path / ".venv"
    uv = shutil.which("uv") or "uv"
    env = {**os.environ, "UV_OFFLINE": "1"}
    subprocess.run(
        [uv, "venv", "-q", "--python", "/usr/bin/python3", str(venv)],
        check=True,
        env=env,
    )
    site = next((venv / "lib").glob("python3*/site-packages"))
    here = Path(pytest.__file__).parents[1]
    for name in PYTEST_FILES:
        stem = name.removesuffix(".py")
        for source in [here / name, *here.glob(f"{stem}-*.dist-info")]:
            if source.is_dir():
                shutil.copytree(source, site / source.name)
            else:
                shutil.copy(source, site / source.name)
    script = venv / "bin" / "pytest"
    script.write_text(
        f"#!{venv / 'bin' / 'python'}\n"
        "import sys\nfrom pytest import console_main\nsys.exit(console_main())\n"
    )
    script.chmod(0o755)
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("pkg/calc.py", "def add(a: int, b: int) -> int:\n    return b + a\n")
    repo.write("tests/test_calc.py", HUNTING_TEST, dedent=False)
    repo.commit("pr")
