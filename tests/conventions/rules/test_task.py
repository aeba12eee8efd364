"""Celery task rules TSK001-TSK004 beyond their own examples.

Run through the real engine: the seed's task is clean (as a task and by
detected roles), each seeded violation of it is reported by exactly one rule
(a swallowed ``except Exception`` in a task is TSK003's, not also ERR002's),
and plain functions of a task module are not tasks.
"""

from __future__ import annotations

import libcst as cst
import pytest

from pattern_review.config import Role
from pattern_review.conventions.rules.task import task_decorator
from pattern_review.models import Finding
from tests.conventions.rules.family import lint_as, seed_code

TASK_PATH = "src/app/tasks/sync.py"


def _seed_task() -> str:
    return seed_code("celery-task-pattern")


def _lint(
    code: str, *, role: Role | None = "task", path: str = TASK_PATH
) -> list[Finding]:
    return lint_as(code, role, path)


def test_seed_task_is_clean_as_task_and_by_detected_roles() -> None:
    assert _lint(_seed_task()) == []
    assert _lint(_seed_task(), role=None) == []
    assert _lint(_seed_task(), role=None, path="worker/jobs.py") == []


@pytest.mark.parametrize(
    ("before", "after", "rule", "line"),
    [
        (
            "@shared_task(bind=True, max_retries=3, default_retry_delay=60)",
            "@celery_app.task(bind=True, max_retries=3, default_retry_delay=60)",
            "TSK001",
            6,
        ),
        ("max_retries=3, ", "", "TSK002", 6),
        ("raise self.retry(exc=exc)", "return {'status': 'failed'}", "TSK003", 19),
        ("raise self.retry(exc=exc)", "self.retry(exc=exc)", "TSK003", 20),
        (
            "    Args:\n        resource_id: The resource ID to sync.\n\n",
            "",
            "TSK004",
            7,
        ),
    ],
)
def test_each_seeded_violation_of_the_seed_task_gives_one_finding(
    before: str, after: str, rule: str, line: int
) -> None:
    code = _seed_task()
    assert before in code
    findings = _lint(code.replace(before, after, 1))
    assert [(f.rule, f.line, f.pattern) for f in findings] == [
        (rule, line, "celery-task-pattern")
    ]


def test_retry_without_raise_gets_the_raise_put_back() -> None:
    code = _seed_task().replace("raise self.retry(exc=exc)", "self.retry(exc=exc)")
    (finding,) = _lint(code)
    assert finding.suggestion == "        raise self.retry(exc=exc)"


def test_plain_functions_in_a_task_module_are_not_tasks() -> None:
    code = """\
    def normalise(payload: dict[str, object]) -> dict[str, object]:
        try:
            return dict(payload)
        except TypeError:
            return {}
    """
    assert _lint(code) == []


def test_task_without_docstring_is_left_to_ruff() -> None:
    code = """\
    @shared_task(bind=True, max_retries=3, default_retry_delay=60)
    def sync(self, item_id: int) -> dict[str, int]:
        return {"id": item_id}
    """
    assert _lint(code) == []


@pytest.mark.parametrize(
    ("decorator", "is_task"),
    [
        ("@shared_task", True),
        ("@shared_task(bind=True)", True),
        ("@app.task", True),
        ("@celery.app.task(name='x')", True),
        ("@router.get('/')", False),
        ("@functools.cache", False),
    ],
)
def test_task_decorator_recognises_celery_registrations(
    decorator: str, is_task: bool
) -> None:
    module = cst.parse_module(f"{decorator}\ndef f() -> None:\n    pass\n")
    (function,) = module.body
    assert isinstance(function, cst.FunctionDef)
    assert (task_decorator(function) is not None) is is_task
