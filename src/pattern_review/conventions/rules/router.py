"""Convention rules: router family (the agent file's Router Pattern).

Annotations on every handler parameter and return, and a docstring on every
handler, are also Router Pattern rules; ruff checks them (ANN, D103) and
cites style rules 2 and 3, so they are not repeated here.
"""

from __future__ import annotations

from http import HTTPStatus

import libcst as cst
import libcst.matchers as m

from pattern_review.config import Role
from pattern_review.conventions.rule import Example, Rule

PATTERN = "router-pattern"
ROUTER: frozenset[Role] = frozenset({"router"})
ROUTE_METHODS = frozenset({"get", "post", "put", "patch", "delete"})
SESSION_NAMES = frozenset({"db", "session", "_db", "_session", "db_session"})
SESSION_CALLS = frozenset(
    {"execute", "add", "add_all", "commit", "flush", "refresh", "delete", "scalars"}
)
HAND_MADE_SESSIONS = frozenset(
    {
        "SessionLocal",
        "AsyncSessionLocal",
        "async_session",
        "async_session_maker",
        "sessionmaker",
        "async_sessionmaker",
        "Session",
        "AsyncSession",
    }
)
SQL_MODULES = frozenset({"orm", "sqlalchemy.orm", "sa.orm", "database", "db"})
CREATE_PREFIXES = ("create", "add", "new", "register")

_ROUTE_CALL = m.Call(
    func=m.Attribute(
        value=m.Name(),
        attr=m.OneOf(*(m.Name(method) for method in sorted(ROUTE_METHODS))),
    )
)
_ROUTE_DECORATOR = m.Decorator(decorator=_ROUTE_CALL)


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _keyword(call: cst.Call, name: str) -> cst.Arg | None:
    return next(
        (arg for arg in call.args if arg.keyword and arg.keyword.value == name), None
    )


def _route(node: cst.FunctionDef) -> tuple[str, cst.Call] | None:
    """Return the HTTP method and decorator call of a route handler."""
    for decorator in node.decorators:
        if m.matches(decorator, _ROUTE_DECORATOR):
            call = cst.ensure_type(decorator.decorator, cst.Call)
            method = cst.ensure_type(call.func, cst.Attribute).attr.value
            return method, call
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


class RouterPrefixAndTags(Rule):
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
    )

    def visit_Call(self, node: cst.Call) -> None:
        """Check the keywords of an ``APIRouter(...)`` call."""
        if not m.matches(
            node,
            m.Call(func=m.Name("APIRouter") | m.Attribute(attr=m.Name("APIRouter"))),
        ):
            return
        missing = [
            name
            for name in ("prefix", "tags")
            if _keyword(node, name) is None and self.context.asks_for(self.ID, name)
        ]
        if any(arg.star for arg in node.args) or not missing:
            return
        self.report(
            node,
            self.MESSAGE.replace(
                "prefix= and tags=", " and ".join(f"{name}=" for name in missing)
            ),
        )


class SessionViaDepends(Rule):
    """Handlers receive an ``AsyncSession`` through ``Depends(get_db)``.

    One dependency owns the session's lifetime (open, commit, close); a sync
    ``Session`` blocks the event loop, and a session parameter without the
    dependency is not a session at all.
    """

    ID = "RTR002"
    PATTERN = PATTERN
    SUMMARY = "Handlers take db: AsyncSession = Depends(get_db)"
    AGENT_TEXT = "Inject `AsyncSession` via `Depends(get_db)`"
    MESSAGE = (
        "The session parameter is not injected as AsyncSession with "
        "Depends(get_db): write db: AsyncSession = Depends(get_db)."
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
        Example(
            "@router.get('/', response_model=list[ItemRead])\n"
            "async def list_items(\n"
            "    session: AsyncSession = Depends(get_session),\n"
            ") -> list[ItemRead]:\n"
            '    """List items."""\n'
            "    return await ItemService(session).list()\n",
            role="router",
            line=3,
            column=5,
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Check the session parameters of a route handler."""
        if _route(node) is None:
            return
        for param in (*node.params.params, *node.params.kwonly_params):
            if param.annotation is None:
                continue
            annotation = param.annotation.annotation
            depends = m.Call(
                func=m.Name("Depends"), args=[m.Arg(value=m.Name("get_db"))]
            )
            if m.matches(
                annotation,
                m.Subscript(
                    value=m.Name("Annotated"),
                    slice=[
                        m.SubscriptElement(slice=m.Index(value=m.Name("AsyncSession"))),
                        m.SubscriptElement(slice=m.Index(value=depends)),
                    ],
                ),
            ):
                continue
            if m.matches(
                annotation, m.Name("Session") | m.Attribute(attr=m.Name("Session"))
            ):
                self.report(
                    param,
                    f"{param.name.value} is a sync Session: inject "
                    f"{param.name.value}: AsyncSession = Depends(get_db) so "
                    "database I/O does not block the event loop.",
                )
            elif m.matches(
                annotation,
                m.Name("AsyncSession") | m.Attribute(attr=m.Name("AsyncSession")),
            ) and not (param.default is not None and m.matches(param.default, depends)):
                self.report(param)


class NoHandMadeSession(Rule):
    """Routers never open a database session themselves.

    A session made in a handler escapes the ``get_db`` dependency that closes
    it and that tests override; it leaks connections and cannot be faked.
    """

    ID = "RTR003"
    PATTERN = PATTERN
    SUMMARY = "No session created by hand in a router"
    AGENT_TEXT = "Inject `AsyncSession` via `Depends(get_db)`"
    MESSAGE = (
        "A database session is created by hand in a router: take it as "
        "db: AsyncSession = Depends(get_db) instead."
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
    )

    def visit_Call(self, node: cst.Call) -> None:
        """Flag calls that build a session or session factory."""
        func = node.func
        if isinstance(func, cst.Name) and func.value in HAND_MADE_SESSIONS:
            self.report(node)
        elif (
            isinstance(func, cst.Attribute)
            and func.attr.value in HAND_MADE_SESSIONS
            # requests.Session() / httpx sessions are HTTP clients, not databases.
            and (func.attr.value != "Session" or _code(func.value) in SQL_MODULES)
        ):
            self.report(node)


class NoDataAccessInRouter(Rule):
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
        if m.matches(node, m.Call(func=m.Name("select"))):
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
                f"{_code(func)}() in a router: move database access into the "
                "resource's service and call service methods from the handler.",
            )


class ResponseModelOnRoutes(Rule):
    """Every route that returns a body declares ``response_model``.

    The response model filters and documents what leaves the API; without it
    an ORM object may leak columns the client must not see.
    """

    ID = "RTR005"
    PATTERN = PATTERN
    SUMMARY = "Routes that return a body set response_model="
    AGENT_TEXT = "Use `response_model` for serialization"
    MESSAGE = (
        "This route returns a body but sets no response_model=: declare the "
        "Read schema, e.g. response_model=ResourceRead."
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
    )
    INVALID = (
        Example(
            "@router.get('/{item_id}')\n"
            "async def get_item(item_id: int) -> ItemRead:\n"
            '    """Get an item."""\n',
            role="router",
            line=1,
            column=2,
        ),
        Example(
            "@router.get('/', response_model=list[ItemRead])\n"
            "async def list_items() -> list[ItemRead]:\n"
            '    """List items."""\n\n\n'
            "@router.put('/{item_id}', status_code=status.HTTP_200_OK)\n"
            "async def replace_item(item_id: int, payload: ItemCreate) -> ItemRead:\n"
            '    """Replace an item."""\n',
            role="router",
            line=6,
            column=2,
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Check the route decorator of a handler that returns something."""
        route = _route(node)
        if route is None:
            return
        _, call = route
        if _keyword(call, "response_model") or _keyword(call, "response_class"):
            return
        status_arg = _keyword(call, "status_code")
        if status_arg is not None and (
            _status_constant(status_arg.value) == "HTTP_204_NO_CONTENT"
            or m.matches(status_arg.value, m.Integer("204"))
        ):
            return
        if node.returns is not None and m.matches(
            node.returns.annotation, m.Name("None")
        ):
            return
        self.report(call)


class CreatedAndNoContentStatus(Rule):
    """A POST that creates answers 201; a DELETE answers 204.

    Clients and generated SDKs read the status to know what happened; 200 on
    a create or a delete hides it.
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
            "@router.delete('/{item_id}', status_code=status.HTTP_200_OK)\n"
            "async def delete_item(item_id: int) -> None:\n"
            '    """Delete an item."""\n',
            role="router",
            line=1,
            column=2,
            message=(
                "A DELETE must answer 204: set "
                "status_code=status.HTTP_204_NO_CONTENT on the route."
            ),
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Check the status code of POST-create and DELETE routes."""
        route = _route(node)
        if route is None:
            return
        method, call = route
        path = call.args[0].value if call.args and not call.args[0].keyword else None
        creates = node.name.value.startswith(CREATE_PREFIXES) or (
            isinstance(path, cst.SimpleString) and path.evaluated_value in {"", "/"}
        )
        if method == "post" and creates:
            wanted, code = "HTTP_201_CREATED", "201"
        elif method == "delete":
            wanted, code = "HTTP_204_NO_CONTENT", "204"
        else:
            return
        status_arg = _keyword(call, "status_code")
        if status_arg is not None and (
            _status_constant(status_arg.value) == wanted
            or m.matches(status_arg.value, m.Integer(code))
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


class StatusConstants(Rule):
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
        if m.matches(
            node,
            m.Call(
                func=m.Name("HTTPException") | m.Attribute(attr=m.Name("HTTPException"))
            ),
        ):
            first = node.args[0] if node.args and not node.args[0].keyword else None
            status_arg = _keyword(node, "status_code") or first
        elif m.matches(node, _ROUTE_CALL):
            status_arg = _keyword(node, "status_code")
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
