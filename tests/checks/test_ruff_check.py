"""The ruff check: the target's lint plus the agent file's style rules, read-only."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from pattern_review.checks import ruff_check
from pattern_review.config import Config
from pattern_review.context import CheckContext
from pattern_review.projects.process import Deadline, ReviewBudgetError
from pattern_review.projects.ruff_version import bundled_version
from pattern_review.rulebook.agent_file import parse_agent_file
from pattern_review.rulebook.catalog import RUFF_STYLE_SELECT
from tests.check_context import check_context, tree_state
from tests.conftest import SEED_AGENT_FILE
from tests.gitrepo import GitRepo

# The ruff that runs where a project pins none, as the detail names it.
UNPINNED = f"bundled ruff {bundled_version()}, the project pins none"


def _context_added(
    repo: GitRepo, tmp_path: Path, *paths: str, config: Config | None = None
) -> CheckContext:
    return check_context(repo, tmp_path, *paths, config=config, status="added")


SEED_FILES = {
    "router-pattern": "src/app/routers/resources.py",
    "schema-pattern": "src/app/schemas/resource.py",
    "model-pattern": "src/app/models/resource.py",
    "service-pattern": "src/app/services/resource_service.py",
    "celery-task-pattern": "src/app/tasks/sync.py",
}
PYPROJECT = """\
[project]
name = "app"
version = "0.1.0"
requires-python = ">=3.12"
"""


def test_seed_code_blocks_give_no_findings(git_repo: GitRepo, tmp_path: Path) -> None:
    agent = parse_agent_file(SEED_AGENT_FILE.read_text(), "backend-developer.md")
    git_repo.write("pyproject.toml", PYPROJECT)
    for package in ("", "/routers", "/schemas", "/models", "/services", "/tasks"):
        git_repo.write(f"src/app{package}/__init__.py", "")
    for slug, path in SEED_FILES.items():
        section = agent.section(slug)
        assert section is not None and section.code_blocks, slug
        git_repo.write(path, section.code_blocks[0], dedent=False)
    git_repo.commit("seed")

    outcome = ruff_check.run(_context_added(git_repo, tmp_path, *SEED_FILES.values()))

    assert [(f.rule, f.path, f.line) for f in outcome.findings] == []
    assert outcome.result.status == "passed"
    assert outcome.result.detail == f"no violations ({UNPINNED})"


def test_style_rules_apply_without_target_config(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write(
        "src/app/util.py",
        '''\
        from typing import List, Optional


        def first(items: List[int]) -> Optional[int]:
            return items[0] if items else None


        def greet(name):
            """Say hello."""
            return "hi %s" % name
        ''',
    )
    git_repo.commit()
    before = tree_state(git_repo)

    outcome = ruff_check.run(_context_added(git_repo, tmp_path, "src/app/util.py"))

    got = {(f.rule, f.line, f.pattern, f.severity) for f in outcome.findings}
    assert got == {
        ("I002", 1, "style-rules#1", "error"),
        ("UP035", 1, "style-rules#10", "error"),
        ("UP006", 4, "style-rules#10", "error"),
        ("UP045", 4, "style-rules#9", "error"),
        ("D103", 4, "style-rules#3", "warning"),
        ("ANN201", 8, "style-rules#2", "error"),
        ("ANN001", 8, "style-rules#2", "error"),
        ("UP031", 10, "style-rules#5", "error"),
    }
    assert all(
        f.source == "ruff" and f.path == "src/app/util.py" for f in outcome.findings
    )
    assert outcome.result.status == "failed"
    assert outcome.result.detail == f"8 violation(s) ({UNPINNED})"
    assert tree_state(git_repo) == before
    assert not list(git_repo.path.rglob(".ruff_cache"))


def test_safe_fix_within_the_finding_lines_becomes_the_suggestion(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write(
        "app/mod.py",
        '''\
        """Module."""

        from __future__ import annotations

        import os
        import sys


        def name() -> str:
            """Return the platform."""
            return sys.platform
        ''',
    )
    git_repo.commit()

    outcome = ruff_check.run(_context_added(git_repo, tmp_path, "app/mod.py"))

    unused = [f for f in outcome.findings if f.rule == "F401"]
    assert len(unused) == 1
    assert (unused[0].line, unused[0].end_line, unused[0].column) == (5, 5, 8)
    assert unused[0].pattern == "completion-checklist"
    assert unused[0].suggestion == ""  # the whole line goes
    assert "app/mod.py" in {f.path for f in outcome.findings}


def test_import_sorting_suggestion_rewrites_the_block(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write(
        "app/mod.py",
        '''\
        """Module."""

        from __future__ import annotations

        import sys
        import os
        x = os.sep + sys.platform
        ''',
    )
    git_repo.commit()

    outcome = ruff_check.run(_context_added(git_repo, tmp_path, "app/mod.py"))

    unsorted = [f for f in outcome.findings if f.rule == "I001"]
    assert [(f.line, f.end_line, f.pattern) for f in unsorted] == [
        (3, 6, "style-rules#11")
    ]
    assert unsorted[0].suggestion == (
        "from __future__ import annotations\n\nimport os\nimport sys\n\n"
    )


def _fix(
    applicability: str, start: tuple[int, int], end: tuple[int, int]
) -> dict[str, object]:
    # The shape of the ``fix`` object in ruff's JSON output.
    return {
        "applicability": applicability,
        "message": "Fix it",
        "edits": [
            {
                "content": "X",
                "location": {"row": start[0], "column": start[1]},
                "end_location": {"row": end[0], "column": end[1]},
            }
        ],
    }


def test_safe_fix_only_within_the_finding_lines(tmp_path: Path) -> None:
    source = tmp_path / "mod.py"
    source.write_text("a = 1\nb = 2\nc = 3\n")

    assert ruff_check.safe_fix(_fix("safe", (2, 5), (2, 6)), source, 2, 2) == (
        "b = X\n"
    )
    assert ruff_check.safe_fix(_fix("safe", (2, 1), (3, 1)), source, 2, 2) == "X"
    assert ruff_check.safe_fix(_fix("safe", (2, 1), (3, 2)), source, 2, 2) is None
    assert ruff_check.safe_fix(_fix("safe", (1, 1), (2, 1)), source, 2, 2) is None
    assert ruff_check.safe_fix(_fix("unsafe", (2, 5), (2, 6)), source, 2, 2) is None
    assert ruff_check.safe_fix(None, source, 2, 2) is None


def test_ann001_on_bound_task_self_is_dropped_but_other_params_kept(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write(
        "app/tasks.py",
        '''\
        """Tasks."""

        from __future__ import annotations


        def bound(self, resource_id) -> None:
            """Run bound to its task."""
        ''',
    )
    git_repo.commit()

    outcome = ruff_check.run(_context_added(git_repo, tmp_path, "app/tasks.py"))

    assert [(f.rule, f.line, f.message) for f in outcome.findings] == [
        (
            "ANN001",
            6,
            "Missing type annotation for function argument `resource_id`",
        )
    ]


def test_target_config_still_applies(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write(
        "pyproject.toml",
        """\
        [tool.ruff.lint]
        extend-select = ["B"]
        """,
    )
    git_repo.write(
        "app/mod.py",
        '''\
        """Module."""

        from __future__ import annotations


        def append(item: int, into: list[int] = []) -> list[int]:
            """Append."""
            into.append(item)
            return into
        ''',
    )
    git_repo.commit()

    outcome = ruff_check.run(_context_added(git_repo, tmp_path, "app/mod.py"))

    assert [(f.rule, f.line, f.pattern) for f in outcome.findings] == [
        ("B006", 6, "completion-checklist")
    ]


def test_syntax_error_is_a_finding(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write("app/bad.py", "def broken(:\n    pass\n", dedent=False)
    git_repo.commit()

    outcome = ruff_check.run(_context_added(git_repo, tmp_path, "app/bad.py"))

    assert outcome.result.status == "failed"
    assert outcome.findings[0].rule == "invalid-syntax"
    assert (outcome.findings[0].path, outcome.findings[0].line) == ("app/bad.py", 1)


def test_no_python_files_passes_without_running(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    outcome = ruff_check.run(_context_added(git_repo, tmp_path))
    assert outcome.result.status == "passed"
    assert outcome.findings == []


def test_the_reviews_budget_is_a_check_error(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write("app/mod.py", "x = 1\n", dedent=False)
    git_repo.commit()
    ctx = replace(
        _context_added(git_repo, tmp_path, "app/mod.py"), deadline=Deadline.start(0)
    )
    with pytest.raises(ReviewBudgetError, match="review's 0 s budget ran out"):
        ruff_check.run(ctx)


def test_findings_against_the_agent_file_are_dropped(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write(
        "pyproject.toml",
        """\
        [tool.ruff.lint]
        select = ["B008", "BLE001"]
        """,
    )
    git_repo.write(
        "app/routes.py",
        '''\
        """Routes."""

        from __future__ import annotations

        from fastapi import Depends


        def get_db() -> list[int]:
            """Return a session."""
            return [1]


        def handler(db: list[int] = Depends(get_db), more: list[int] = get_db()) -> int:
            """Handle."""
            try:
                return len(db + more)
            except Exception:
                return 0
        ''',
    )
    git_repo.commit()

    outcome = ruff_check.run(_context_added(git_repo, tmp_path, "app/routes.py"))

    # Depends() is the Router Pattern; BLE001 is left to convention rule ERR002.
    assert [(f.rule, f.line, f.column) for f in outcome.findings] == [("B008", 13, 64)]


def test_code_unknown_to_the_targets_ruff_is_dropped_and_said(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stands in for a target whose older ruff lacks a newer code of ours.
    selection = (*RUFF_STYLE_SELECT, "XYZ999")
    monkeypatch.setattr(ruff_check, "RUFF_STYLE_SELECT", selection)
    git_repo.write("app/mod.py", "from typing import List\n", dedent=False)
    git_repo.commit()

    outcome = ruff_check.run(_context_added(git_repo, tmp_path, "app/mod.py"))

    assert {f.rule for f in outcome.findings} >= {"I002", "UP035", "F401"}
    assert outcome.result.detail.endswith("; this ruff lacks XYZ999)")


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv not on PATH")
def test_uv_project_without_ruff_falls_back_and_says_so(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write(
        "pyproject.toml",
        """\
        [project]
        name = "target"
        version = "0.1.0"
        requires-python = ">=3.11"
        dependencies = []

        [tool.uv]
        package = false
        """,
    )
    subprocess.run(
        ["uv", "lock", "--offline", "--quiet"], cwd=git_repo.path, check=True
    )
    git_repo.write("app/mod.py", "from typing import List\n", dedent=False)
    git_repo.commit()
    before = tree_state(git_repo)

    outcome = ruff_check.run(_context_added(git_repo, tmp_path, "app/mod.py"))

    # ruff never needs the project's environment: none was synced for it.
    assert outcome.result.detail == f"3 violation(s) ({UNPINNED})"
    assert not (tmp_path / "cache" / "uv-env").exists()
    assert tree_state(git_repo) == before


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv not on PATH")
def test_a_pinned_ruff_before_0_2_leaves_linting_to_ours_with_every_code(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    # ruff 0.1.9 knows no UP045 (Optional[X]) and cannot take the review's
    # --config options: ours lints, every style code included.
    git_repo.write("requirements.txt", "ruff==0.1.9\n")
    git_repo.write(
        "app/mod.py",
        """\
        from __future__ import annotations

        from typing import Optional


        def get(value: Optional[int]) -> int:
            \"\"\"Return the value.\"\"\"
            return value or 0
        """,
    )
    git_repo.commit()

    outcome = ruff_check.run(_context_added(git_repo, tmp_path, "app/mod.py"))

    if "could not be run" in outcome.result.detail:
        pytest.skip(f"the registry is not reachable: {outcome.result.detail}")
    assert {f.rule for f in outcome.findings} == {"UP045"}
    assert "lacks" not in outcome.result.detail
    assert "ruff 0.1.9 (pinned in requirements.txt) cannot take" in (
        outcome.result.detail
    )


RULE_CODES = re.compile(r"^\S+:\d+:\d+: ([A-Z]+\d+)", re.MULTILINE)
# What ``alembic revision --autogenerate`` writes (Alembic 1.13's template).
ALEMBIC_REVISION = '''\
"""add item count

Revision ID: 1a2b3c4d5e6f
Revises: 0f9e8d7c6b5a
Create Date: 2026-12-01 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "1a2b3c4d5e6f"
down_revision: Union[str, None] = "0f9e8d7c6b5a"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.add_column("item", sa.Column("count", sa.Integer(), nullable=True))
    # ### end Alembic commands ###


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.drop_column("item", "count")
    # ### end Alembic commands ###
'''


def test_a_migration_gets_the_projects_own_rules_not_the_style_rules(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write(
        "pyproject.toml", PYPROJECT + '[tool.ruff.lint]\nextend-select = ["E501"]\n'
    )
    migration = "alembic/versions/1a2b3c4d5e6f_add_item_count.py"
    plain = "src/app/revision.py"
    long_line = f"# {'x' * 100}\n"
    git_repo.write(migration, ALEMBIC_REVISION + long_line, dedent=False)
    # The same code without Alembic's ``upgrade()`` is no revision.
    application = ALEMBIC_REVISION.replace("def upgrade()", "def apply()")
    git_repo.write(plain, application + long_line, dedent=False)
    git_repo.commit("a revision, and the same code as application code")

    outcome = ruff_check.run(_context_added(git_repo, tmp_path, migration, plain))

    found = {(f.path, f.rule) for f in outcome.findings}
    # The migration gets what the project's own ``ruff check`` reports ...
    own = subprocess.run(
        ["ruff", "check", "--no-cache", "--output-format", "concise", migration],
        cwd=git_repo.path, capture_output=True, text=True, check=False,
    ).stdout  # fmt: skip
    in_migration = {rule for path, rule in found if path == migration}
    assert "E501" in in_migration
    assert in_migration == {rule for rule in RULE_CODES.findall(own)}
    # ... not the style rules Alembic's template breaks, which application
    # code gets.
    assert {(plain, "I002"), (plain, "D103")} <= found
    assert not {"I002", "D103"} & in_migration
    assert "1 migration(s) with the project's own rules only" in outcome.result.detail


def test_a_revision_outside_the_migration_globs_is_known_by_its_header(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("pyproject.toml", PYPROJECT)
    # Where Netflix/dispatch keeps its revisions: no ``alembic/`` or
    # ``migrations/`` in the path.
    revision = "src/app/database/revisions/tenant/versions/2025_1a2b3c4d5e6f.py"
    git_repo.write(revision, ALEMBIC_REVISION, dedent=False)
    git_repo.commit("a revision")

    outcome = ruff_check.run(_context_added(git_repo, tmp_path, revision))

    rules = {f.rule for f in outcome.findings}
    assert not {"I002", "D103"} & rules
    assert "1 migration(s) with the project's own rules only" in outcome.result.detail
