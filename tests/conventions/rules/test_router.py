"""Router rules RTR001-RTR007: for each, code that follows it and code that breaks it.

Beyond each rule's own examples (``test_examples.py``): other names and
shapes, run through the real engine with the file's role given, so every
rule of the router family that fires on the same code is listed too.
"""

from __future__ import annotations

import pytest

from tests.conventions.rules.family import found_as


def _found(code: str) -> list[tuple[str, int, int]]:
    return found_as("router", code)


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ("RTR001", "router = APIRouter(prefix='/orders', tags=['orders'])\n"),
        (
            "RTR002",
            (
                "@router.get('/{order_id}')\n"
                "async def get_order(\n"
                "    order_id: int, db: AsyncSession = Depends(get_db)\n"
                ") -> OrderRead:\n"
                "    return await OrderService(db).get(order_id)\n"
            ),
        ),
        (
            "RTR003",
            (
                "@router.get('/')\n"
                "async def list_orders(\n"
                "    db: AsyncSession = Depends(get_db)\n"
                ") -> list[OrderRead]:\n"
                "    return await OrderService(db).list()\n"
            ),
        ),
        (
            "RTR004",
            (
                "@router.get('/')\n"
                "async def list_orders(\n"
                "    db: AsyncSession = Depends(get_db)\n"
                ") -> list[OrderRead]:\n"
                "    return await OrderService(db).list()\n"
            ),
        ),
        (
            "RTR005",
            (
                "@router.get('/{order_id}', response_model=OrderRead)\n"
                "async def get_order(\n"
                "    order_id: int, db: AsyncSession = Depends(get_db)\n"
                "):\n"
                "    return await OrderService(db).get(order_id)\n"
            ),
        ),
        (
            "RTR006",
            (
                "@router.post('/', status_code=status.HTTP_201_CREATED)\n"
                "async def create_order(\n"
                "    payload: OrderCreate, db: AsyncSession = Depends(get_db)\n"
                ") -> OrderRead:\n"
                "    return await OrderService(db).create(payload)\n"
            ),
        ),
        (
            "RTR007",
            (
                "async def check(\n"
                "    order: Order | None\n"
                ") -> None:\n"
                "    if order is None:\n"
                "        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND)\n"
            ),
        ),
    ],
)
def test_code_that_follows_the_rule_gives_no_finding(rule: str, code: str) -> None:
    assert _found(code) == [], rule


@pytest.mark.parametrize(
    ("rule", "code", "expected"),
    [
        ("RTR001", "router = APIRouter(prefix='/orders')\n", [("RTR001", 1, 10)]),
        (
            "RTR002",
            (
                "@router.get('/{order_id}')\n"
                "async def get_order(\n"
                "    order_id: int, db: AsyncSession\n"
                ") -> OrderRead:\n"
                "    return await OrderService(db).get(order_id)\n"
            ),
            [("RTR002", 3, 20)],
        ),
        (
            "RTR003",
            (
                "@router.get('/')\n"
                "async def list_orders(\n"
                "    \n"
                ") -> list[OrderRead]:\n"
                "    async with async_session_maker() as db:\n"
                "        return await OrderService(db).list()\n"
            ),
            [("RTR003", 5, 16)],
        ),
        (
            "RTR004",
            (
                "@router.get('/')\n"
                "async def list_orders(\n"
                "    db: AsyncSession = Depends(get_db)\n"
                ") -> list[OrderRead]:\n"
                "    return (await db.execute(select(Order))).scalars().all()\n"
            ),
            [("RTR004", 5, 19), ("RTR004", 5, 30)],
        ),
        (
            "RTR005",
            (
                "@router.get('/{order_id}')\n"
                "async def get_order(\n"
                "    order_id: int, db: AsyncSession = Depends(get_db)\n"
                "):\n"
                "    return await OrderService(db).get(order_id)\n"
            ),
            [("RTR005", 1, 2)],
        ),
        (
            "RTR006",
            (
                "@router.post('/')\n"
                "async def create_order(\n"
                "    payload: OrderCreate, db: AsyncSession = Depends(get_db)\n"
                ") -> OrderRead:\n"
                "    return await OrderService(db).create(payload)\n"
            ),
            [("RTR006", 1, 2)],
        ),
        (
            "RTR007",
            (
                "async def check(\n"
                "    order: Order | None\n"
                ") -> None:\n"
                "    if order is None:\n"
                "        raise HTTPException(status_code=404)\n"
            ),
            [("RTR007", 5, 41)],
        ),
    ],
)
def test_code_that_breaks_the_rule_is_reported_where_it_breaks_it(
    rule: str, code: str, expected: list[tuple[str, int, int]]
) -> None:
    found = _found(code)
    assert rule in {rule_id for rule_id, _, _ in found}
    assert found == expected
