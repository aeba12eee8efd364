"""Error-handling rules ERR001-ERR004 beyond their own examples.

Run through the real engine: HTTPException belongs to routers and FastAPI's
web layer, re-raising handlers (Celery's ``raise self.retry``) and bare
``except:`` (ruff's E722) are not ERR002's, library loggers may be named,
and the IntegrityError note stays quiet on the seed's code. One test reviews
a small app from files on disk with ``lint_paths``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pattern_review.config import Config, Role
from pattern_review.conventions.engine import lint_source
from pattern_review.conventions.pool import lint_paths
from pattern_review.conventions.rule import Rule
from pattern_review.conventions.rules.errors import (
    HttpExceptionInRoutersRule,
    IntegrityErrorRule,
    ModuleLoggerRule,
    SpecificExceptionsRule,
)
from pattern_review.models import Finding
from pattern_review.rulebook.agent_file import parse_agent_file
from tests.conftest import SEED_AGENT_FILE


def _lint(
    code: str,
    rule: type[Rule],
    *,
    role: Role = "other",
    path: str = "src/app/module.py",
) -> list[Finding]:
    return lint_source(
        path, textwrap.dedent(code), Config(), roles=frozenset({role}), rules=[rule]
    )


def _where(findings: list[Finding]) -> list[tuple[str, int, int]]:
    return [(f.rule, f.line, f.column) for f in findings]


# ERR001 ------------------------------------------------------------------

HTTP_ONLY = """\
from fastapi import HTTPException


def require(value: str | None) -> str:
    if value is None:
        raise HTTPException(status_code=400)
    return value
"""


@pytest.mark.parametrize(
    ("role", "count"),
    [("router", 0), ("service", 0), ("other", 1), ("model", 1), ("task", 1)],
)
def test_http_exception_is_reported_outside_routers_and_services(
    role: Role, count: int
) -> None:
    assert len(_lint(HTTP_ONLY, HttpExceptionInRoutersRule, role=role)) == count


def test_web_layer_modules_may_raise_http_exception() -> None:
    web = HTTP_ONLY.replace("import HTTPException", "import Depends, HTTPException")
    assert _lint(web, HttpExceptionInRoutersRule) == []
    # A model is never web layer, whatever it imports.
    assert len(_lint(web, HttpExceptionInRoutersRule, role="model")) == 1


# ERR002 ------------------------------------------------------------------


def test_handlers_that_raise_again_are_fine() -> None:
    code = """\
    def a() -> None:
        try:
            run()
        except Exception:
            raise


    def b(self: Task) -> None:
        try:
            run()
        except Exception as exc:
            raise self.retry(exc=exc)


    def c() -> None:
        try:
            run()
        except:
            pass
    """
    assert _lint(code, SpecificExceptionsRule) == []


def test_swallowing_in_a_task_is_reported_by_tsk003_only() -> None:
    code = """\
    @shared_task(bind=True, max_retries=3, default_retry_delay=60)
    def sync(self, item_id: int) -> None:
        try:
            run(item_id)
        except Exception:
            pass


    def helper() -> None:
        try:
            run(0)
        except Exception:
            pass
    """
    findings = lint_source(
        "src/app/tasks/sync.py",
        textwrap.dedent(code),
        Config(),
        roles=frozenset({"task"}),
    )
    assert _where(findings) == [("TSK003", 5, 5), ("ERR002", 12, 5)]


# ERR003 ------------------------------------------------------------------


def test_logger_rule_reports_attribute_loggers_and_every_root_call() -> None:
    code = """\
    import logging


    class Worker:
        def __init__(self) -> None:
            self.log = logging.getLogger("worker")
            self.ok = logging.getLogger(__name__)
            logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
            logging.warning("started")
            logging.exception("failed")
    """
    findings = _lint(code, ModuleLoggerRule)
    assert _where(findings) == [
        ("ERR003", 6, 20),
        ("ERR003", 9, 9),
        ("ERR003", 10, 9),
    ]
    assert all(f.severity == "warning" for f in findings)
    assert findings[1].message == (
        "`logging.warning(...)` logs through the root logger; the error handling "
        "pattern logs with `logging.getLogger(__name__)`."
    )


# ERR004 ------------------------------------------------------------------


def test_integrity_note_is_quiet_on_the_seed_model_and_service_together() -> None:
    agent = parse_agent_file(SEED_AGENT_FILE.read_text(encoding="utf-8"), "seed.md")
    blocks = [
        section.code_blocks[0]
        for section in (
            agent.section("model-pattern"),
            agent.section("service-pattern"),
        )
        if section is not None
    ]
    assert len(blocks) == 2
    together = "\n".join(blocks)
    assert _lint(together, IntegrityErrorRule) == []
    unique = together.replace("String(255))", "String(255), unique=True)", 1)
    assert unique != together
    findings = _lint(unique, IntegrityErrorRule)
    # create() inserts and commits; update() and delete() do not insert.
    assert [(f.rule, f.severity) for f in findings] == [("ERR004", "note")]


# A small app on disk ------------------------------------------------------

APP_FILES = {
    "src/app/tasks/reports.py": """\
        from fastapi import HTTPException


        @shared_task
        def build(report_id: int) -> None:
            if report_id < 0:
                raise HTTPException(status_code=404)
            try:
                render(report_id)
            except Exception:
                pass
        """,
    "src/app/utils.py": """\
        import logging

        log = logging.getLogger("utils")
        default_timeout = 30
        """,
}


def test_lint_paths_reviews_files_from_disk_with_their_detected_roles(
    tmp_path: Path,
) -> None:
    for path, code in APP_FILES.items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(code), encoding="utf-8")
    findings = lint_paths(tmp_path, sorted(APP_FILES), Config())
    assert [(f.path, f.rule, f.line) for f in findings] == [
        ("src/app/tasks/reports.py", "TSK002", 4),
        ("src/app/tasks/reports.py", "ERR001", 7),
        ("src/app/tasks/reports.py", "TSK003", 10),
        ("src/app/utils.py", "ERR003", 3),
        ("src/app/utils.py", "STY008", 4),
    ]
