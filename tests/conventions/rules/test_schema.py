"""Schema rules SCH001-SCH005: for each, code that follows it and code that breaks it.

Beyond each rule's own examples (``test_examples.py``): other names and
shapes, run through the real engine with the file's role given, so every
rule of the schema family that fires on the same code is listed too.
"""

from __future__ import annotations

import pytest

from tests.conventions.rules.family import found_as


def _found(code: str) -> list[tuple[str, int, int]]:
    return found_as("schema", code)


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        (
            "SCH001",
            (
                "class OrderRead(OrderBase):\n"
                "    model_config = ConfigDict(from_attributes=True)\n"
                "    id: int\n"
            ),
        ),
        (
            "SCH002",
            (
                "class OrderRead(OrderBase):\n"
                "    model_config = ConfigDict(from_attributes=True)\n"
                "    id: int\n"
            ),
        ),
        ("SCH003", ("class OrderUpdate(BaseModel):\n    note: str | None = None\n")),
        (
            "SCH004",
            (
                "class OrderRead(OrderBase):\n"
                "    model_config = ConfigDict(from_attributes=True)\n"
                "    id: int\n"
            ),
        ),
        (
            "SCH005",
            (
                "class OrderBase(BaseModel):\n"
                "    note: str\n"
                "\n"
                "\n"
                "class OrderCreate(OrderBase):\n"
                "    pass\n"
            ),
        ),
    ],
)
def test_code_that_follows_the_rule_gives_no_finding(rule: str, code: str) -> None:
    assert _found(code) == [], rule


@pytest.mark.parametrize(
    ("rule", "code", "expected"),
    [
        (
            "SCH001",
            (
                "class OrderRead(OrderBase):\n"
                "    id: int\n"
                "\n"
                "    class Config:\n"
                "        from_attributes = True\n"
            ),
            [("SCH004", 1, 7), ("SCH001", 4, 5)],
        ),
        (
            "SCH002",
            (
                "class OrderRead(OrderBase):\n"
                "    model_config = ConfigDict(orm_mode=True)\n"
                "    id: int\n"
            ),
            [("SCH004", 1, 7), ("SCH002", 2, 31)],
        ),
        (
            "SCH003",
            ("class OrderUpdate(BaseModel):\n    note: str\n"),
            [("SCH003", 2, 5)],
        ),
        ("SCH004", ("class OrderRead(OrderBase):\n    id: int\n"), [("SCH004", 1, 7)]),
        (
            "SCH005",
            (
                "class OrderBase(BaseModel):\n"
                "    note: str\n"
                "\n"
                "\n"
                "class OrderCreate(BaseModel):\n"
                "    note: str\n"
            ),
            [("SCH005", 5, 19)],
        ),
    ],
)
def test_code_that_breaks_the_rule_is_reported_where_it_breaks_it(
    rule: str, code: str, expected: list[tuple[str, int, int]]
) -> None:
    found = _found(code)
    assert rule in {rule_id for rule_id, _, _ in found}
    assert found == expected
