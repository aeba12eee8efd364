"""Service rules SVC001-SVC006 beyond their own examples.

Run through the real engine: the seed's service is clean under every rule
(also found by path and content), each seeded violation of it is reported by
exactly one rule, classes that are not services are left alone, and the
``exclude_unset=True`` fix is spliced into the whole line.
"""

from __future__ import annotations

import textwrap

import pytest

from pattern_review.config import Config, Role
from pattern_review.conventions.engine import lint_source
from pattern_review.conventions.rules.service import (
    AsyncMethodsRule,
    KeywordOnlyOptionsRule,
    PartialUpdateRule,
)
from pattern_review.models import Finding
from tests.conventions.rules.family import lint_as, seed_code

SERVICE_PATH = "src/app/services/resource_service.py"


def _seed_service() -> str:
    return seed_code("service-pattern")


def _lint(
    code: str, *, role: Role | None = "service", path: str = SERVICE_PATH
) -> list[Finding]:
    return lint_as(code, role, path)


def test_seed_service_is_clean_as_service_and_by_detected_roles() -> None:
    assert _lint(_seed_service()) == []
    assert _lint(_seed_service(), role=None) == []
    assert _lint(_seed_service(), role=None, path="app/logic.py") == []


@pytest.mark.parametrize(
    ("before", "after", "rule", "line"),
    [
        ("self._db = db", "self.db = db", "SVC002", 14),
        (
            "async def get_by_id(self, resource_id: int)",
            "def get_by_id(self, resource_id: int)",
            "SVC003",
            22,
        ),
        ("(self, *, skip: int = 0,", "(self, skip: int = 0, *,", "SVC004", 16),
        (
            "payload.model_dump(exclude_unset=True)",
            "payload.model_dump()",
            "SVC005",
            41,
        ),
        ("return None\n", "raise HTTPException(status_code=404)\n", "SVC006", 40),
        (
            "def __init__(self, db: AsyncSession) -> None:\n        self._db = db",
            "def __init__(self) -> None:\n        self._db = SessionLocal()",
            "SVC001",
            14,
        ),
    ],
)
def test_each_seeded_violation_of_the_seed_service_gives_one_finding(
    before: str, after: str, rule: str, line: int
) -> None:
    code = _seed_service()
    assert before in code
    findings = _lint(code.replace(before, after, 1))
    assert [(f.rule, f.line, f.pattern) for f in findings] == [
        (rule, line, "service-pattern")
    ]


def test_classes_that_are_not_services_are_left_alone() -> None:
    code = """\
    class ResourceNotFoundError(Exception):
        def describe(self, verbose: bool = False) -> str:
            return "missing"


    class ResourceFilter(BaseModel):
        def matches(self, name: str, exact: bool = False) -> bool:
            return exact


    class Paginator:
        def page(self, number: int = 1) -> int:
            return number
    """
    rules = [AsyncMethodsRule, KeywordOnlyOptionsRule]
    findings = lint_source(
        SERVICE_PATH,
        textwrap.dedent(code),
        Config(),
        roles=frozenset({"service"}),
        rules=rules,
    )
    assert findings == []


def test_a_session_fed_class_without_the_suffix_is_a_service() -> None:
    code = """\
    class Billing:
        def __init__(self, db: AsyncSession) -> None:
            self._db = db

        def charge(self, amount: int, currency: str = "EUR") -> None:
            pass
    """
    assert [(f.rule, f.line) for f in _lint(code)] == [
        ("SVC003", 5),
        ("SVC004", 5),
    ]


def test_service_rules_do_not_run_outside_services() -> None:
    code = """\
    class ItemService:
        def __init__(self) -> None:
            self.db = SessionLocal()

        def list(self, skip: int = 0) -> list[Item]:
            return []
    """
    assert _lint(code, role="other") == []


def test_exclude_unset_fix_keeps_other_arguments() -> None:
    code = """\
    class ItemService:
        async def update(self, item: Item, payload: ItemUpdate) -> Item:
            values = payload.model_dump(exclude={"id"})
            item.name = values.get("name", item.name)
            return item
    """
    findings = lint_source(
        SERVICE_PATH,
        textwrap.dedent(code),
        Config(),
        roles=frozenset({"service"}),
        rules=[PartialUpdateRule],
    )
    assert [(f.line, f.column, f.suggestion) for f in findings] == [
        (
            3,
            18,
            '        values = payload.model_dump(exclude={"id"}, exclude_unset=True)',
        )
    ]


def test_http_errors_in_a_service_are_the_service_familys_not_err001() -> None:
    code = """\
    from fastapi import HTTPException


    class ItemService:
        async def get(self, item_id: int) -> Item:
            raise HTTPException(status_code=404)
    """
    findings = _lint(code)
    assert [(f.rule, f.line) for f in findings] == [("SVC006", 1), ("SVC006", 6)]


def test_a_service_that_builds_its_session_with_async_session_maker_is_reported() -> (
    None
):
    # The router family knew this factory; the service family now shares its list.
    findings = _lint(
        """\
        class ItemService:
            async def purge(self) -> None:
                async with async_session_maker() as db:
                    await db.execute(delete(Item))
        """
    )

    assert [(f.rule, f.line, f.column, f.message) for f in findings] == [
        (
            "SVC001",
            3,
            20,
            "Service creates its own database session with "
            "`async_session_maker()`; the service pattern injects the "
            "`AsyncSession` through `__init__`.",
        )
    ]


def test_every_session_factory_a_router_may_not_call_a_service_may_not_either() -> None:
    from pattern_review.conventions.rules.router import HAND_MADE_SESSIONS
    from pattern_review.conventions.rules.vocabulary import SESSION_FACTORIES

    for factory in sorted(SESSION_FACTORIES):
        findings = _lint(f"def make():\n    return {factory}()\n")
        assert [f.rule for f in findings] == ["SVC001"], factory
    # A router also refuses SQLAlchemy's Session(); nothing else differs.
    assert HAND_MADE_SESSIONS - SESSION_FACTORIES == {"Session"}
