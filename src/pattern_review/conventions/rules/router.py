"""Convention rules: router family (the agent file's Router Pattern).

Annotations on every handler parameter and return, and a docstring on every
handler, are also Router Pattern rules; ruff checks them (ANN, D103) and
cites style rules 2 and 3, so they are not repeated here.
"""

from __future__ import annotations

import re
from collections import Counter
from http import HTTPStatus

import libcst as cst
import libcst.matchers as m

from pattern_review.config import Role
from pattern_review.conventions.rule import Example, Rule
from pattern_review.conventions.rules.vocabulary import (
    ASYNC_SESSION,
    SESSION_FACTORIES,
    SESSION_NAMES,
    SYNC_SESSION,
    annotated_parts,
    call_to,
    called_name,
    code,
    keyword,
)

PATTERN = "router-pattern"
ROUTER: frozenset[Role] = frozenset({"router"})
ROUTE_METHODS = frozenset({"get", "post", "put", "patch", "delete"})
SESSION_CALLS = frozenset(
    {"execute", "add", "add_all", "commit", "flush", "refresh", "delete", "scalars"}
)
# In a router, SQLAlchemy's ``Session`` too (not ``requests.Session``: see
# ``SQL_MODULES``).
HAND_MADE_SESSIONS = SESSION_FACTORIES | {"Session"}
SQL_MODULES = frozenset({"orm", "sqlalchemy.orm", "sa.orm", "database", "db"})


def _route_method(node: cst.BaseExpression) -> str | None:
    """Return ``get`` for a route declaration ``router.get(...)``, else None."""
    method = called_name(node)
    if method not in ROUTE_METHODS:
        return None
    func = cst.ensure_type(node, cst.Call).func
    # ``router.get``, not ``get(...)`` or ``client.api.get(...)``.
    receiver = func.value if isinstance(func, cst.Attribute) else None
    return method if isinstance(receiver, cst.Name) else None


def _route(node: cst.FunctionDef) -> tuple[str, cst.Call] | None:
    """Return the HTTP method and decorator call of a route handler."""
    for decorator in node.decorators:
        method = _route_method(decorator.decorator)
        if method is not None:
            return method, cst.ensure_type(decorator.decorator, cst.Call)
    return None


def _status_constant(value: cst.BaseExpression) -> str | None:
    """Return ``HTTP_201_CREATED`` for ``status.HTTP_201_CREATED``, else None."""
    if m.matches(value, m.Attribute(value=m.Name("status"))):
        return cst.ensure_type(value, cst.Attribute).attr.value
    return None


def _constant_for(code: int) -> str | None:
    try:
        phrase = HTTPStatus(code).name
    except ValueError:
        return None
    return f"status.HTTP_{code}_{phrase}"


def _aggregating_router_calls(module: cst.Module) -> set[cst.Call]:
    """Return the top-level ``name = APIRouter(...)`` calls of aggregators.

    An aggregator is a router this module only calls ``include_router`` on:
    no route is declared on it here (``@name.get(...)``).
    """
    built: dict[str, cst.Call] = {}
    including: set[str] = set()
    routed: set[str] = set()
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef):
            for decorator in statement.decorators:
                if _route_method(decorator.decorator) is not None:
                    call = cst.ensure_type(decorator.decorator, cst.Call)
                    func = cst.ensure_type(call.func, cst.Attribute)
                    routed.add(code(func.value))
            continue
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if m.matches(
                small,
                m.Assign(
                    targets=[m.AssignTarget(target=m.Name())],
                    value=call_to("APIRouter"),
                ),
            ):
                assign = cst.ensure_type(small, cst.Assign)
                name = cst.ensure_type(assign.targets[0].target, cst.Name).value
                built[name] = cst.ensure_type(assign.value, cst.Call)
            elif m.matches(
                small,
                m.Expr(
                    value=m.Call(
                        func=m.Attribute(value=m.Name(), attr=m.Name("include_router"))
                    )
                ),
            ):
                expr = cst.ensure_type(small, cst.Expr)
                func = cst.ensure_type(
                    cst.ensure_type(expr.value, cst.Call).func, cst.Attribute
                )
                including.add(code(func.value))
    return {
        call for name, call in built.items() if name in including and name not in routed
    }


class RouterPrefixAndTagsRule(Rule):
    """Every ``APIRouter`` is built with ``prefix`` and ``tags``.

    The prefix keeps a resource's paths in one place; the tags group its
    routes in the OpenAPI docs. A router without them scatters both.
    """

    ID = "RTR001"
    PATTERN = PATTERN
    SUMMARY = "APIRouter is created with prefix= and tags="
    AGENT_TEXT = "Use `APIRouter` with `prefix` and `tags`"
    # A team file that asks for one of them gets only that one checked.
    VARIANTS = {"prefix": "prefix", "tags": "tags"}
    MESSAGE = (
        "APIRouter() is missing prefix= and tags=: the Router Pattern builds "
        'routers as APIRouter(prefix="/resources", tags=["resources"]).'
    )
    ROLES = ROUTER
    VALID = (
        Example(
            'from fastapi import APIRouter\n\nrouter = APIRouter(prefix="/items", '
            'tags=["items"])\n',
            role="router",
        ),
        Example(
            "import fastapi\n\nrouter = fastapi.APIRouter(\n"
            '    prefix="/users", tags=["users"], dependencies=[]\n)\n',
            role="router",
        ),
        # An aggregator: prefix and tags sit on the routers it includes.
        Example(
            "from fastapi import APIRouter\n\n"
            "from app.routers import orders, payments\n\n"
            "api = APIRouter()\n"
            "api.include_router(orders.router)\n"
            "api.include_router(payments.router)\n",
            role="router",
        ),
    )
    INVALID = (
        Example(
            "from fastapi import APIRouter\n\nrouter = APIRouter()\n",
            role="router",
            line=3,
            column=10,
        ),
        Example(
            'from fastapi import APIRouter\n\nrouter = APIRouter(prefix="/items")\n'
            "admin = APIRouter(tags=['admin'])\n",
            role="router",
            line=3,
            column=10,
            message=(
                "APIRouter() is missing tags=: the Router Pattern builds routers "
                'as APIRouter(prefix="/resources", tags=["resources"]).'
            ),
            count=2,
        ),
        # Including other routers does not excuse one that has its own routes.
        Example(
            "from fastapi import APIRouter\n\n"
            "api = APIRouter()\n"
            "api.include_router(orders.router)\n\n\n"
            "@api.get('/ping', response_model=str)\n"
            "async def ping() -> str:\n"
            '    """Answer."""\n'
            "    return 'pong'\n",
            role="router",
            line=3,
            column=7,
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        """Find routers that only aggregate others (``include_router`` only).

        The prefix and tags belong on the included routers: an aggregating
        router that had them would prefix and tag every route twice.
        """
        self._aggregators = _aggregating_router_calls(node)

    def visit_Call(self, node: cst.Call) -> None:
        """Check the keywords of an ``APIRouter(...)`` call."""
        if called_name(node) != "APIRouter" or node in self._aggregators:
            return
        missing = [
            name
            for name in ("prefix", "tags")
            if keyword(node, name) is None and self.context.asks_for(self.ID, name)
        ]
        if any(arg.star for arg in node.args) or not missing:
            return
        self.report(
            node,
            self.MESSAGE.replace(
                "prefix= and tags=", " and ".join(f"{name}=" for name in missing)
            ),
        )


_SESSION_DEPENDENCY = re.compile(r"db|session", re.IGNORECASE)


class SessionDependencies:
    """The session dependencies a router module shows, to name in a fix.

    A fix names the repository's own dependency (``get_db_session``), never
    one it does not have: first what the module passes to ``Depends(...)``
    (the most used), else a ``get_*db*``/``get_*session*`` function it
    imports or defines. Fed during the engine's one traversal.
    """

    def __init__(self) -> None:
        """Start with nothing seen."""
        self._used: Counter[str] = Counter()
        self._known: list[str] = []

    def see_call(self, node: cst.Call) -> None:
        """Note ``Depends(get_x_session)``."""
        if not node.args or called_name(node) != "Depends":
            return
        target = node.args[0].value
        if isinstance(target, cst.Name | cst.Attribute):
            name = code(target)
            if _SESSION_DEPENDENCY.search(name.rpartition(".")[2]):
                self._used[name] += 1

    def see_name(self, name: str) -> None:
        """Note an imported or defined function name."""
        if name.startswith("get_") and _SESSION_DEPENDENCY.search(name):
            self._known.append(name)

    def see_import(self, node: cst.ImportFrom) -> None:
        """Note ``from app.db import get_db_session``."""
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            bound = alias.asname.name if alias.asname else alias.name
            if isinstance(bound, cst.Name):
                self.see_name(bound.value)

    def best(self) -> str | None:
        """Return the dependency to name, or None when the module shows none."""
        if self._used:
            return self._used.most_common(1)[0][0]
        return self._known[0] if self._known else None


def _depends_target(value: cst.BaseExpression | None) -> str | None:
    """``get_db`` for ``Depends(get_db)``; ``""`` for ``Depends()``; else None."""
    if value is None or called_name(value) != "Depends":
        return None
    call = cst.ensure_type(value, cst.Call)
    return code(call.args[0].value) if call.args else ""


def _session_injection(param: cst.Param) -> tuple[str, str | None] | None:
    """Return (session kind, its Depends target) for a session parameter.

    The kind is ``async`` or ``sync``; the target is None when the parameter
    has no ``Depends`` (in its default or in ``Annotated[...]``). None when
    the parameter is not annotated as a session.
    """
    if param.annotation is None:
        return None
    annotation = param.annotation.annotation
    depends = _depends_target(param.default)
    parts = annotated_parts(annotation)
    if parts is not None:
        if not parts:
            return None
        annotation = parts[0]
        depends = next(
            (
                target
                for target in map(_depends_target, parts[1:])
                if target is not None
            ),
            depends,
        )
    if m.matches(annotation, ASYNC_SESSION):
        return "async", depends
    if m.matches(annotation, SYNC_SESSION):
        return "sync", depends
    return None


class SessionViaDependsRule(Rule):
    """Handlers receive an ``AsyncSession`` through ``Depends(...)``.

    One dependency owns the session's lifetime (open, commit, close); a sync
    ``Session`` blocks the event loop, and a session parameter without the
    dependency is not a session at all. Any dependency will do (the seed
    calls it ``get_db``; ``get_db_session`` is as good); the fix names the
    one the module already uses or imports.
    """

    ID = "RTR002"
    PATTERN = PATTERN
    SUMMARY = "Handlers take db: AsyncSession = Depends(get_db)"
    AGENT_TEXT = "Inject `AsyncSession` via `Depends(get_db)`"
    MESSAGE = (
        "The session parameter is not injected with Depends(): take it from "
        "the app's session dependency, e.g. db: AsyncSession = Depends(get_db)."
    )
    ROLES = ROUTER
    VALID = (
        Example(
            "@router.get('/', response_model=list[ItemRead])\n"
            "async def list_items(db: AsyncSession = Depends(get_db)) -> list[Item]:\n"
            '    """List items."""\n'
            "    return await ItemService(db).list()\n",
            role="router",
        ),
        Example(
            "@router.get('/{item_id}', response_model=ItemRead)\n"
            "async def get_item(\n"
            "    item_id: int, db: Annotated[AsyncSession, Depends(get_db)]\n"
            ") -> ItemRead:\n"
            '    """Get an item."""\n'
            "    return await ItemService(db).get_by_id(item_id)\n",
            role="router",
        ),
        # The repository's own dependency, under another name.
        Example(
            "@router.get('/', response_model=list[OrderRead])\n"
            "async def list_orders(\n"
            "    session: AsyncSession = Depends(deps.get_db_session),\n"
            ") -> list[OrderRead]:\n"
            '    """List orders."""\n'
            "    return await OrderService(session).list()\n",
            role="router",
        ),
    )
    INVALID = (
        Example(
            "@router.get('/', response_model=list[ItemRead])\n"
            "def list_items(db: Session = Depends(get_db)) -> list[ItemRead]:\n"
            '    """List items."""\n'
            "    return ItemService(db).list()\n",
            role="router",
            line=2,
            column=16,
            message=(
                "db is a sync Session: inject db: AsyncSession = Depends(get_db) "
                "so database I/O does not block the event loop."
            ),
        ),
        Example(
            "@router.get('/', response_model=list[ItemRead])\n"
            "async def list_items(db: AsyncSession) -> list[ItemRead]:\n"
            '    """List items."""\n'
            "    return await ItemService(db).list()\n",
            role="router",
            line=2,
            column=22,
        ),
        # The fix names the dependency the module imports.
        Example(
            "from app.db import get_db_session\n\n\n"
            "@router.get('/{order_id}', response_model=OrderRead)\n"
            "async def get_order(order_id: int, session: AsyncSession) -> OrderRead:\n"
            '    """Get an order."""\n'
            "    return await OrderService(session).get_by_id(order_id)\n",
            role="router",
            line=5,
            column=36,
            message=(
                "session is not injected with Depends(): write session: "
                "AsyncSession = Depends(get_db_session) so the request's "
                "dependency opens and closes it."
            ),
        ),
        # A sync session behind another dependency keeps that dependency.
        Example(
            "@router.post('/', response_model=OrderRead)\n"
            "async def place_order(\n"
            "    payload: OrderIn,\n"
            "    session: Annotated[Session, Depends(get_sync_session)],\n"
            ") -> OrderRead:\n"
            '    """Place an order."""\n'
            "    return await OrderService(session).place(payload)\n",
            role="router",
            line=4,
            column=5,
            message=(
                "session is a sync Session: inject session: AsyncSession = "
                "Depends(get_sync_session) so database I/O does not block the "
                "event loop."
            ),
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        """Start a file: reports wait for every dependency to be seen."""
        self._dependencies = SessionDependencies()
        self._pending: list[tuple[cst.Param, str, str | None]] = []

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        """Note imported session dependencies."""
        self._dependencies.see_import(node)

    def visit_Call(self, node: cst.Call) -> None:
        """Note ``Depends(...)`` of a session dependency."""
        self._dependencies.see_call(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Check the session parameters of a route handler."""
        self._dependencies.see_name(node.name.value)
        if _route(node) is None:
            return
        for param in (*node.params.params, *node.params.kwonly_params):
            found = _session_injection(param)
            if found is None:
                continue
            kind, depends = found
            if kind == "sync" or depends is None:
                self._pending.append((param, kind, depends or None))

    def leave_Module(self, original_node: cst.Module) -> None:
        """Report, naming the module's own session dependency."""
        best = self._dependencies.best()
        for param, kind, depends in self._pending:
            name = param.name.value
            dependency = depends or best
            if kind == "sync":
                fix = (
                    f"inject {name}: AsyncSession = Depends({dependency})"
                    if dependency
                    else "inject an AsyncSession from the app's session dependency"
                )
                self.report(
                    param,
                    f"{name} is a sync Session: {fix} so database I/O does not "
                    "block the event loop.",
                )
            elif dependency:
                self.report(
                    param,
                    f"{name} is not injected with Depends(): write {name}: "
                    f"AsyncSession = Depends({dependency}) so the request's "
                    "dependency opens and closes it.",
                )
            else:
                self.report(param)


class NoHandMadeSessionRule(Rule):
    """Routers never open a database session themselves.

    A session made in a handler escapes the ``get_db`` dependency that closes
    it and that tests override; it leaks connections and cannot be faked.
    """

    ID = "RTR003"
    PATTERN = PATTERN
    SUMMARY = "No session created by hand in a router"
    AGENT_TEXT = "Inject `AsyncSession` via `Depends(get_db)`"
    MESSAGE = (
        "A database session is created by hand in a router: take it from the "
        "app's session dependency with Depends() instead."
    )
    ROLES = ROUTER
    VALID = (
        Example(
            "async def list_items(db: AsyncSession = Depends(get_db)) -> list[Item]:\n"
            '    """List items."""\n'
            "    return await ItemService(db).list()\n",
            role="router",
        ),
        Example(
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n"
            "def annotate(db: AsyncSession) -> None:\n"
            '    """Only names the type."""\n'
            "    http = requests.Session()\n",
            role="router",
        ),
    )
    INVALID = (
        Example(
            "async def list_items() -> list[Item]:\n"
            '    """List items."""\n'
            "    async with SessionLocal() as db:\n"
            "        return await ItemService(db).list()\n",
            role="router",
            line=3,
            column=16,
        ),
        Example(
            "def count() -> int:\n"
            '    """Count items."""\n'
            "    db = database.Session(bind=engine)\n"
            "    return ItemService(db).count()\n",
            role="router",
            line=3,
            column=10,
        ),
        # The fix names the dependency the module's other handlers use.
        Example(
            "@router.get('/', response_model=list[OrderRead])\n"
            "async def list_orders(\n"
            "    session: AsyncSession = Depends(get_async_session),\n"
            ") -> list[OrderRead]:\n"
            '    """List orders."""\n'
            "    return await OrderService(session).list()\n\n\n"
            "async def count_orders() -> int:\n"
            '    """Count orders."""\n'
            "    async with async_session_maker() as session:\n"
            "        return await OrderService(session).count()\n",
            role="router",
            line=11,
            column=16,
            message=(
                "A database session is created by hand in a router: take it as "
                "db: AsyncSession = Depends(get_async_session) instead."
            ),
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        """Start a file: reports wait for every dependency to be seen."""
        self._dependencies = SessionDependencies()
        self._pending: list[cst.Call] = []

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        """Note imported session dependencies."""
        self._dependencies.see_import(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Note session dependencies the module defines."""
        self._dependencies.see_name(node.name.value)

    def visit_Call(self, node: cst.Call) -> None:
        """Flag calls that build a session or session factory."""
        self._dependencies.see_call(node)
        func = node.func
        if isinstance(func, cst.Name) and func.value in HAND_MADE_SESSIONS:
            self._pending.append(node)
        elif (
            isinstance(func, cst.Attribute)
            and func.attr.value in HAND_MADE_SESSIONS
            # requests.Session() / httpx sessions are HTTP clients, not databases.
            and (func.attr.value != "Session" or code(func.value) in SQL_MODULES)
        ):
            self._pending.append(node)

    def leave_Module(self, original_node: cst.Module) -> None:
        """Report, naming the module's own session dependency when it has one."""
        best = self._dependencies.best()
        for call in self._pending:
            if best is None:
                self.report(call)
            else:
                self.report(
                    call,
                    "A database session is created by hand in a router: take it "
                    f"as db: AsyncSession = Depends({best}) instead.",
                )


class NoDataAccessInRouterRule(Rule):
    """Routers delegate to a service; they do not query the database.

    Queries and writes in a handler duplicate business logic the service
    owns, and make the handler untestable without a database.
    """

    ID = "RTR004"
    PATTERN = PATTERN
    SUMMARY = "Handlers delegate to a service (no select/execute/add/commit)"
    AGENT_TEXT = "Instantiate service with session, delegate business logic"
    MESSAGE = (
        "Database access in a router: move it into the resource's service and "
        "call service methods from the handler."
    )
    ROLES = ROUTER
    VALID = (
        Example(
            "async def create_item(\n"
            "    payload: ItemCreate, db: AsyncSession = Depends(get_db)\n"
            ") -> ItemRead:\n"
            '    """Create an item."""\n'
            "    service = ItemService(db)\n"
            "    return await service.create(payload)\n",
            role="router",
        ),
        Example(
            "def tags(names: list[str]) -> set[str]:\n"
            '    """Collect tags."""\n'
            "    seen: set[str] = set()\n"
            "    for name in names:\n"
            "        seen.add(name)\n"
            "    return seen\n",
            role="router",
        ),
    )
    INVALID = (
        Example(
            "async def list_items(db: AsyncSession = Depends(get_db)) -> list[Item]:\n"
            '    """List items."""\n'
            "    result = await db.execute(select(Item))\n"
            "    return list(result.scalars())\n",
            role="router",
            line=3,
            column=20,
            message=(
                "db.execute() in a router: move database access into the "
                "resource's service and call service methods from the handler."
            ),
            count=2,
        ),
        Example(
            "async def create_item(\n"
            "    payload: ItemCreate, db: AsyncSession = Depends(get_db)\n"
            ") -> Item:\n"
            '    """Create an item."""\n'
            "    item = Item(**payload.model_dump())\n"
            "    db.add(item)\n"
            "    await db.commit()\n"
            "    return item\n",
            role="router",
            line=6,
            column=5,
            message=(
                "db.add() in a router: move database access into the "
                "resource's service and call service methods from the handler."
            ),
            count=2,
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        """Flag ``select(...)`` and session method calls."""
        if isinstance(node.func, cst.Name) and node.func.value == "select":
            self.report(node, self.MESSAGE.replace("Database access", "select()"))
            return
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in SESSION_CALLS):
            return
        receiver = func.value
        if isinstance(receiver, cst.Attribute):
            receiver = receiver.attr
        if isinstance(receiver, cst.Name) and receiver.value in SESSION_NAMES:
            self.report(
                node,
                f"{code(func)}() in a router: move database access into the "
                "resource's service and call service methods from the handler.",
            )


# Return annotations FastAPI cannot serialize through: they name no schema.
_SHAPELESS = frozenset({"Any", "dict", "Dict", "object", "Mapping", "JSONType"})


def _shapeless(annotation: cst.BaseExpression) -> bool:
    """Whether a return annotation names no schema (``Any``, ``dict[str, X]``)."""
    if isinstance(annotation, cst.Subscript):
        annotation = annotation.value
    name = code(annotation).rpartition(".")[2]
    return name in _SHAPELESS


class _Returns(cst.CSTVisitor):
    """A handler's own return values (not those of functions nested in it).

    Also the names it binds to a ``...Response(...)`` (``response =
    RedirectResponse(url)``, cookies set, ``return response``).
    """

    def __init__(self) -> None:
        """Start with nothing seen."""
        super().__init__()
        self.values: list[cst.BaseExpression] = []
        self.responses: set[str] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        """Skip nested functions: their returns are not the handler's."""
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        """Skip lambdas."""
        return False

    def visit_Return(self, node: cst.Return) -> None:
        """Note a returned value."""
        if node.value is not None:
            self.values.append(node.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        """Note ``name = XResponse(...)``."""
        if _builds_response(node.value):
            self.responses.update(code(target.target) for target in node.targets)


_API_ROUTER = call_to("APIRouter")


def _hidden(call: cst.Call) -> bool:
    """Whether a route or router call says ``include_in_schema=False``."""
    flag = keyword(call, "include_in_schema")
    return flag is not None and m.matches(flag.value, m.Name("False"))


def _builds_response(value: cst.BaseExpression) -> bool:
    """Whether a returned value is a ``...Response(...)``: no model applies."""
    return isinstance(value, cst.Call) and code(value.func).endswith("Response")


def _returned_schema(node: cst.FunctionDef) -> str | None:
    """Return ``X`` when the handler returns ``X(...)``, ``X.model_validate(...)``.

    Or ``X(...).model_dump()``: the schema the body is built from.
    """
    for found in m.findall(node.body, m.Return(value=m.Call())):
        call = cst.ensure_type(cst.ensure_type(found, cst.Return).value, cst.Call)
        func = call.func
        while isinstance(func, cst.Attribute):
            # X(...).model_dump(), X.model_validate(row).model_dump()
            func = func.value.func if isinstance(func.value, cst.Call) else func.value
        if (
            isinstance(func, cst.Name)
            and func.value[:1].isupper()
            and not func.value.endswith("Response")
        ):
            return func.value
    return None


class ResponseModelOnRoutesRule(Rule):
    """Every route that returns a body declares its response model.

    The response model filters and documents what leaves the API; without it
    an ORM object may leak columns the client must not see. FastAPI takes it
    from ``response_model=`` or, failing that, from the handler's return
    annotation: either will do. An annotation that names no schema (``Any``,
    ``dict``) does not count; one that is a ``Response`` class needs none.
    """

    ID = "RTR005"
    PATTERN = PATTERN
    SUMMARY = "Routes that return a body set response_model= (or annotate it)"
    AGENT_TEXT = "Use `response_model` for serialization"
    MESSAGE = (
        "This route returns a body but sets no response_model= and no return "
        "annotation: declare the schema it returns (response_model= or -> Schema)."
    )
    ROLES = ROUTER
    VALID = (
        Example(
            "@router.get('/{item_id}', response_model=ItemRead)\n"
            "async def get_item(item_id: int) -> ItemRead:\n"
            '    """Get an item."""\n',
            role="router",
        ),
        Example(
            "@router.delete('/{item_id}', status_code=status.HTTP_204_NO_CONTENT)\n"
            "async def delete_item(item_id: int) -> None:\n"
            '    """Delete an item."""\n',
            role="router",
        ),
        # No return value, no annotation: no body to describe.
        Example(
            "@router.post('/{case_id}/watchers/{email}')\n"
            "def add_watcher(case_id: int, email: str, tasks: BackgroundTasks):\n"
            '    """Add a watcher in the background."""\n'
            "    tasks.add_task(notify_watcher, case_id, email)\n",
            role="router",
        ),
        # A handler that builds its own Response; a route outside the docs.
        Example(
            "@router.post('/{order_id}/refund')\n"
            "async def refund(order_id: int) -> Any:\n"
            '    """Refund, then go back to the order page."""\n'
            "    return RedirectResponse(f'/orders/{order_id}', 303)\n\n\n"
            "@router.post('/{order_id}/hold')\n"
            "async def hold(order_id: int) -> Any:\n"
            '    """Hold the order, then go back to it."""\n\n'
            "    def fallback() -> list[str]:\n"
            "        return []\n\n"
            "    response = RedirectResponse(f'/orders/{order_id}', 303)\n"
            "    response.set_cookie('held', 'yes')\n"
            "    return response\n\n\n"
            "@router.post('/events', include_in_schema=False)\n"
            "async def events(request: Request) -> dict[str, str]:\n"
            '    """Acknowledge a webhook."""\n'
            "    return {'ok': 'yes'}\n",
            role="router",
        ),
        # A router kept out of the API docs: its routes need no schema.
        Example(
            "wk = APIRouter(prefix='/.well-known', include_in_schema=False)\n\n\n"
            "@wk.get('/jwks.json')\n"
            "async def jwks() -> dict[str, Any]:\n"
            '    """Publish the public keys."""\n'
            "    return settings.JWKS.as_dict()\n",
            role="router",
        ),
        # FastAPI uses the return annotation as the response model.
        Example(
            "@router.get('/{invoice_id}')\n"
            "async def get_invoice(invoice_id: int) -> InvoicePublic:\n"
            '    """Get an invoice."""\n\n\n'
            "@router.get('/{invoice_id}/pdf')\n"
            "async def invoice_pdf(invoice_id: int) -> StreamingResponse:\n"
            '    """Stream the invoice as PDF."""\n',
            role="router",
        ),
    )
    INVALID = (
        Example(
            "@router.get('/{item_id}')\n"
            "async def get_item(item_id: int):\n"
            '    """Get an item."""\n'
            "    return await items.get(item_id)\n",
            role="router",
            line=1,
            column=2,
        ),
        Example(
            "@router.get('/', response_model=list[ItemRead])\n"
            "async def list_items() -> list[ItemRead]:\n"
            '    """List items."""\n\n\n'
            "@router.put('/{item_id}', status_code=status.HTTP_200_OK)\n"
            "async def replace_item(item_id: int, payload: ItemCreate):\n"
            '    """Replace an item."""\n'
            "    return ItemRead.model_validate(item)\n",
            role="router",
            line=6,
            column=2,
            message=(
                "This route returns a body but sets no response_model= and no "
                "return annotation: declare the schema it returns, e.g. "
                "response_model=ItemRead."
            ),
        ),
        # An annotation that names no schema is not a response model.
        Example(
            "@router.get('/{invoice_id}')\n"
            "async def get_invoice(invoice_id: int) -> dict[str, Any]:\n"
            '    """Get an invoice."""\n'
            "    return InvoicePublic(id=invoice_id).model_dump()\n",
            role="router",
            line=1,
            column=2,
            message=(
                "This route returns `dict[str, Any]`, which names no schema, and "
                "sets no response_model=: declare the schema it returns, e.g. "
                "response_model=InvoicePublic."
            ),
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        """Find the module's routers kept out of the API docs."""
        self._undocumented = {
            code(target.target)
            for statement in node.body
            if isinstance(statement, cst.SimpleStatementLine)
            for small in statement.body
            if isinstance(small, cst.Assign)
            and m.matches(small.value, _API_ROUTER)
            and _hidden(cst.ensure_type(small.value, cst.Call))
            for target in small.targets
        }

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Check the route decorator of a handler that returns something."""
        route = _route(node)
        if route is None:
            return
        _, call = route
        if _hidden(call) or code(cst.ensure_type(call.func, cst.Attribute).value) in (
            self._undocumented
        ):
            return  # a route outside the API docs (a webhook, .well-known)
        if keyword(call, "response_model") or keyword(call, "response_class"):
            return
        status_arg = keyword(call, "status_code")
        if status_arg is not None and (
            _status_constant(status_arg.value) == "HTTP_204_NO_CONTENT"
            or m.matches(status_arg.value, m.Integer("204"))
        ):
            return
        returns = node.returns.annotation if node.returns is not None else None
        if returns is not None and not _shapeless(returns):
            return  # None, a schema, or a Response class: FastAPI's own answer
        returned = _Returns()
        node.body.visit(returned)
        values = returned.values
        if not values:
            return  # returns nothing: there is no body to describe
        if any(
            _builds_response(value) or code(value) in returned.responses
            for value in values
        ):
            return  # builds its own Response: no model applies
        schema = _returned_schema(node)
        fix = (
            f"declare the schema it returns, e.g. response_model={schema}."
            if schema
            else "declare the schema it returns (response_model= or -> Schema)."
        )
        if returns is None:
            self.report(
                call,
                "This route returns a body but sets no response_model= and no "
                f"return annotation: {fix}",
            )
        else:
            self.report(
                call,
                f"This route returns `{code(returns)}`, which names no schema, "
                f"and sets no response_model=: {fix}",
            )


# Words of a path segment that name an action, not a collection: a POST to
# ``/token/new`` or ``/{id}/publish`` does something; it creates no resource.
_ACTION_WORDS = frozenset(
    {
        "new",
        "token",
        "refresh",
        "login",
        "logout",
        "verify",
        "confirm",
        "reset",
        "recover",
        "recovery",
        "search",
        "query",
        "send",
        "publish",
        "cancel",
        "activate",
        "deactivate",
        "retry",
        "run",
        "test",
        "preview",
        "validate",
        "check",
        "sync",
        "import",
        "export",
        "callback",
        "webhook",
    }
)
_CREATING_RECEIVER = re.compile(r"service|crud|repo|repository|manager|dao$", re.I)


def _action_path(path: cst.BaseExpression | None) -> bool:
    """Whether the route's last literal path segment is an action word."""
    if not isinstance(path, cst.SimpleString):
        return False
    value = path.evaluated_value
    text = value.decode() if isinstance(value, bytes) else value
    segments = [part for part in text.split("/") if part]
    if not segments or segments[-1].startswith("{"):
        return False
    words = re.split(r"[-_.]", segments[-1].lower())
    return any(word in _ACTION_WORDS for word in words)


def _creating_call(node: cst.FunctionDef) -> bool:
    """Whether the handler's body creates through a service, CRUD or session."""
    for found in m.findall(node.body, m.Call()):
        func = cst.ensure_type(found, cst.Call).func
        if isinstance(func, cst.Name) and func.value == "create":
            return True  # ``from .service import create``
        if not isinstance(func, cst.Attribute):
            continue
        method = func.attr.value
        receiver = code(func.value).rpartition(".")[2]
        if method in {"add", "add_all"} and receiver in SESSION_NAMES:
            return True
        # ItemService(db).create(...), item_service.create(...), crud.create_user
        if (method == "create" or method.startswith("create_")) and (
            isinstance(func.value, cst.Call) or _CREATING_RECEIVER.search(receiver)
        ):
            return True
    return False


def _takes_create_schema(node: cst.FunctionDef) -> bool:
    """Whether a parameter is a ``*Create*`` schema (``payload: ItemCreate``)."""
    return any(
        param.annotation is not None
        and any(
            "Create" in cst.ensure_type(name, cst.Name).value
            for name in m.findall(param.annotation, m.Name())
        )
        for param in (*node.params.params, *node.params.kwonly_params)
    )


def _declares_body(node: cst.FunctionDef, call: cst.Call) -> bool:
    """Whether a route says it answers with a body (a model or annotation)."""
    model = keyword(call, "response_model")
    if model is not None:
        return not m.matches(model.value, m.Name("None"))
    returns = node.returns.annotation if node.returns is not None else None
    return returns is not None and not m.matches(returns, m.Name("None"))


class CreatedAndNoContentStatusRule(Rule):
    """A POST that creates answers 201; a DELETE without a body answers 204.

    Clients and generated SDKs read the status to know what happened; 200 on
    a create or a delete hides it. A POST creates when the code says so, not
    its name: it takes a ``*Create`` schema, or its body calls a service's or
    CRUD module's ``create``/``create_*`` (``service.create(payload)``,
    ``crud.create_user(...)``) or ``session.add``; and its path does not end
    in an action word (``/token/new``, ``/{id}/publish``, ``/login``). A
    DELETE that declares a body (``response_model=`` or a return annotation)
    may answer 200 with it.
    """

    ID = "RTR006"
    PATTERN = PATTERN
    SUMMARY = "POST create -> status.HTTP_201_CREATED, DELETE -> HTTP_204_NO_CONTENT"
    AGENT_TEXT = "Return appropriate HTTP status codes"
    MESSAGE = (
        "A POST that creates must answer 201: add "
        "status_code=status.HTTP_201_CREATED to the route."
    )
    ROLES = ROUTER
    VALID = (
        Example(
            "@router.post('/', response_model=ItemRead, "
            "status_code=status.HTTP_201_CREATED)\n"
            "async def create_item(payload: ItemCreate) -> ItemRead:\n"
            '    """Create an item."""\n\n\n'
            "@router.delete('/{item_id}', status_code=status.HTTP_204_NO_CONTENT)\n"
            "async def delete_item(item_id: int) -> None:\n"
            '    """Delete an item."""\n',
            role="router",
        ),
        Example(
            "@router.post('/{item_id}/publish', response_model=ItemRead)\n"
            "async def publish_item(item_id: int) -> ItemRead:\n"
            '    """Publish an item (an action, not a create)."""\n',
            role="router",
        ),
        # A DELETE that answers with a body may answer 200.
        Example(
            "@router.delete('/{user_id}', response_model=Message)\n"
            "async def delete_user(user_id: int) -> Message:\n"
            '    """Delete a user."""\n'
            "    return Message(message='User deleted')\n",
            role="router",
        ),
        # Named "new", but it swaps a refresh token: nothing is created.
        Example(
            "@router.post('/new', response_model=TokenPair)\n"
            "async def new_tokens(refresh: RefreshIn) -> TokenPair:\n"
            '    """Swap a refresh token for a new pair."""\n'
            "    return TokenPair(access=security.create_access_token(refresh.sub))\n",
            role="router",
        ),
    )
    INVALID = (
        Example(
            "@router.post('/', response_model=ItemRead)\n"
            "async def create_item(payload: ItemCreate) -> ItemRead:\n"
            '    """Create an item."""\n',
            role="router",
            line=1,
            column=2,
        ),
        Example(
            "@router.delete('/{item_id}', response_model=None)\n"
            "def delete_item(item_id: int):\n"
            '    """Delete an item."""\n'
            "    items.delete(item_id)\n",
            role="router",
            line=1,
            column=2,
            message=(
                "A DELETE must answer 204: set "
                "status_code=status.HTTP_204_NO_CONTENT on the route."
            ),
        ),
        # Whatever its name, a handler that creates through its service.
        Example(
            "@router.post('/{org_id}/members', response_model=MemberRead)\n"
            "async def invite(\n"
            "    org_id: int, body: InviteIn, db: AsyncSession = Depends(get_db)\n"
            ") -> MemberRead:\n"
            '    """Invite someone into the organization."""\n'
            "    return await MemberService(db).create(org_id, body)\n",
            role="router",
            line=1,
            column=2,
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Check the status code of POST-create and DELETE routes."""
        route = _route(node)
        if route is None:
            return
        method, call = route
        path = call.args[0].value if call.args and not call.args[0].keyword else None
        if method == "post":
            if _action_path(path) or not (
                _takes_create_schema(node) or _creating_call(node)
            ):
                return
            wanted, number = "HTTP_201_CREATED", "201"
        elif method == "delete" and not _declares_body(node, call):
            wanted, number = "HTTP_204_NO_CONTENT", "204"
        else:
            return
        status_arg = keyword(call, "status_code")
        if status_arg is not None and (
            _status_constant(status_arg.value) == wanted
            or m.matches(status_arg.value, m.Integer(number))
        ):
            return
        if method == "post":
            self.report(call)
        else:
            self.report(
                call,
                "A DELETE must answer 204: set "
                "status_code=status.HTTP_204_NO_CONTENT on the route.",
            )


class StatusConstantsRule(Rule):
    """Status codes are written as ``status.HTTP_*`` constants.

    ``status.HTTP_404_NOT_FOUND`` says what it means; ``404`` makes the reader
    remember it, and a typo like ``402`` passes unnoticed.
    """

    ID = "RTR007"
    PATTERN = PATTERN
    SUMMARY = "HTTPException and routes use status.HTTP_* constants"
    AGENT_TEXT = "Use `HTTPException` with appropriate status codes in routers"
    MESSAGE = (
        "Bare status code: use the fastapi status constant (status.HTTP_...) "
        "as the Router Pattern does."
    )
    ROLES = ROUTER
    VALID = (
        Example(
            "raise HTTPException(\n"
            '    status_code=status.HTTP_404_NOT_FOUND, detail="Item not found"\n'
            ")\n",
            role="router",
        ),
        Example(
            "@router.post('/', response_model=ItemRead, "
            "status_code=status.HTTP_201_CREATED)\n"
            "async def create_item(payload: ItemCreate) -> ItemRead:\n"
            '    """Create an item."""\n',
            role="router",
        ),
    )
    INVALID = (
        Example(
            "from fastapi import status\n\n"
            'raise HTTPException(status_code=404, detail="Item not found")\n',
            role="router",
            line=3,
            column=33,
            message=(
                "Bare status code 404: write status.HTTP_404_NOT_FOUND as the "
                "Router Pattern does."
            ),
            suggestion=(
                "raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, "
                'detail="Item not found")'
            ),
        ),
        Example(
            "from fastapi import status\n\n\n"
            "@router.post('/', response_model=ItemRead, status_code=201)\n"
            "async def create_item(payload: ItemCreate) -> ItemRead:\n"
            '    """Create an item."""\n'
            "    raise HTTPException(409, 'exists')\n",
            role="router",
            line=4,
            column=56,
            message=(
                "Bare status code 201: write status.HTTP_201_CREATED as the "
                "Router Pattern does."
            ),
            suggestion=(
                "@router.post('/', response_model=ItemRead, "
                "status_code=status.HTTP_201_CREATED)"
            ),
            count=2,
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        """Flag integer status codes given to HTTPException or a route."""
        if called_name(node) == "HTTPException":
            first = node.args[0] if node.args and not node.args[0].keyword else None
            status_arg = keyword(node, "status_code") or first
        elif _route_method(node) is not None:
            status_arg = keyword(node, "status_code")
        else:
            return
        if status_arg is None or not isinstance(status_arg.value, cst.Integer):
            return
        number = status_arg.value
        constant = _constant_for(int(number.value))
        if constant is None:
            self.report(number)
            return
        self.report(
            number,
            f"Bare status code {number.value}: write {constant} as the Router "
            "Pattern does.",
            suggestion=constant,
        )
