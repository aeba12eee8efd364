"""Model rules MDL001-MDL005: for each, code that follows it and code that breaks it.

Beyond each rule's own examples (``test_examples.py``): other names and
shapes, run through the real engine with the file's role given, so every
rule of the model family that fires on the same code is listed too.
"""

from __future__ import annotations

import pytest

from tests.conventions.rules.family import found_as


def _found(code: str) -> list[tuple[str, int, int]]:
    return found_as("model", code)


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        (
            "MDL001",
            (
                "class Order(Base):\n"
                "    __tablename__ = 'orders'\n"
                "    id: Mapped[int] = mapped_column(primary_key=True)\n"
            ),
        ),
        (
            "MDL002",
            (
                "class Order(Base):\n"
                "    __tablename__ = 'orders'\n"
                "    note: Mapped[str] = mapped_column(String(200))\n"
            ),
        ),
        (
            "MDL003",
            (
                "class Order(Base):\n"
                "    __tablename__ = 'orders'\n"
                "    created_at: Mapped[datetime] = mapped_column(\n"
                "        DateTime(timezone=True), server_default=func.now()\n"
                "    )\n"
            ),
        ),
        (
            "MDL004",
            (
                "class Order(Base):\n"
                "    __tablename__ = 'orders'\n"
                "    id: Mapped[int] = mapped_column(primary_key=True)\n"
            ),
        ),
        (
            "MDL005",
            (
                "class Order(Base):\n"
                "    __tablename__ = 'orders'\n"
                "    id: Mapped[int] = mapped_column(primary_key=True)\n"
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
            "MDL001",
            (
                "class Order(Base):\n"
                "    __tablename__ = 'orders'\n"
                "    id = Column(Integer, primary_key=True)\n"
            ),
            [("MDL001", 3, 5)],
        ),
        (
            "MDL002",
            (
                "class Order(Base):\n"
                "    __tablename__ = 'orders'\n"
                "    note: Mapped[str] = mapped_column(String)\n"
            ),
            [("MDL002", 3, 39)],
        ),
        (
            "MDL003",
            (
                "class Order(Base):\n"
                "    __tablename__ = 'orders'\n"
                "    created_at: Mapped[datetime] = mapped_column(DateTime())\n"
            ),
            [("MDL003", 3, 36)],
        ),
        (
            "MDL004",
            (
                "class Order(Base):\n"
                "    id: Mapped[int] = mapped_column(primary_key=True)\n"
            ),
            [("MDL004", 1, 7)],
        ),
        (
            "MDL005",
            (
                "class Order(Base):\n"
                "    __tablename__ = 'orders'\n"
                "    id: int = mapped_column(primary_key=True)\n"
            ),
            [("MDL005", 3, 9)],
        ),
    ],
)
def test_code_that_breaks_the_rule_is_reported_where_it_breaks_it(
    rule: str, code: str, expected: list[tuple[str, int, int]]
) -> None:
    found = _found(code)
    assert rule in {rule_id for rule_id, _, _ in found}
    assert found == expected
