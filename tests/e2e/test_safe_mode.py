"""What a PR cannot do to a review: run its own code, disarm a check, read secrets.

A PR's tree may hold a ``ruff/__main__.py`` that ``python -m ruff`` would run
from the work tree, and a ruff config that excludes every file. The bundled
tools must run anyway, with the review's own settings in safe mode, and no
tool process may see the run's tokens or the action's inputs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from pattern_review.checks import mypy_check, pytest_check, ruff_check, ruff_format
from pattern_review.config import Config
from pattern_review.context import CheckContext
from pattern_review.models import ChangedFile, ReviewTarget
from pattern_review.projects.process import run_command
from tests.gitrepo import GitRepo

# One unused import (ruff F401), one badly indented line (ruff format) and one
# wrong assignment (mypy) on line 9.
MODULE = """\
\"\"\"Module.\"\"\"

from __future__ import annotations

import os


def f() -> int:
  x: int = "text"
  return x
"""
SECRETS = {
    "GITHUB_TOKEN": "ghs_secret",
    "GH_TOKEN": "ghs_secret",
    "ANTHROPIC_API_KEY": "sk-ant-secret",
    "INPUT_GITHUB-TOKEN": "ghs_secret",
    "INPUT_ANTHROPIC-API-KEY": "sk-ant-secret",
    "INPUT_FAIL-ON": "error",
    "ACTIONS_RUNTIME_TOKEN": "runtime-secret",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc-secret",
    "ACTIONS_ID_TOKEN_REQUEST_URL": "http://127.0.0.1:9/oidc",
}


def _context(repo: GitRepo, tmp_path: Path, *paths: str, safe: bool) -> CheckContext:
    files = tuple(
        ChangedFile(path=p, status="added", added_lines=frozenset({1}), hunks=((1, 9),))
        for p in paths
    )
    target = ReviewTarget(
        repo=repo.path, base="0" * 40, head="1" * 40, files=files, safe_mode=safe
    )
    return CheckContext(target=target, config=Config(), cache_dir=tmp_path / "cache")


@pytest.fixture
def hostile_repo(git_repo: GitRepo, tmp_path: Path) -> GitRepo:
    """A PR tree whose ``ruff`` and ``mypy`` packages would leave a marker."""
    for tool in ("ruff", "mypy"):
        marker = tmp_path / f"ran-{tool}"
        # A regular package: it would win over the installed tool on sys.path.
        git_repo.write(f"{tool}/__init__.py", "")
        git_repo.write(
            f"{tool}/__main__.py",
            f"import pathlib\npathlib.Path({str(marker)!r}).write_text('PR code')\n",
        )
    git_repo.write("app/mod.py", MODULE)
    git_repo.commit()
    return git_repo


@pytest.mark.parametrize("safe", [True, False], ids=["safe-mode", "normal"])
def test_a_prs_tool_packages_never_run(
    hostile_repo: GitRepo, tmp_path: Path, safe: bool
) -> None:
    ctx = _context(hostile_repo, tmp_path, "app/mod.py", safe=safe)

    lint = ruff_check.run(ctx)
    form = ruff_format.run(ctx)
    types = mypy_check.run(ctx)

    assert not (tmp_path / "ran-ruff").exists()
    assert not (tmp_path / "ran-mypy").exists()
    # The real tools ran: each found its violation.
    assert ("F401", 5) in [(f.rule, f.line) for f in lint.findings]
    assert [(f.source, f.line) for f in form.findings] == [("ruff-format", 9)]
    assert ("mypy:assignment", 9) in [(f.rule, f.line) for f in types.findings]


@pytest.mark.parametrize(
    "config_file,config",
    [
        ("ruff.toml", 'extend-exclude = ["*.py"]\n[lint]\nignore = ["ALL"]\n'),
        ("pyproject.toml", '[tool.ruff]\nexclude = ["*"]\nline-length = 200\n'),
    ],
)
def test_in_safe_mode_the_prs_ruff_config_cannot_switch_ruff_off(
    git_repo: GitRepo, tmp_path: Path, config_file: str, config: str
) -> None:
    git_repo.write(config_file, config)
    git_repo.write("app/mod.py", MODULE)
    # 102 characters: too long for 88, short enough for the PR's 200.
    call = ", ".join(f"key{n}={n}" for n in range(11))
    git_repo.write("app/long.py", f'"""M."""\n\nVALUE = dict({call})\n')
    git_repo.commit()
    safe = _context(git_repo, tmp_path, "app/mod.py", "app/long.py", safe=True)

    lint = ruff_check.run(safe)
    form = ruff_format.run(safe)

    assert ("F401", 5) in [(f.rule, f.line) for f in lint.findings]
    assert (lint.result.status, form.result.status) == ("failed", "failed")
    assert sorted((f.path, f.line) for f in form.findings) == [
        ("app/long.py", 3),
        ("app/mod.py", 9),
    ]
    assert "the PR's ruff config is not read" in lint.result.detail
    assert "the PR's ruff config is not read" in form.result.detail


def test_outside_safe_mode_the_targets_ruff_config_applies(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("ruff.toml", 'extend-exclude = ["app/*"]\n')
    git_repo.write("app/mod.py", MODULE)
    git_repo.commit()
    normal = _context(git_repo, tmp_path, "app/mod.py", safe=False)

    lint = ruff_check.run(normal)
    form = ruff_format.run(normal)

    assert (lint.findings, form.findings) == ([], [])
    assert "PR's ruff config" not in lint.result.detail + form.result.detail


def test_a_tool_process_sees_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PATTERN_REVIEW_PROBE", "kept")
    code = "import json, os; print(json.dumps(sorted(os.environ)))"

    run = run_command([sys.executable, "-c", code], tmp_path, 30, {"EXTRA": "x"})

    seen = set(json.loads(run.stdout))
    assert seen.isdisjoint(SECRETS)
    assert {"PATTERN_REVIEW_PROBE", "EXTRA", "PATH"} <= seen


def test_the_targets_tests_see_no_secret(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    git_repo.write("app/__init__.py", "")
    git_repo.write("app/calc.py", "def add(a: int, b: int) -> int:\n    return a + b\n")
    git_repo.write(
        "tests/test_calc.py",
        """\
        import os

        from app.calc import add

        SECRET = {"GITHUB_TOKEN", "GH_TOKEN", "ANTHROPIC_API_KEY"}


        def test_no_secret_in_the_environment() -> None:
            names = set(os.environ)
            assert not {n for n in names if n.startswith(("INPUT_", "ACTIONS_"))}
            assert not names & SECRET
            assert add(1, 2) == 3
        """,
    )
    git_repo.commit()

    outcome = pytest_check.run(_context(git_repo, tmp_path, "app/calc.py", safe=False))

    assert outcome.findings == []
    assert outcome.result.status == "passed"
    assert outcome.result.detail.startswith("1 test(s) in 1 file(s), all passed")
