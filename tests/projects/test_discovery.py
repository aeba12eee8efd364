"""Which project a changed file belongs to, and what each project's config says."""

from __future__ import annotations

from pathlib import Path

import pytest

from pattern_review.checks.schedule import merge_outcomes, project_contexts
from pattern_review.commands.monorepo import only_under, subfolder
from pattern_review.config import ConfigError, load_config, project_config
from pattern_review.models import ChangedFile, ReviewTarget
from pattern_review.projects.discovery import (
    Project,
    assign,
    discover,
    is_uv_project,
    uv_lock,
)
from pattern_review.projects.per_project import label_findings, with_projects
from tests.check_context import check_context
from tests.gitrepo import GitRepo


def _touch(root: Path, *paths: str) -> None:
    for rel in paths:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("")


def _target(repo: Path, *paths: str) -> ReviewTarget:
    files = tuple(
        ChangedFile(path=p, status="modified", added_lines=frozenset({1}))
        for p in paths
    )
    return ReviewTarget(repo=repo, base="0" * 40, head="1" * 40, files=files)


def test_a_file_belongs_to_its_nearest_project(tmp_path: Path) -> None:
    _touch(
        tmp_path,
        "pyproject.toml",
        "backend/pyproject.toml",
        "worker/requirements-dev.txt",
        "service/setup.cfg",
        "docs/conf.py",
    )
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy/setup.py").write_text(
        "from setuptools import setup\n\nsetup(name='legacy')\n"
    )
    assert discover(tmp_path, "backend/app/api/routes.py") == "backend"
    assert discover(tmp_path, "worker/tasks.py") == "worker"
    assert discover(tmp_path, "service/x/y.py") == "service"
    assert discover(tmp_path, "legacy/pkg/mod.py") == "legacy"
    assert discover(tmp_path, "docs/conf.py") == "."  # no marker: the root
    assert discover(tmp_path, "setup.py") == "."


@pytest.mark.parametrize("ini", ["pytest.ini", "mypy.ini", "tox.ini"])
def test_a_folder_with_only_a_tools_ini_belongs_to_the_enclosing_project(
    tmp_path: Path, ini: str
) -> None:
    _touch(tmp_path, "pyproject.toml", f"tests/{ini}")
    assert discover(tmp_path, "tests/test_api.py") == "."


def test_a_module_named_setup_py_is_not_a_setup_script(tmp_path: Path) -> None:
    _touch(tmp_path, "pyproject.toml")
    memory = tmp_path / "mem0" / "memory"
    memory.mkdir(parents=True)
    # A package's own setup step: no setuptools, and no call of setup().
    (memory / "setup.py").write_text(
        "import os\n\n\ndef setup_config():\n    os.makedirs('x', exist_ok=True)\n"
    )
    assert discover(tmp_path, "mem0/memory/main.py") == "."
    (memory / "setup.py").write_text(
        "import setuptools\n\nsetuptools.setup(name='memory')\n"
    )
    assert discover(tmp_path, "mem0/memory/main.py") == "mem0/memory"


def test_a_repository_without_markers_is_one_project_at_its_root(
    tmp_path: Path,
) -> None:
    _touch(tmp_path, "app/main.py")
    assert assign(tmp_path, ["app/main.py", "x.py"]) == {
        "app/main.py": ".",
        "x.py": ".",
    }


def test_a_uv_workspace_member_is_a_project_synced_from_the_workspace_lock(
    tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.uv.workspace]\nmembers = ["packages/*"]\nexclude = ["packages/own"]\n'
    )
    _touch(
        tmp_path,
        "uv.lock",
        "packages/core/pyproject.toml",
        "packages/own/pyproject.toml",
    )
    assert discover(tmp_path, "packages/core/src/core/x.py") == "packages/core"
    assert uv_lock(tmp_path, "packages/core") == tmp_path / "uv.lock"
    assert uv_lock(tmp_path, "packages/own") is None  # excluded from it
    assert uv_lock(tmp_path, ".") == tmp_path / "uv.lock"


def test_uv_project_detection(tmp_path: Path) -> None:
    assert not is_uv_project(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert not is_uv_project(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.uv]\npackage = false\n")
    assert is_uv_project(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.uv\n")  # broken TOML
    assert not is_uv_project(tmp_path)
    (tmp_path / "uv.lock").write_text("version = 1\n")
    assert is_uv_project(tmp_path)


def test_the_projects_setting_replaces_discovery(tmp_path: Path) -> None:
    _touch(tmp_path, "services/a/pyproject.toml", "services/b/main.py", "lib/x.py")
    (tmp_path / "lib" / "sub").mkdir()
    paths = ["services/a/app.py", "services/b/main.py", "lib/sub/y.py", "top.py"]
    assert assign(tmp_path, paths, ["services/*", "lib/"]) == {
        "services/a/app.py": "services/a",
        "services/b/main.py": "services/b",
        "lib/sub/y.py": "lib",
        "top.py": ".",
    }


def test_project_paths_convert_both_ways(tmp_path: Path) -> None:
    backend = Project("backend", tmp_path / "backend")
    assert backend.relative("backend/app/x.py") == "app/x.py"
    assert backend.to_repo("./app/x.py") == "backend/app/x.py"
    assert backend.label == "backend/"
    root = Project(".", tmp_path)
    assert (root.relative("a.py"), root.to_repo("a.py")) == ("a.py", "a.py")


def test_a_projects_own_table_overrides_the_roots_but_not_the_flags(
    tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pattern-review]\nfail-on = "warning"\nignore = ["E501"]\n'
    )
    backend = tmp_path / "backend"
    backend.mkdir()
    (backend / "pyproject.toml").write_text(
        '[tool.pattern-review]\nignore = ["D"]\nfilter-mode = "file"\n'
        'projects = ["elsewhere"]\n'
    )
    root = load_config(tmp_path, overrides={"filter_mode": "nofilter"})

    own = project_config(root, backend)

    assert own.ignore == ["D"]
    assert own.fail_on == "warning"  # from the root
    assert own.filter_mode == "nofilter"  # the flag wins
    assert own.projects is None  # the repository's alone
    assert project_config(root, tmp_path / "nowhere") is root


def test_a_bad_project_table_is_a_config_error_naming_the_file(
    tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pattern-review]\njobs = -1\n")
    with pytest.raises(ConfigError, match=r"pyproject.toml \[tool.pattern-review\]"):
        project_config(load_config(tmp_path / "missing"), tmp_path)


def test_one_context_per_touched_project_with_its_own_cache(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("backend/pyproject.toml", '[tool.pattern-review]\nignore = ["D"]\n')
    git_repo.write("api/requirements.txt", "fastapi\n")
    target = with_projects(
        _target(git_repo.path, "backend/a.py", "api/b.py", "api/README.md", "c.py"),
        None,
    )
    context = check_context(git_repo, tmp_path)
    context = type(context)(target, context.config, context.cache_dir)

    contexts = project_contexts(context)

    assert [c.where.path for c in contexts] == [".", "api", "backend"]
    assert [c.python_paths for c in contexts] == [
        ["c.py"],
        ["api/b.py"],
        ["backend/a.py"],
    ]
    assert contexts[2].tool_paths == ["a.py"]
    assert contexts[2].config.ignore == ["D"]
    assert contexts[0].config.ignore == []
    assert contexts[0].cache_dir == context.cache_dir
    assert len({c.cache_dir for c in contexts}) == 3


def test_outcomes_merge_into_one_result_per_check(tmp_path: Path) -> None:
    from pattern_review.models import CheckOutcome, CheckResult, Finding

    found = Finding(
        rule="E501",
        pattern="style-rules#4",
        source="ruff",
        severity="error",
        path="api/b.py",
        line=1,
        message="long",
    )
    merged = merge_outcomes(
        "mypy",
        [
            (
                Project("api", tmp_path),
                CheckOutcome(
                    result=CheckResult(name="mypy", status="failed", detail="1 error"),
                    findings=[found],
                ),
            ),
            (
                Project("broken", tmp_path),
                CheckOutcome(
                    result=CheckResult(
                        name="mypy", status="error", detail="env", output="boom"
                    )
                ),
            ),
        ],
    )
    assert merged.result.status == "error"
    assert merged.result.detail == "api/: 1 error; broken/: env"
    assert merged.result.output == "--- broken/\nboom"
    assert merged.findings == [found]
    assert (
        label_findings([found], with_projects(_target(tmp_path, "api/b.py"), None))[
            0
        ].project
        == "."
    )


def test_repo_dir_narrows_the_change_to_that_folder(tmp_path: Path) -> None:
    target = _target(tmp_path, "backend/a.py", "frontend/b.ts", "backendx/c.py")
    assert subfolder(tmp_path, tmp_path / "backend") == "backend"
    assert subfolder(tmp_path, tmp_path) is None
    narrowed, left_out = only_under(target, "backend")
    assert [f.path for f in narrowed.files] == ["backend/a.py"]
    assert left_out == 2


def test_the_agent_file_nearest_the_project_wins(tmp_path: Path) -> None:
    from pattern_review.rulebook.agent_file import find_agent_file
    from tests.conftest import SEED_AGENT_FILE

    seed = SEED_AGENT_FILE.read_text(encoding="utf-8")
    (tmp_path / ".claude/agents").mkdir(parents=True)
    (tmp_path / ".claude/agents/root.md").write_text(seed)
    backend = tmp_path / "backend"
    (backend / "app").mkdir(parents=True)
    assert find_agent_file(tmp_path, None, backend / "app").path == (
        ".claude/agents/root.md"
    )
    (backend / ".claude/agents").mkdir(parents=True)
    (backend / ".claude/agents/notes.md").write_text("# Notes\n\nNo checklist.\n")
    (backend / ".claude/agents/backend-developer.md").write_text(seed)
    assert find_agent_file(tmp_path, None, backend / "app").path == (
        "backend/.claude/agents/backend-developer.md"
    )
    assert find_agent_file(tmp_path).path == ".claude/agents/root.md"


def test_a_projects_own_ignore_list_applies_to_its_files_only(
    git_repo: GitRepo,
) -> None:
    from tests.cli import review_json

    git_repo.write(
        "backend/pyproject.toml", '[tool.pattern-review]\nignore = ["F401"]\n'
    )
    git_repo.write("api/requirements.txt", "fastapi\n")
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "change")
    for folder in ("backend", "api"):
        git_repo.write(f"{folder}/mod.py", '"""Mod."""\n\nimport os\n')
    git_repo.commit()

    _, report = review_json(git_repo, "--checks", "ruff")

    f401 = {
        (f["path"], f["project"]) for f in report["findings"] if f["rule"] == "F401"
    }
    assert f401 == {("api/mod.py", "api")}


def test_a_project_may_leave_checks_out(git_repo: GitRepo) -> None:
    from tests.cli import review_json

    git_repo.write(
        "docs_site/pyproject.toml", '[tool.pattern-review]\nchecks = ["ruff"]\n'
    )
    git_repo.write(
        "pyproject.toml", '[tool.pattern-review]\nchecks = ["ruff", "conventions"]\n'
    )
    git_repo.write("api/requirements.txt", "fastapi\n")
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "change")
    for folder in ("docs_site", "api"):
        git_repo.write(f"{folder}/mod.py", "def f(x):\n    return x\n")
    git_repo.commit()

    _, report = review_json(git_repo)

    detail = {c["name"]: c["detail"] for c in report["checks"]}["conventions"]
    assert "; api/: 1 file(s)" in detail
    assert detail.endswith("; docs_site/: left out by the project's checks")
    assert {f["project"] for f in report["findings"] if f["source"] == "ruff"} == {
        "api",
        "docs_site",
    }
