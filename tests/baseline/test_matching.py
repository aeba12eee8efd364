"""Introduced means new: findings the base version already had are not the PR's.

Each case is a real temporary git repository reviewed by the real CLI
(ruff, the formatter and the convention engine on head and on base).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.generate import generate
from pattern_review.baseline.matching import (
    flagged_code,
    normalize,
    shape_of,
    unmatched,
)
from pattern_review.config import Config
from pattern_review.models import Finding
from pattern_review.review import run_review
from pattern_review.rulebook.agent_file import builtin_agent_file
from pattern_review.target import build_target
from tests.cli import review_cli, review_json
from tests.gitrepo import GitRepo

CHECKS = ("--checks", "ruff-format,ruff,conventions")

SERVICE = '''\
"""Items."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def sync_items(names: list[str]) -> int:
    """Sync the items."""
    count = 0
    try:
        count = len(names)
    except Exception:
        pass
    return count
'''

ROUTER = '''\
"""Item routes."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from app.database import get_db
from app.services.item_service import ItemService

router = APIRouter(prefix="/items", tags=["items"])


@router.get(
    "/{item_id}",
    summary="Read an item",
)
async def read_item(item_id: int, db: AsyncSession = Depends(get_db)):  # noqa: ANN201
    """Read one item."""
    return await ItemService(db).get(item_id)
'''


def _repo(git_repo: GitRepo, files: dict[str, str]) -> GitRepo:
    for path, text in files.items():
        git_repo.write(path, text, dedent=False)
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "feature")
    return git_repo


def _findings(report: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(f["rule"], f["path"], f["line"]) for f in report["findings"]]


def test_an_except_whose_body_alone_changed_is_not_blamed(git_repo: GitRepo) -> None:
    repo = _repo(git_repo, {"app/services/sync.py": SERVICE})
    repo.write(
        "app/services/sync.py",
        SERVICE.replace("        pass\n", '        logger.exception("sync failed")\n'),
        dedent=False,
    )
    repo.commit("log the failure")

    _, added = review_json(repo, *CHECKS)
    _, whole = review_json(repo, *CHECKS, "--filter-mode", "file")

    assert [f for f in _findings(added) if f[0] == "ERR002"] == []
    listed = [f for f in whole["findings"] if f["rule"] == "ERR002"]
    assert [(f["line"], f["introduced"]) for f in listed] == [(15, False)]
    assert added["pre_existing"] >= 1


def test_a_new_except_exception_is_still_reported(git_repo: GitRepo) -> None:
    repo = _repo(git_repo, {"app/services/sync.py": SERVICE})
    repo.write(
        "app/services/sync.py",
        SERVICE
        + '''

def drop_items(names: list[str]) -> int:
    """Drop the items."""
    try:
        return len(names)
    except Exception:
        return 0
''',
        dedent=False,
    )
    repo.commit("add drop")

    _, report = review_json(repo, *CHECKS)

    errors = [f for f in report["findings"] if f["rule"] == "ERR002"]
    assert [(f["line"], f["introduced"]) for f in errors] == [(24, True)]


def test_a_reworded_summary_does_not_blame_the_route_decorator(
    git_repo: GitRepo,
) -> None:
    repo = _repo(git_repo, {"app/routers/items.py": ROUTER})
    repo.write(
        "app/routers/items.py",
        ROUTER.replace('summary="Read an item"', 'summary="Read one item by id"'),
        dedent=False,
    )
    repo.commit("reword")

    _, added = review_json(repo, *CHECKS)
    _, whole = review_json(repo, *CHECKS, "--filter-mode", "file")

    assert not [f for f in _findings(added) if f[0].startswith("RTR")]
    # The decorator still lacks response_model: listed, as pre-existing.
    assert any(
        f["rule"].startswith("RTR") and f["line"] == 14 and not f["introduced"]
        for f in whole["findings"]
    )


def test_a_new_handler_with_an_identical_line_is_new(git_repo: GitRepo) -> None:
    repo = _repo(git_repo, {"app/routers/items.py": ROUTER})
    second = ROUTER.split("\n\n\n")[-1].replace("read_item", "read_item_again")
    repo.write("app/routers/items.py", ROUTER + "\n\n" + second, dedent=False)
    repo.commit("another handler")

    _, report = review_json(repo, *CHECKS, "--filter-mode", "file")

    by_rule: dict[str, list[bool]] = {}
    for finding in report["findings"]:
        if finding["rule"].startswith("RTR"):
            by_rule.setdefault(finding["rule"], []).append(finding["introduced"])
    assert by_rule, report["findings"]
    # Each route rule fires once per handler: the old one's is not new.
    for flags in by_rule.values():
        assert sorted(flags) == [False, True]


def test_reformatted_imports_give_no_finding(git_repo: GitRepo) -> None:
    service = '''\
"""Orders."""

from __future__ import annotations

from fastapi import HTTPException, status


class OrderService:
    """Orders."""

    async def get(self, order_id: int) -> None:
        """Get an order."""
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND)
'''
    repo = _repo(git_repo, {"app/services/order_service.py": service})
    repo.write(
        "app/services/order_service.py",
        service.replace(
            "from fastapi import HTTPException, status\n",
            "from fastapi import (\n    status,\n    HTTPException,\n)\n",
        ),
        dedent=False,
    )
    repo.commit("reformat imports")

    _, added = review_json(repo, *CHECKS)
    _, whole = review_json(repo, *CHECKS, "--filter-mode", "file")

    assert not [f for f in added["findings"] if f["source"] == "convention"]
    assert any(
        f["source"] == "convention" and not f["introduced"] for f in whole["findings"]
    )


def test_code_moved_within_and_between_files_is_not_reported(
    git_repo: GitRepo,
) -> None:
    helpers = '''\
"""Helpers."""

from __future__ import annotations


def first(names: list[str]) -> str:
    """Return the first name."""
    try:
        return names[0]
    except Exception:
        return ""


def last(names: list[str]) -> str:
    """Return the last name."""
    try:
        return names[-1]
    except Exception:
        return ""
'''
    repo = _repo(git_repo, {"app/helpers.py": helpers})
    head, tail = helpers.split("\n\n\ndef last")
    moved = "\n\n\ndef last" + tail
    first_def = head.split("\n\n\n", 1)[1]
    # ``last`` moves to a new module; ``first`` moves below a new function.
    repo.write(
        "app/helpers.py",
        '"""Helpers."""\n\nfrom __future__ import annotations\n\n\n'
        "def count(names: list[str]) -> int:\n"
        '    """Count the names."""\n'
        "    return len(names)\n\n\n" + first_def,
        dedent=False,
    )
    repo.write(
        "app/tail.py",
        '"""Tail."""\n\nfrom __future__ import annotations' + moved,
        dedent=False,
    )
    repo.commit("move")

    _, added = review_json(repo, *CHECKS)
    _, whole = review_json(repo, *CHECKS, "--filter-mode", "file")

    assert [f for f in added["findings"] if f["rule"] == "ERR002"] == []
    moved_errors = [f for f in whole["findings"] if f["rule"] == "ERR002"]
    assert {f["path"] for f in moved_errors} == {"app/helpers.py", "app/tail.py"}
    assert not any(f["introduced"] for f in moved_errors)


def test_a_copy_next_to_the_original_is_new(git_repo: GitRepo) -> None:
    repo = _repo(git_repo, {"app/services/sync.py": SERVICE})
    copy = SERVICE.split("\n\n\n", 1)[1].replace("sync_items", "sync_more")
    repo.write("app/services/sync.py", SERVICE + "\n\n" + copy, dedent=False)
    repo.write("app/services/other.py", '"""Other."""\n' + "\n\n" + copy)
    repo.commit("copies")

    _, report = review_json(repo, *CHECKS)

    errors = sorted(
        (f["path"], f["introduced"])
        for f in report["findings"]
        if f["rule"] == "ERR002"
    )
    assert errors == [("app/services/other.py", True), ("app/services/sync.py", True)]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("from a import (b,\n c,)", "from a import b, c"),
        ('x = f("one")  # note', "x = f('two')"),
        ("call(\n    a,\n    b,\n)", "call(a, b)"),
    ],
)
def test_layout_wording_and_comments_do_not_change_the_flagged_code(
    before: str, after: str
) -> None:
    assert normalize(before) == normalize(after)


@pytest.mark.parametrize(
    ("before", "after"),
    [("x = f(a)", "x = f(b)"), ("except Exception:", "except ValueError:")],
)
def test_code_that_differs_is_told_apart(before: str, after: str) -> None:
    assert normalize(before) != normalize(after)


def test_a_compound_statement_is_compared_by_its_header() -> None:
    source = "try:\n    x = 1\nexcept Exception:\n    pass\n"
    changed = source.replace("pass", "log()")

    assert flagged_code(shape_of(source), 3, 4) == flagged_code(shape_of(changed), 3, 4)
    assert flagged_code(shape_of(source), 3, 4) == "exceptException:"


def test_every_format_counts_the_pre_existing_findings(git_repo: GitRepo) -> None:
    repo = _repo(git_repo, {"app/services/sync.py": SERVICE})
    repo.write(
        "app/services/sync.py",
        SERVICE.replace("        pass\n", '        logger.exception("sync failed")\n'),
        dedent=False,
    )
    repo.commit("log the failure")

    texts = {
        fmt: review_cli(repo, *CHECKS, "--format", fmt).stdout
        for fmt in ("text", "markdown")
    }
    _, report = review_json(repo, *CHECKS)

    count = report["pre_existing"]
    assert count >= 1
    for fmt, text in texts.items():
        assert f"{count} pre-existing finding" in text, fmt


def test_every_planted_violation_of_a_generated_pr_is_still_reported(
    tmp_path: Path,
) -> None:
    # The benchmark's PR extends existing files and adds new ones: the base
    # version of the extended ones is checked too, and must hide none of the
    # planted violations.
    generated = generate(tmp_path / "app", 40, violation_share=1.0, seed=3)
    target = build_target(generated.path, generated.base, generated.head)
    config = Config(checks=["ruff-format", "ruff", "conventions"], runner="direct")

    added = run_review(target, config, builtin_agent_file())

    planted = {(v.path, v.pattern) for v in generated.violations}
    reported = {(f.path, f.pattern) for f in added.findings}
    assert len(planted) >= 20
    assert planted <= reported


def test_sarif_marks_pre_existing_results_unchanged(git_repo: GitRepo) -> None:
    repo = _repo(git_repo, {"app/services/sync.py": SERVICE})
    repo.write(
        "app/services/sync.py",
        SERVICE.replace("        pass\n", '        logger.exception("sync failed")\n'),
        dedent=False,
    )
    repo.commit("log the failure")

    done = review_cli(repo, *CHECKS, "--filter-mode", "file", "--format", "sarif")

    results = json.loads(done.stdout)["runs"][0]["results"]
    states = {r["ruleId"]: r["baselineState"] for r in results}
    assert states["ERR002"] == "unchanged"


def test_an_import_added_to_an_old_unsorted_block_is_not_blamed(
    git_repo: GitRepo,
) -> None:
    old = (
        "import os\nimport json\n\n\n"
        'def f() -> str:\n    """F."""\n    return os.sep + json.dumps(1)\n'
    )
    repo = _repo(git_repo, {"app/util.py": old})
    repo.write(
        "app/util.py",
        "import sys\n" + old.replace("os.sep", "sys.platform + os.sep"),
        dedent=False,
    )
    repo.commit("use sys")

    _, added = review_json(repo, *CHECKS)
    _, whole = review_json(repo, *CHECKS, "--filter-mode", "file")

    # Unsorted and without the future import before too: neither is the PR's.
    assert {f["rule"] for f in added["findings"]} & {"I001", "I002"} == set()
    assert {"I001", "I002"} <= {
        f["rule"] for f in whole["findings"] if not f["introduced"]
    }


def test_a_renamed_file_is_compared_with_its_old_path(git_repo: GitRepo) -> None:
    repo = _repo(git_repo, {"app/services/sync.py": SERVICE})
    repo.git("mv", "app/services/sync.py", "app/services/syncing.py")
    repo.write(
        "app/services/syncing.py",
        SERVICE.replace("        pass\n", '        logger.exception("sync failed")\n'),
        dedent=False,
    )
    repo.commit("rename and log")

    _, report = review_json(repo, *CHECKS, "--filter-mode", "file")

    errors = [f for f in report["findings"] if f["rule"] == "ERR002"]
    assert [(f["path"], f["introduced"]) for f in errors] == [
        ("app/services/syncing.py", False)
    ]


def test_pre_existing_counts_only_where_a_projects_own_mode_hides_them(
    git_repo: GitRepo,
) -> None:
    # The root reviews added lines; lib/ lists whole files. lib/'s old
    # finding is shown, so it is not also counted as "not shown".
    logged = SERVICE.replace("        pass\n", '        logger.exception("failed")\n')
    repo = _repo(
        git_repo,
        {
            "app/services/sync.py": SERVICE,
            "lib/pyproject.toml": '[tool.pattern-review]\nfilter-mode = "file"\n',
            "lib/jobs.py": SERVICE,
        },
    )
    repo.write("app/services/sync.py", logged, dedent=False)
    repo.write("lib/jobs.py", logged, dedent=False)
    repo.commit("log the failures")

    _, report = review_json(repo, "--checks", "conventions")

    shown_old = [f for f in report["findings"] if not f["introduced"]]
    assert {f["path"] for f in shown_old} == {"lib/jobs.py"}
    assert report["pre_existing"] == 1  # app/services/sync.py's, not shown


def _ruff(rule: str, path: str, line: int) -> Finding:
    where = {"path": path, "line": line, "message": f"{rule} here"}
    kind = {"pattern": "completion-checklist", "source": "ruff", "severity": "error"}
    return Finding.model_validate({"rule": rule, **kind, **where})


def test_only_files_whose_rule_the_other_side_has_are_parsed_for_keys() -> None:
    old = "import os\nimport sys\n"
    moved = "def f():\n    import json\n"
    head_sources = {
        "app/old.py": old + "x = 1\n",  # F401 at base too: keyed, matched
        "app/new.py": "import re\n",  # F401, and base has one elsewhere
        "app/other.py": "y  =  2\n" * 3,  # E222: base has none anywhere
        "app/moved.py": moved,  # PLC0415 moved here from a deleted file
    }
    base_sources = {"app/old.py": old, "app/gone.py": moved}
    head = [
        _ruff("F401", "app/old.py", 1),
        _ruff("F401", "app/new.py", 1),
        _ruff("E222", "app/other.py", 2),
        _ruff("PLC0415", "app/moved.py", 2),
    ]
    base = [_ruff("F401", "app/old.py", 1), _ruff("PLC0415", "app/gone.py", 2)]
    shape_of.cache_clear()

    new = unmatched(head, head_sources, base, base_sources, str, lambda _: True)

    assert sorted(head[i].path for i in new) == ["app/new.py", "app/other.py"]
    # Keyed: the two base files, old.py against its base version and moved.py
    # against what base has left over (the same text as gone.py: parsed once).
    # Not parsed: new.py (base's F401 is used up) and other.py (no E222 at base).
    info = shape_of.cache_info()
    assert (info.hits + info.misses, info.misses) == (4, 3)
