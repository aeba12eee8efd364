"""What the CI installs, what a pyproject declares, and a build log's error line."""

from __future__ import annotations

from pathlib import Path

from pattern_review.projects.discovery import Project
from pattern_review.projects.environments.build import python_request
from pattern_review.projects.environments.ci import (
    TEST_NAMES,
    CiInstall,
    ci_install,
    scan_line,
    select,
)
from pattern_review.projects.environments.declared import (
    hatch_envs,
    hatch_requirements,
    is_packaged,
    poetry_groups,
)
from pattern_review.projects.environments.hatch import is_hatch_project
from pattern_review.projects.environments.kinds import Environment
from pattern_review.projects.environments.missing import (
    missing_module_hint,
    missing_modules,
)
from pattern_review.projects.error_lines import first_error_line

WORKFLOW = """\
name: CI
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: astral-sh/setup-uv@v6
      - run: uv sync --frozen --extra server --group test
      - name: lint
        run: |
          cd backend && uv run --extra=worker pytest
      - run: echo "uv sync is not run here" # --extra nope
"""


def _workflow(repo: Path, text: str, name: str = "ci.yml") -> None:
    folder = repo / ".github" / "workflows"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)


def test_uv_sync_lines_of_a_workflow_name_extras_and_groups(tmp_path: Path) -> None:
    _workflow(tmp_path, WORKFLOW)
    found = ci_install(tmp_path)
    assert found.extras == {"server", "worker"}
    assert found.groups == {"test"}
    assert found.sources == {".github/workflows/ci.yml"}
    assert not found.all_extras and not found.all_groups


def test_no_workflow_or_no_install_line_names_nothing(tmp_path: Path) -> None:
    assert ci_install(tmp_path) == CiInstall()
    _workflow(tmp_path, "steps:\n  - run: make test\n  - run: 'unclosed\n")
    assert ci_install(tmp_path) == CiInstall()


def test_pip_poetry_and_hatch_lines() -> None:
    found = CiInstall()
    assert scan_line('- run: python -m pip install -e ".[dev,test]"', found)
    assert scan_line("run: poetry install --with docs,lint -E s3 --all-extras", found)
    assert scan_line("run: hatch run test:cov", found)
    assert scan_line("run: hatch env create lint", found)
    assert not scan_line("run: pip install ruff", found)
    assert not scan_line("run: poetry build", found)
    assert found.extras == {"dev", "test", "s3"}
    assert found.groups == {"docs", "lint"}
    assert found.all_extras
    assert found.hatch_envs == {"test", "lint"}


def test_the_ci_names_win_and_only_declared_ones_are_kept() -> None:
    ci = CiInstall(extras={"Server", "absent"}, sources={".github/workflows/ci.yml"})
    chosen = select(ci, ["server", "other"], ["dev", "test"])
    assert (chosen.extras, chosen.groups) == (("server",), ())
    assert chosen.reason == "extras server, no groups from .github/workflows/ci.yml"


def test_without_ci_names_all_extras_and_the_test_groups() -> None:
    chosen = select(CiInstall(), ["a", "b"], ["dev", "docs", "test"])
    assert (chosen.extras, chosen.groups) == (("a", "b"), ("dev", "test"))
    assert chosen.reason == "all extras, groups dev, test; no CI workflow names any"
    library = select(CiInstall(), ["s3", "testing"], [], TEST_NAMES)
    assert library.extras == ("testing",)


def test_a_build_log_whose_last_line_is_not_the_error() -> None:
    log = """\
  × Failed to build `python-ldap==3.4.4`
  ├─▶ The build backend returned an error
  ╰─▶ Call to `setuptools.build_meta.build_wheel` failed (exit status: 1)
      [stderr]
      Modules/LDAPObject.c:9:10: fatal error: lber.h: No such file or directory
      compilation terminated.
      error: command '/usr/bin/gcc' failed with exit code 1
      self._finalize_license_expression()
"""
    assert first_error_line(log) == (
        "Modules/LDAPObject.c:9:10: fatal error: lber.h: No such file or directory"
    )


def test_a_python_pyenv_lacks_is_the_cause_not_uvs_query() -> None:
    # uv sync in a project whose .python-version names a Python pyenv lacks:
    # uv's own line says only that querying the shim failed.
    log = (
        "error: Failed to inspect Python interpreter from search path at"
        " `/root/.pyenv/shims/python`\n"
        "  cause: Querying Python at `/root/.pyenv/shims/python` failed with exit"
        " status exit status: 1\n\n"
        "         [stderr]\n"
        "         pyenv: version `3.14' is not installed (set by"
        " /w/server/.python-version)\n"
    )
    assert first_error_line(log) == (
        "pyenv: version `3.14' is not installed (set by /w/server/.python-version)"
    )


def test_a_traceback_and_a_pytest_error_line() -> None:
    traceback = (
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1, in <module>\n'
        "    import y\n"
        "KeyError: 'secret'\n"
        "During handling, something else\n"
    )
    assert first_error_line(traceback) == "KeyError: 'secret'"
    pytest_log = (
        "E   pydantic_core._pydantic_core.ValidationError: 1 validation error\n"
        "E   secret Field required\n"
        "E   For further information visit https://errors.pydantic.dev/\n"
    )
    assert first_error_line(pytest_log) == (
        "E   pydantic_core._pydantic_core.ValidationError: 1 validation error"
    )
    assert first_error_line("ok\nerror: extra `x` is not defined\nlast") == (
        "error: extra `x` is not defined"
    )
    assert first_error_line("all fine\nnothing wrong") is None


def test_hatch_envs_inherit_from_their_template(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.hatch.envs.default]\ndependencies = ["six"]\n'
        '[tool.hatch.envs.test]\ndependencies = ["iniconfig", "{root:uri}/x"]\n'
        'features = ["server"]\n'
        '[tool.hatch.envs.docs]\ndetached = true\ndependencies = ["--index-url=x"]\n'
    )
    envs = hatch_envs(tmp_path)
    assert sorted(envs) == ["default", "docs", "test"]
    assert hatch_requirements(envs, "test") == (["iniconfig", "six"], ["server"], True)
    assert hatch_requirements(envs, "docs") == ([], [], False)


def test_packaged_means_a_build_system_and_poetry_groups(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "p"\nversion = "0"\n')
    assert not is_packaged(tmp_path)
    pyproject.write_text(
        '[project]\nname = "p"\nversion = "0"\n'
        '[build-system]\nrequires = ["hatchling"]\n'
        'build-backend = "hatchling.build"\n'
    )
    assert is_packaged(tmp_path)
    pyproject.write_text(
        "[tool.poetry.dev-dependencies]\npytest = '*'\n"
        "[tool.poetry.group.lint.dependencies]\nruff = '*'\n"
    )
    assert poetry_groups(tmp_path) == ["dev", "lint"]


def test_a_missing_module_names_the_setting_to_fix() -> None:
    built = Environment("uv", Path("/env"), "the uv.lock environment of backend/")
    output = (
        "E   ModuleNotFoundError: No module named 'sqlalchemy.orm'\n"
        "x.py:1: error: Cannot find implementation or library stub for module"
        ' named \\"redis\\"'
    )
    assert missing_modules(output) == ["sqlalchemy", "redis"]
    assert missing_module_hint(output, built) == (
        "No modules named 'sqlalchemy', 'redis' in the uv.lock environment of"
        " backend/: if the repository declares it, name its extra or group in the"
        " CI workflow's install line, or set `install`"
    )
    bundled = Environment("bundled", None, "bundled tools")
    assert "set `install`" in missing_module_hint("No module named 'x'", bundled)
    assert missing_module_hint("1 passed", built) == ""


def test_hatch_envs_unless_the_ci_installs_the_extras_with_pip(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "lib"\nversion = "0"\n'
        '[project.optional-dependencies]\ntest = ["iniconfig"]\n'
        '[tool.hatch.envs.dev_py_3_11]\nfeatures = ["test"]\n'
    )
    assert is_hatch_project(tmp_path, tmp_path)
    _workflow(tmp_path, "steps:\n  - run: pip install -e '.[test,graph]'\n")
    assert not is_hatch_project(tmp_path, tmp_path)
    _workflow(tmp_path, "steps:\n  - run: hatch run dev_py_3_11:test\n", "h.yml")
    assert is_hatch_project(tmp_path, tmp_path)


def test_uvs_cause_follows_its_error_line() -> None:
    log = (
        "error: No solution found when resolving dependencies\n"
        "  cause: Because the current Python version (3.11.7) does not satisfy"
        " Python>=3.12, fief-server cannot be used.\n"
        "         And because ... unsatisfiable.\n"
    )
    assert first_error_line(log) == (
        "error: No solution found when resolving dependencies: Because the current"
        " Python version (3.11.7) does not satisfy Python>=3.12, fief-server cannot"
        " be used."
    )


def test_a_built_environment_asks_for_the_python_the_project_requires(
    tmp_path: Path,
) -> None:
    project = Project(".", tmp_path)
    assert python_request(project) == ""
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "p"\nrequires-python = ">=3.12"\n'
    )
    assert python_request(project) == ">=3.12"
    (tmp_path / ".python-version").write_text("3.11\n")
    assert python_request(project) == "3.11"
    (tmp_path / ".python-version").write_text("--index-url=x\n")
    assert python_request(project) == ""


def test_an_exception_group_traceback_inside_a_build_log() -> None:
    log = (
        'The "poetry.dev-dependencies" section is deprecated.\n'
        "  + Exception Group Traceback (most recent call last):\n"
        "  | Traceback (most recent call last):\n"
        '  |   File "<string>", line 204, in get_source_files\n'
        "  |     self.filelist.extend(build_ext.get_source_files())\n"
        "  | AttributeError: 'build_ext' object has no attribute 'cython_sources'\n"
        "Note: This error originates from the build backend\n"
    )
    assert first_error_line(log) == (
        "AttributeError: 'build_ext' object has no attribute 'cython_sources'"
    )
