"""Style rules STY008, STY012, STY014 beyond their own examples.

Run through the real engine (``lint_source``): what each rule must leave
alone (ruff's share, frameworks' lower-case names, HTTP clients' ``.json()``),
the whole-line suggestions it offers, and that it never reports what another
rule of the catalog already reports.
"""

from __future__ import annotations

import textwrap

from pattern_review.config import Config, Role
from pattern_review.conventions.engine import lint_source
from pattern_review.conventions.registry import all_rules
from pattern_review.conventions.rule import Rule
from pattern_review.conventions.rules.style import (
    AsyncIoRule,
    ConstantNameRule,
    PydanticV2ApiRule,
)
from pattern_review.models import Finding


def _lint(
    code: str,
    rule: type[Rule] | None = None,
    *,
    role: Role = "other",
    path: str = "src/app/module.py",
) -> list[Finding]:
    return lint_source(
        path,
        textwrap.dedent(code),
        Config(),
        roles=frozenset({role}),
        rules=None if rule is None else [rule],
    )


def _where(findings: list[Finding]) -> list[tuple[str, int, int]]:
    return [(f.rule, f.line, f.column) for f in findings]


# STY008 ------------------------------------------------------------------


def test_constant_rule_leaves_mixed_case_to_ruff_and_reports_the_rest() -> None:
    findings = _lint(
        """\
        pageSize = 20
        page_size = 20
        PageSize = 20
        _page_size = 20
        """,
        ConstantNameRule,
    )
    assert _where(findings) == [("STY008", 2, 1), ("STY008", 3, 1), ("STY008", 4, 1)]
    assert "like `_PAGE_SIZE`" in findings[-1].message


def test_constant_rule_skips_rebound_and_non_literal_names() -> None:
    code = """\
    from typing import TypeAlias

    retries = 3
    timeout = 5
    user_id: TypeAlias = "int"
    greeting = f"hi {retries}"
    first, second = 1, 2
    offset = -1
    kinds = frozenset({"a", "b"})
    levels = (1, (2, 3))


    def bump() -> None:
        global retries
        retries += 1


    timeout = 10
    """
    assert _where(_lint(code, ConstantNameRule)) == [
        ("STY008", 8, 1),
        ("STY008", 9, 1),
        ("STY008", 10, 1),
    ]


def test_constant_rule_skips_framework_config_modules() -> None:
    settings = 'broker_url = "redis://localhost"\ntask_serializer = "json"\n'
    assert _lint(settings, ConstantNameRule, path="src/app/celeryconfig.py") == []
    assert _lint(settings, ConstantNameRule, path="gunicorn.conf.py") == []
    assert len(_lint(settings, ConstantNameRule, path="src/app/settings.py")) == 2


# STY012 ------------------------------------------------------------------


def test_pydantic_rule_leaves_http_client_json_and_dict_copy_alone() -> None:
    code = """\
    async def fetch(client: httpx.AsyncClient) -> dict[str, object]:
        response = await client.get("/items")
        data = response.json()
        merged = data.copy()
        return json.loads(response.text) | merged
    """
    assert _lint(code, PydanticV2ApiRule) == []


def test_pydantic_rule_suggests_only_mechanical_renames() -> None:
    code = """\
    a = item.copy(update={"name": "x"})
    b = item.copy(include={"id"}, update={"name": "x"})
    c = item.json(encoder=str, by_alias=True)
    d = Item.parse_raw(blob)
    e = Item.parse_raw(blob, content_type="application/json")
    Item.update_forward_refs()
    f = item.json(indent=2)
    """
    findings = _lint(code, PydanticV2ApiRule)
    assert [(f.line, f.suggestion) for f in findings] == [
        (1, 'a = item.model_copy(update={"name": "x"})'),
        (2, None),
        (3, None),
        (4, "d = Item.model_validate_json(blob)"),
        (5, None),
        (6, "Item.model_rebuild()"),
        (7, "f = item.model_dump_json(indent=2)"),
    ]
    assert findings[1].message == (
        "`.copy()` is the deprecated Pydantic v1 API; style rule 12 uses "
        "`.model_copy()`."
    )


def test_pydantic_suggestion_keeps_the_rest_of_a_multiline_call() -> None:
    code = """\
    def dump(payload: Item) -> dict[str, object]:
        return payload.dict(
            exclude_none=True,
        )
    """
    (finding,) = _lint(code, PydanticV2ApiRule)
    assert (finding.line, finding.end_line) == (2, 2)
    assert finding.suggestion == "    return payload.model_dump("


# STY014 ------------------------------------------------------------------


def test_sync_route_handler_that_does_io_is_reported_in_any_module() -> None:
    code = """\
    app = FastAPI()


    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}


    @app.get("/ready")
    def ready(db: Session = Depends(get_db)) -> dict[str, str]:
        return {"status": "ok"}


    @app.middleware("http")
    async def timing(request: Request, call_next: Callable) -> Response:
        return await call_next(request)
    """
    # /health does no I/O: a sync def there costs a thread, nothing more.
    assert _where(_lint(code, AsyncIoRule)) == [("STY014", 10, 5)]


def test_sync_io_is_only_reported_in_routers_and_services() -> None:
    code = """\
    import requests


    def fetch_rates() -> dict[str, float]:
        return requests.get("https://rates.invalid/latest").json()


    def total(prices: list[float]) -> float:
        return sum(prices)
    """
    assert _lint(code, AsyncIoRule, role="other") == []
    (finding,) = _lint(code, AsyncIoRule, role="router")
    assert (finding.line, finding.column) == (4, 5)
    assert "`requests.get(...)`" in finding.message


def test_sync_public_service_method_is_reported_once_by_the_service_family() -> None:
    code = """\
    class ItemService:
        def __init__(self, db: AsyncSession) -> None:
            self._db = db

        def count(self) -> int:
            return self._db.execute(select(func.count(Item.id))).scalar_one()
    """
    findings = _lint(code, role="service")
    assert _where(findings) == [("SVC003", 5, 9)]


def test_no_rule_of_this_family_fires_twice_on_one_node() -> None:
    code = """\
    @router.get("/items")
    def list_items(db: Session = Depends(get_db)) -> list[dict[str, object]]:
        \"\"\"List items.\"\"\"
        return [item.dict() for item in db.execute(select(Item)).scalars()]
    """
    family = [rule for rule in all_rules() if rule.ID.startswith("STY")]
    findings = lint_source(
        "src/app/routers/items.py",
        textwrap.dedent(code),
        Config(),
        roles=frozenset({"router"}),
        rules=family,
    )
    assert _where(findings) == [("STY014", 2, 5), ("STY012", 4, 18)]
