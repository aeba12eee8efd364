"""The environment each manager's CI builds, built for real by uv on temporary repos.

uv, hatchling and poetry come from the uv cache after their first run; the
dependencies are tiny (``iniconfig``, ``six``).
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from pattern_review.checks import pytest_check
from pattern_review.config import Config
from pattern_review.context import CheckContext
from pattern_review.errors import CheckError
from pattern_review.models import ReviewTarget
from pattern_review.projects.discovery import Project
from pattern_review.projects.environments import find_uv, project_environment
from pattern_review.projects.environments.poetry import POETRY
from tests.check_context import check_context
from tests.gitrepo import GitRepo

UV = find_uv()
pytestmark = pytest.mark.skipif(UV is None, reason="uv is not installed")
HATCHLING = (
    '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
)
UV_EXTRAS = """\
[project]
name = "app"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = []

[project.optional-dependencies]
server = ["iniconfig"]
other = ["six"]

[tool.uv]
package = false
"""


def _context(repo: Path, tmp_path: Path, config: Config | None = None) -> CheckContext:
    target = ReviewTarget(repo=repo, base="0" * 40, head="1" * 40)
    context = CheckContext(
        target=target, config=config or Config(), cache_dir=tmp_path / "cache"
    )
    return replace(context, project=Project(".", repo))


def _imports(python: Path | None, code: str) -> bool:
    assert python is not None
    done = subprocess.run([python, "-c", code], check=False, capture_output=True)
    return done.returncode == 0


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _uv_lock(repo: Path) -> None:
    assert UV is not None
    subprocess.run([UV, "lock", "--quiet"], cwd=repo, check=True)


def test_a_uv_project_syncs_the_extras_its_workflow_names(tmp_path: Path) -> None:
    repo = _write(
        tmp_path / "repo",
        {
            "pyproject.toml": UV_EXTRAS,
            ".github/workflows/ci.yml": "steps:\n"
            "  - run: uv sync --frozen --extra server\n",
        },
    )
    _uv_lock(repo)

    found = project_environment(_context(repo, tmp_path))

    assert found.kind == "uv"
    assert _imports(found.python, "import iniconfig")
    assert not _imports(found.python, "import six")
    assert found.origin == (
        "the uv.lock environment of the repository root"
        " (extras server, no groups from .github/workflows/ci.yml)"
    )


def test_a_uv_project_without_workflow_gets_all_extras(tmp_path: Path) -> None:
    repo = _write(tmp_path / "repo", {"pyproject.toml": UV_EXTRAS})
    _uv_lock(repo)

    found = project_environment(_context(repo, tmp_path))

    assert _imports(found.python, "import iniconfig, six")
    assert "all extras, no groups; no CI workflow names any" in found.origin


def test_the_install_setting_beats_a_uv_lock(tmp_path: Path) -> None:
    repo = _write(tmp_path / "repo", {"pyproject.toml": UV_EXTRAS})
    _uv_lock(repo)
    config = Config(install='touch "$VIRTUAL_ENV/installed"')

    found = project_environment(_context(repo, tmp_path, config))

    assert found.kind == "install"
    assert found.prefix is not None and (found.prefix / "installed").is_file()
    assert not _imports(found.python, "import iniconfig")


def test_a_pep_621_library_is_installed_itself_with_its_test_extra(
    tmp_path: Path,
) -> None:
    repo = _write(
        tmp_path / "repo",
        {
            "pyproject.toml": '[project]\nname = "memlib"\nversion = "1.2.3"\n'
            'dependencies = []\n[project.optional-dependencies]\ntest = ["iniconfig"]\n'
            f's3 = ["six"]\n{HATCHLING}',
            "memlib/__init__.py": "from importlib.metadata import version\n"
            'VERSION = version("memlib")\n',
        },
    )

    found = project_environment(_context(repo, tmp_path))

    assert found.kind == "project"
    assert _imports(found.python, "import memlib; assert memlib.VERSION == '1.2.3'")
    assert _imports(found.python, "import iniconfig, pytest")
    assert not _imports(found.python, "import six")
    assert found.origin == (
        "the repository root installed editable by uv"
        " (extras test, no groups; no CI workflow names any)"
    )


def test_a_hatch_project_gets_its_test_env(tmp_path: Path) -> None:
    repo = _write(
        tmp_path / "repo",
        {
            "pyproject.toml": '[project]\nname = "happ"\nversion = "0.1"\n'
            f"{HATCHLING}"
            '[tool.hatch.envs.default]\npython = "3.11"\n'
            '[tool.hatch.envs.test]\ndependencies = ["iniconfig"]\n'
            '[tool.hatch.envs.docs]\ndependencies = ["six"]\n',
            "happ/__init__.py": "",
            ".github/workflows/test.yml": "jobs:\n  t:\n    steps:\n"
            "      - run: hatch run test:pytest\n",
        },
    )

    found = project_environment(_context(repo, tmp_path))

    assert found.kind == "hatch"
    assert _imports(found.python, "import happ, iniconfig")
    assert _imports(found.python, "import sys; assert sys.version_info[:2] == (3, 11)")
    assert not _imports(found.python, "import six")
    assert found.origin == (
        "the hatch environment of the repository root built by uv"
        " (hatch envs test run in .github/workflows/test.yml)"
    )


def test_a_poetry_project_is_installed_by_poetry_from_its_lock(
    tmp_path: Path,
) -> None:
    repo = _write(
        tmp_path / "repo",
        {
            "pyproject.toml": '[tool.poetry]\nname = "papp"\nversion = "0.1.0"\n'
            'description = ""\nauthors = []\npackage-mode = false\n'
            '[tool.poetry.dependencies]\npython = ">=3.11"\n'
            '[tool.poetry.group.test.dependencies]\niniconfig = "*"\n'
            "[tool.poetry.group.docs]\noptional = true\n"
            '[tool.poetry.group.docs.dependencies]\nsix = "*"\n',
        },
    )
    assert UV is not None
    lock = [UV, "tool", "run", "--from", POETRY, "poetry", "lock", "--no-interaction"]
    subprocess.run(lock, cwd=repo, check=True, capture_output=True)
    before = sorted(p.name for p in repo.iterdir())

    found = project_environment(_context(repo, tmp_path))

    assert found.kind == "poetry"
    assert found.prefix is not None and found.prefix.is_relative_to(tmp_path / "cache")
    assert _imports(found.python, "import iniconfig")
    assert not _imports(found.python, "import six")
    assert "groups test; no CI workflow names any" in found.origin
    assert sorted(p.name for p in repo.iterdir()) == before


def test_a_failed_build_quotes_the_error_not_the_last_line(tmp_path: Path) -> None:
    install = (
        "echo 'building' ; echo 'src/x.c:9:10: fatal error: lber.h: No such file' >&2;"
        " echo 'self._finalize_license_expression()' >&2; exit 1"
    )
    with pytest.raises(CheckError) as raised:
        project_environment(_context(tmp_path, tmp_path, Config(install=install)))
    message = str(raised.value)
    assert message.startswith(
        "environment of the repository root could not be set up:"
        " src/x.c:9:10: fatal error: lber.h: No such file (`sh -c echo"
    )
    assert "_finalize_license_expression" not in message


def test_a_test_missing_a_module_names_the_setting(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("requirements.txt", "iniconfig\n")
    git_repo.write("app/__init__.py", "")
    git_repo.write(
        "tests/test_app.py", "import six\n\ndef test_it() -> None:\n    pass\n"
    )
    git_repo.write(
        "tests/test_ok.py", "import iniconfig\n\ndef test_ok() -> None:\n    pass\n"
    )
    git_repo.commit()

    failing = pytest_check.run(check_context(git_repo, tmp_path, "tests/test_app.py"))
    passing = pytest_check.run(check_context(git_repo, tmp_path, "tests/test_ok.py"))

    assert (
        "No module named 'six' in the environment uv built from"
        in failing.result.detail
    )
    assert "set `install`" in failing.result.detail
    assert "No module named" not in passing.result.detail


def test_a_conftest_error_is_the_reason_not_the_line_after_it(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("requirements.txt", "iniconfig\n")
    git_repo.write(
        "tests/conftest.py",
        "raise ValueError('secret Field required')\n"
        "# For further information visit https://errors.example/\n",
    )
    git_repo.write("tests/test_app.py", "def test_it() -> None:\n    pass\n")
    git_repo.commit()

    with pytest.raises(CheckError) as raised:
        pytest_check.run(check_context(git_repo, tmp_path, "tests/test_app.py"))

    assert str(raised.value) == (
        "pytest exited 4: E   ValueError: secret Field required"
    )
