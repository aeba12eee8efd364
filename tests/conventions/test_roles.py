"""File roles from path globs and from module content."""

from __future__ import annotations

import libcst as cst
import pytest

from pattern_review.config import Config
from pattern_review.conventions.roles import content_roles, detect_roles
from pattern_review.globs import glob_match


@pytest.mark.parametrize(
    ("path", "pattern", "expected"),
    [
        ("src/app/routers/items.py", "**/routers/**/*.py", True),
        ("routers/items.py", "**/routers/**/*.py", True),
        ("src/app/routers/v1/admin/items.py", "**/routers/**/*.py", True),
        ("src/app/routers.py", "**/routers/**/*.py", False),
        ("src/app/services/item_service.py", "**/*_service.py", True),
        ("item_service.py", "**/*_service.py", True),
        ("tests/test_items.py", "tests/**/*.py", True),
        ("src/tests/test_items.py", "tests/**/*.py", False),
        ("src/app/models/item.py", "src/*/item.py", False),
        ("src/app/item.py", "src/*/item.py", True),
        ("./src/app/item.py", "src/?pp/item.py", True),
        (".github/x.py", "github/*.py", False),
        ("src/app/a+b.py", "src/app/a+b.py", True),
    ],
)
def test_glob_match(path: str, pattern: str, expected: bool) -> None:
    assert glob_match(path, pattern) is expected


@pytest.mark.parametrize(
    ("path", "roles"),
    [
        ("src/app/routers/items.py", {"router"}),
        ("src/app/schemas/item.py", {"schema"}),
        ("src/app/models/item.py", {"model"}),
        ("src/app/services/item.py", {"service"}),
        ("src/app/item_service.py", {"service"}),
        ("src/app/tasks/sync.py", {"task"}),
        ("src/app/worker_tasks.py", {"task"}),
        ("src/app/main.py", {"other"}),
        ("tests/routers/test_items.py", {"test"}),
        ("src/app/conftest.py", {"test"}),
        ("backend/tests/utils/user.py", {"test"}),
        ("backend/app/alembic/versions/0001_init.py", {"migration"}),
        ("src/app/migrations/versions/0002_items.py", {"migration"}),
    ],
)
def test_default_globs_give_roles_by_path(path: str, roles: set[str]) -> None:
    assert detect_roles(path, None, Config()) == frozenset(roles)


@pytest.mark.parametrize(
    ("code", "roles"),
    [
        (
            "from fastapi import APIRouter\nrouter = APIRouter(prefix='/x')\n",
            {"router"},
        ),
        ("import fastapi\napi: fastapi.APIRouter = fastapi.APIRouter()\n", {"router"}),
        ("class Item(Base):\n    __tablename__ = 'items'\n", {"model"}),
        ("from sqlalchemy import String\nclass Item(Base):\n    pass\n", {"model"}),
        ("import sqlalchemy.orm as orm\nclass Item(db.Base):\n    pass\n", {"model"}),
        ("class Base:\n    pass\nclass Mock(Base):\n    pass\n", set()),
        ("class Base(DeclarativeBase):\n    pass\n", {"model"}),
        ("class Legacy(object):\n    __tablename__ = 'legacy'\n", {"model"}),
        ("class ItemRead(BaseModel):\n    id: int\n", {"schema"}),
        ("class ItemRead(pydantic.BaseModel):\n    id: int\n", {"schema"}),
        ("class ItemService:\n    pass\n", {"service"}),
        ("@shared_task(bind=True)\ndef sync(self) -> None:\n    pass\n", {"task"}),
        ("@app.task\ndef sync() -> None:\n    pass\n", {"task"}),
        (
            "class ItemRead(BaseModel):\n    id: int\n\n\n"
            "class ItemService:\n    pass\n",
            {"schema", "service"},
        ),
        ("def helper() -> None:\n    router = APIRouter()\n", set()),
        ("x = make_router()\n", set()),
    ],
)
def test_content_gives_roles(code: str, roles: set[str]) -> None:
    assert content_roles(cst.parse_module(code)) == frozenset(roles)


def test_path_and_content_roles_add_up() -> None:
    module = cst.parse_module("class ItemRead(BaseModel):\n    id: int\n")
    assert detect_roles("src/app/routers/items.py", module, Config()) == {
        "router",
        "schema",
    }
    assert detect_roles("src/app/main.py", module, Config()) == {"schema"}


def test_a_test_file_is_only_a_test_whatever_it_contains() -> None:
    module = cst.parse_module("router = APIRouter()\nclass Item(Base):\n    pass\n")
    assert detect_roles("tests/test_items.py", module, Config()) == {"test"}


def test_configured_globs_replace_that_roles_defaults_only() -> None:
    config = Config(roles={"router": ["src/web/endpoints/*.py"]})
    assert detect_roles("src/web/endpoints/items.py", None, config) == {"router"}
    assert detect_roles("src/app/routers/items.py", None, config) == {"other"}
    # Roles not configured keep their defaults: tests stay tests.
    assert detect_roles("tests/test_items.py", None, config) == {"test"}
    assert detect_roles("src/app/models/item.py", None, config) == {"model"}
