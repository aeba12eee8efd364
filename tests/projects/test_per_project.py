"""Real repository layouts, end to end: each project with its config and environment.

One monorepo, built once with real environments (the package registry is
reachable): ``backend/`` (a uv project, strict mypy, tests that read files
relative to ``backend/``), ``service/`` (a second uv project, lenient mypy,
code that imports a third-party package), ``legacy/`` (only
``requirements.txt``, ``mypy.ini``, ``pytest.ini`` and its own ``.venv``) and
``broken/`` (a uv project whose environment cannot be set up). The same change
touches all four; the CLI reviews it as a user would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pattern_review.projects.environments import find_uv
from tests.gitrepo import GitRepo

pytestmark = pytest.mark.skipif(find_uv() is None, reason="uv is not installed")

UV_PROJECT = """\
[project]
name = "{name}"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = [{dependencies}]

[dependency-groups]
dev = ["pytest>=8"]

[tool.uv]
package = false

[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]
"""
LOAD_TYPED = """\
from __future__ import annotations

import json


def load(text: str) -> int:
    value: int = json.loads(text)
    return value
"""
# A strict-only error (no-any-return, from warn_return_any).
LOAD_ANY = """\
from __future__ import annotations

import json


def load(text: str) -> int:
    return json.loads(text)
"""
DUMP = """\
from __future__ import annotations

import tomli_w


def dump(data: dict[str, int]) -> str:
    return tomli_w.dumps(data)
"""
# An error mypy finds only with tomli_w's own types: the environment's.
DUMP_BAD_CALL = """\
from __future__ import annotations

import tomli_w


def dump(data: dict[str, int]) -> str:
    return tomli_w.dumps(data, indent="four")
"""
DUMP_TEST = """\
from __future__ import annotations

from {module} import dump


def test_dump() -> None:
    assert dump({{"a": 1}}) == "a = 2\\n"
"""


def _uv(*args: str, cwd: Path) -> None:
    uv = find_uv()
    assert uv is not None
    subprocess.run([uv, *args], cwd=cwd, check=True, capture_output=True)


def _build(root: Path) -> GitRepo:
    repo = GitRepo(root)
    repo.write(".gitignore", ".venv/\n")
    # backend/: strict mypy; a test that reads a file relative to backend/.
    repo.write(
        "backend/pyproject.toml",
        UV_PROJECT.format(name="backend", dependencies="")
        + "\n[tool.mypy]\nstrict = true\n",
        dedent=False,
    )
    repo.write("backend/app/__init__.py", "")
    repo.write("backend/app/core.py", LOAD_TYPED, dedent=False)
    repo.write("backend/data.txt", "42\n")
    repo.write(
        "backend/tests/test_core.py",
        """\
        from __future__ import annotations

        from pathlib import Path

        from app.core import load


        def test_load_reads_the_data_file() -> None:
            assert load(Path("data.txt").read_text()) == 42
        """,
    )
    # service/: lenient mypy; imports tomli_w, installed in its environment.
    repo.write(
        "service/pyproject.toml",
        UV_PROJECT.format(name="service", dependencies='"tomli-w>=1.0"'),
        dedent=False,
    )
    repo.write("service/app/__init__.py", "")
    repo.write("service/app/core.py", LOAD_TYPED, dedent=False)
    repo.write("service/app/dump.py", DUMP, dedent=False)
    repo.write(
        "service/tests/test_dump.py", DUMP_TEST.format(module="app.dump"), dedent=False
    )
    # legacy/: requirements.txt, mypy.ini (strict, migrations excluded),
    # pytest.ini (testpaths), and its own .venv.
    repo.write("legacy/requirements.txt", "tomli-w>=1.0\npytest>=8\n")
    repo.write("legacy/mypy.ini", "[mypy]\nstrict = True\nexclude = migrations/\n")
    repo.write("legacy/pytest.ini", "[pytest]\ntestpaths = tests\npythonpath = .\n")
    repo.write("legacy/lib/__init__.py", "")
    repo.write("legacy/lib/dump.py", DUMP, dedent=False)
    repo.write(
        "legacy/tests/test_dump.py", DUMP_TEST.format(module="lib.dump"), dedent=False
    )
    # broken/: its lock is fine, but the Python it asks for does not exist.
    repo.write(
        "broken/pyproject.toml",
        UV_PROJECT.format(name="broken", dependencies=""),
        dedent=False,
    )
    repo.write("broken/app/__init__.py", "")
    repo.write("broken/app/core.py", LOAD_TYPED, dedent=False)
    repo.write(
        "broken/tests/test_core.py",
        "from app.core import load\n\n\ndef test_load() -> None:\n"
        "    assert load('1') == 1\n",
    )
    for project in ("backend", "service", "broken"):
        _uv("lock", "--quiet", cwd=root / project)
    repo.write("broken/.python-version", "3.99\n")
    _uv("venv", "--quiet", str(root / "legacy/.venv"), cwd=root / "legacy")
    _uv(
        "pip",
        "install",
        "--quiet",
        "--python",
        str(root / "legacy/.venv/bin/python"),
        "-r",
        "requirements.txt",
        cwd=root / "legacy",
    )
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "change")
    repo.write("backend/app/core.py", LOAD_ANY, dedent=False)
    repo.write("service/app/core.py", LOAD_ANY, dedent=False)
    repo.write("service/app/dump.py", DUMP_BAD_CALL, dedent=False)
    repo.write("legacy/lib/dump.py", DUMP + "\n\nVERSION = 1\n", dedent=False)
    repo.write("legacy/migrations/m0001.py", "def up(x):\n    return x\n")
    repo.write(
        "legacy/other_tests/test_elsewhere.py",
        "from lib.dump import dump\n\n\ndef test_never_run() -> None:\n"
        "    assert dump({}) == 'never'\n",
    )
    repo.write("broken/app/core.py", "import os\n" + LOAD_TYPED, dedent=False)
    repo.commit("change")
    return repo


def _review(repo: Path, cache: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "XDG_CACHE_HOME": str(cache),
        # A missing Python is an error, not a download.
        "UV_PYTHON_DOWNLOADS": "never",
    }
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pattern_review",
            "review",
            "--repo",
            str(repo),
            "--base",
            "main",
            "--head",
            "HEAD",
            "--no-ai",
            *extra,
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=900,
    )


@pytest.fixture(scope="module")
def monorepo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    root = tmp_path_factory.mktemp("layouts") / "repo"
    try:
        return _build(root)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot build the environments here: {exc.stderr!r}")


@pytest.fixture(scope="module")
def whole(
    monorepo: GitRepo, tmp_path_factory: pytest.TempPathFactory
) -> tuple[int, dict[str, Any], str]:
    cache = tmp_path_factory.mktemp("cache")
    done = _review(monorepo.path, cache, "--format", "json", "--verbose")
    assert done.stdout, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return done.returncode, report, done.stderr


def _rules(report: dict[str, Any], path: str) -> list[str]:
    return sorted(f["rule"] for f in report["findings"] if f["path"] == path)


def _check(report: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in report["checks"] if c["name"] == name)
    return found


def test_each_project_is_type_checked_with_its_own_config(
    whole: tuple[int, dict[str, Any], str],
) -> None:
    _, report, _ = whole
    # The strict project reports the strict-only error; the lenient one not.
    assert "mypy:no-any-return" in _rules(report, "backend/app/core.py")
    assert "mypy:no-any-return" not in _rules(report, "service/app/core.py")
    # mypy saw tomli_w's types: the service's environment reached it.
    assert "mypy:arg-type" in _rules(report, "service/app/dump.py")
    # legacy's mypy.ini excludes its migrations.
    assert not [
        f
        for f in report["findings"]
        if f["path"].startswith("legacy/migrations/") and f["source"] == "mypy"
    ]


def test_each_project_runs_its_tests_in_its_own_folder_and_environment(
    whole: tuple[int, dict[str, Any], str],
) -> None:
    _, report, _ = whole
    pytest_findings = {
        f["path"]: f for f in report["findings"] if f["source"] == "pytest"
    }
    # backend's test reads data.txt relative to backend/: it passes.
    assert not [p for p in pytest_findings if p.startswith("backend/")]
    # The tests that need tomli_w fail as tests, not as import errors.
    for path in ("service/tests/test_dump.py", "legacy/tests/test_dump.py"):
        assert pytest_findings[path]["rule"] == "pytest:failed", pytest_findings[path]
        assert "No module named" not in pytest_findings[path]["message"]
    # legacy's pytest.ini testpaths: a test elsewhere is not run.
    assert "legacy/other_tests/test_elsewhere.py" not in pytest_findings


def test_findings_name_their_project_with_repository_relative_paths(
    whole: tuple[int, dict[str, Any], str],
) -> None:
    _, report, _ = whole
    assert report["findings"]
    for finding in report["findings"]:
        assert finding["project"] == finding["path"].split("/")[0], finding


def test_an_environment_that_cannot_be_set_up_fails_only_mypy_and_pytest(
    whole: tuple[int, dict[str, Any], str],
) -> None:
    status, report, stderr = whole
    assert status == 2  # a requested check could not run
    for name in ("mypy", "pytest"):
        check = _check(report, name)
        assert check["status"] == "error"
        assert "environment of broken/ could not be set up: error:" in check["detail"]
        assert "3.99" in check["detail"]
        assert check["output"]  # the whole output, bounded
    # The other projects' results are still there, and ruff still ran on broken/.
    assert "F401" in _rules(report, "broken/app/core.py")
    assert _check(report, "ruff")["status"] == "failed"
    assert _check(report, "ruff-format")["status"] in ("passed", "failed")
    assert "mypy could not run: " in stderr
    assert "3.99" in stderr.split("mypy could not run: ", 1)[1]


def test_repo_inside_the_repository_reviews_that_folders_project(
    monorepo: GitRepo, tmp_path: Path
) -> None:
    done = _review(monorepo.path / "backend", tmp_path / "cache", "--format", "json")

    report = json.loads(done.stdout)
    assert f"reviewing backend/ of {monorepo.path}" in done.stderr
    assert {f["project"] for f in report["findings"]} == {"backend"}
    assert "mypy:no-any-return" in _rules(report, "backend/app/core.py")
    assert done.returncode == 1  # findings, and every check ran
