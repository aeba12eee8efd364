"""When a rule's suggested fix may be offered for a one-click commit."""

from __future__ import annotations

import pytest

from pattern_review.conventions.suggestions import (
    MAX_LINE,
    ModuleScope,
    introduced_names,
    is_committable,
    local_names,
    module_names,
)


def test_module_names_include_imports_and_module_level_bindings() -> None:
    module = (
        "import os.path\n"
        "import sqlalchemy as sa\n"
        "from fastapi import APIRouter, status as http\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from app.models import Item\n"
        "try:\n"
        "    import ujson as json\n"
        "except ImportError:\n"
        "    import json\n"
        "router = APIRouter()\n"
        "LIMIT: int = 5\n"
        "def helper() -> None:\n"
        "    hidden = 1\n"
        "class Service:\n"
        "    inner = 2\n"
    )
    assert module_names(module) == frozenset({
        "os", "sa", "APIRouter", "http", "TYPE_CHECKING", "Item", "json",
        "router", "LIMIT", "helper", "Service",
    })  # fmt: skip


def test_a_star_import_makes_module_names_unknowable() -> None:
    assert module_names("from app.models import *\n") is None


@pytest.mark.parametrize(
    ("suggestion", "replaced", "names"),
    [
        # Attributes and keyword arguments are not names a module defines.
        (
            "raise HTTPException(status_code=status.HTTP_404_NOT_FOUND)",
            "raise HTTPException(status_code=404)",
            {"status"},
        ),
        # An annotated target is bound, not used; the rest is new (builtins
        # too: the caller accepts those).
        (
            "    name: Mapped[str] = mapped_column(String)",
            "    name = Column(String)",
            {"Mapped", "str", "mapped_column"},
        ),
        # Names already in the replaced code (locals, parameters) are known.
        (
            "return await self._db.get(Item, item_id)",
            "return self._db.get(Item, item_id)",
            set(),
        ),
        # Names inside strings do not count.
        ("logger.info('moved to status')", "print('moved to status')", {"logger"}),
        # A parameter's annotation is used even when a default follows it.
        ("def f(a: A, *, b: B = c) -> None:", "def f(a, b=c):", {"A", "B"}),
        # A keyword argument starting a continuation line is not a name used.
        (
            "f(\n    status_code=status.HTTP_200_OK,\n)",
            "f(\n    code=200,\n)",
            {"status"},
        ),
    ],
)
def test_introduced_names(suggestion: str, replaced: str, names: set[str]) -> None:
    assert introduced_names(suggestion, replaced) == names


def _scope(source: str) -> ModuleScope:
    return ModuleScope(source)


def test_a_suggestion_needs_its_names_defined_or_built_in() -> None:
    replaced = "    name = Column(String)"
    fixed = "    name: Mapped[str | None] = mapped_column(String)"
    bare = "from sqlalchemy import Column, String\n"
    imported = bare + "from sqlalchemy.orm import Mapped, mapped_column\n"
    assert not is_committable(fixed, replaced, _scope(bare))
    assert is_committable(fixed, replaced, _scope(imported))
    star = "from sqlalchemy.orm import *\n"  # unknowable: trusted
    assert is_committable(fixed, replaced, _scope(star))
    assert is_committable("x = len(items)", "x = count(items)", _scope(""))


def _line(length: int) -> str:
    return "x = '" + "y" * (length - 6) + "'"  # binds x, uses no name


def test_a_suggestion_may_not_grow_past_the_line_length() -> None:
    short, anywhere = "x = 1", _scope("")
    assert is_committable(_line(MAX_LINE), short, anywhere)
    assert not is_committable(_line(MAX_LINE + 1), short, anywhere)
    # A line already longer may stay as long, not grow.
    long = _line(100)
    assert is_committable(_line(100), long, anywhere)
    assert not is_committable(_line(101), long, anywhere)


def test_a_name_a_function_binds_locally_shadows_the_import() -> None:
    source = (
        "from fastapi import HTTPException, status\n\n\n"
        "async def list_items(status: str | None = None) -> list[int]:\n"
        "    for item in range(3):\n"
        "        total = item\n"
        "    return []\n"
    )
    shadowed = local_names(source)
    assert shadowed is not None
    assert {"status", "item", "total"} <= shadowed
    assert "list_items" not in shadowed
    fixed = "        raise HTTPException(status.HTTP_400_BAD_REQUEST, 'bad')"
    bare = "        raise HTTPException(400, 'bad')"
    assert not is_committable(fixed, bare, _scope(source))
    unshadowed = source.replace("(status: str | None = None)", "()")
    assert is_committable(fixed, bare, _scope(unshadowed))


def test_locals_are_unknowable_when_pythons_parser_refuses_the_file() -> None:
    assert local_names("def f(:\n") is None
