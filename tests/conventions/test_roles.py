"""File roles from path globs and from module content."""

from __future__ import annotations

import ast

import pytest

from pattern_review.config import Config
from pattern_review.conventions.roles import (
    content_roles,
    detect_roles,
    guess_tree,
    holds_tests,
    parse_tree,
)
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
    assert detect_roles(path, Config()) == frozenset(roles)


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
    assert content_roles(ast.parse(code), code) == frozenset(roles)


def test_path_and_content_roles_add_up() -> None:
    code = "class ItemRead(BaseModel):\n    id: int\n"
    module = ast.parse(code)
    assert detect_roles("src/app/routers/items.py", Config(), module, code) == {
        "router",
        "schema",
    }
    assert detect_roles("src/app/main.py", Config(), module, code) == {"schema"}


def test_a_test_file_that_holds_tests_is_only_a_test() -> None:
    code = (
        "router = APIRouter()\nclass Item(Base):\n    pass\n"
        "def test_items() -> None:\n    pass\n"
    )
    module = ast.parse(code)
    assert detect_roles("tests/test_items.py", Config(), module, code) == {"test"}
    assert holds_tests(code)


@pytest.mark.parametrize("path", ["app/routers/orders_test.py", "tests/orders.py"])
def test_code_named_like_a_test_is_judged_by_its_content(path: str) -> None:
    # Evidence before names: a router with no test in it is a router.
    code = "router = APIRouter()\n"
    module = ast.parse(code)
    assert not holds_tests(code)
    assert "router" in detect_roles(path, Config(), module, code)
    assert "test" not in detect_roles(path, Config(), module, code)


def test_a_test_helper_without_application_code_stays_a_test() -> None:
    code = "import pytest\n\n\n@pytest.fixture\ndef client() -> None:\n    pass\n"
    module = ast.parse(code)
    assert detect_roles("tests/conftest.py", Config(), module, code) == {"test"}


def test_configured_globs_replace_that_roles_defaults_only() -> None:
    config = Config(roles={"router": ["src/web/endpoints/*.py"]})
    assert detect_roles("src/web/endpoints/items.py", config) == {"router"}
    assert detect_roles("src/app/routers/items.py", config) == {"other"}
    # Roles not configured keep their defaults: tests stay tests.
    assert detect_roles("tests/test_items.py", config) == {"test"}
    assert detect_roles("src/app/models/item.py", config) == {"model"}


# Roles are read from whole statement lines, as they were when libcst read
# them: a statement sharing its line (``;``, a class body after the colon)
# gives none; async functions count as functions; a BOM changes nothing.
@pytest.mark.parametrize(
    ("code", "roles"),
    [
        ("router = APIRouter(); x = 1\n", set()),
        ("x = 1; router = APIRouter()\n", set()),
        ("router = APIRouter();\n", {"router"}),
        ("router = APIRouter()\n", {"router"}),
        ("a = b = APIRouter()\n", {"router"}),
        ("router: APIRouter\n", set()),
        ("APIRouter()\n", {"router"}),
        ("class Item(Base): __tablename__ = 'items'\n", set()),
        ("class Item(Base):\n    __tablename__ = 'items'; x = 1\n", set()),
        ("class Item(Base):\n    x = 1; __tablename__ = 'items'\n", set()),
        ("class Item(Base):\n    __tablename__ = x = 'items'\n", set()),
        ("class Item(Base):\n    __tablename__: str\n", {"model"}),
        ("class Item(Base):\n    '''doc'''\n    __tablename__ = 'items'\n", {"model"}),
        ("class Item(\n    Base\n):\n    __tablename__ = 'items'\n", {"model"}),
        ("class Item(*bases):\n    pass\n", set()),
        ("class Item(*[BaseModel]):\n    pass\n", set()),
        ("@shared_task\nasync def sync():\n    pass\n", {"task"}),
        ("async def a(): pass\nclass S(BaseModel):\n    x: int\n", {"schema"}),
        (
            "def a(): pass\nasync def b(): pass\nclass S(BaseModel):\n    x: int\n",
            set(),
        ),
        ("from fastapi import Depends\nclass S(BaseModel):\n    x: int\n", set()),
        ("from fastapi.routing import x\nclass S(BaseModel):\n    x: int\n", set()),
        ("from fastapi import *\nclass S(BaseModel):\n    x: int\n", {"schema"}),
        ("from . import x\nclass S(BaseModel):\n    x: int\n", {"schema"}),
        ("from .fastapi import y\nclass S(BaseModel):\n    x: int\n", {"schema"}),
        (
            "@router.get('/')\nasync def a(): pass\n"
            "class S(BaseModel):\n    x: int\nclass T(S):\n    y: int\n",
            set(),
        ),
        ("app = FastAPI(); 1\nclass S(BaseModel):\n    x: int\n", set()),
        ("import sqlalchemy.orm as orm\nclass Item(db.Base):\n    pass\n", {"model"}),
        ("import os, sqlalchemy\nclass Item(Base):\n    pass\n", {"model"}),
        (
            "from sqlalchemy.orm import x; import y\nclass Item(Base):\n    pass\n",
            {"model"},
        ),
        ("class ItemService(Base):\n    pass\n", {"service"}),
        ("if True:\n    router = APIRouter()\n", set()),
        ("\ufeffrouter = APIRouter()\n", {"router"}),
        ("x = 'é'; router = APIRouter()\n", set()),
        ("class Item(Base):\n    x = 'é'; __tablename__ = 'items'\n", set()),
        ("class A:\n  __tablename__ = 1\n", {"model"}),
    ],
)
def test_roles_come_from_whole_statement_lines(code: str, roles: set[str]) -> None:
    tree = parse_tree(code)
    assert tree is not None
    assert content_roles(tree, code) == frozenset(roles)


def test_outside_the_workers_only_small_shallow_files_are_read_for_roles() -> None:
    assert guess_tree("router = APIRouter()\n") is not None
    assert guess_tree("x = 1\n" * 100_000) is None  # over 512 KiB
    assert guess_tree("x = " + "[" * 120 + "]" * 120 + "\n") is None  # deep
    assert guess_tree("def broken(:\n") is None
