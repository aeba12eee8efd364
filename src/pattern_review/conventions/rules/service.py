"""Convention rules: the service pattern.

A service gets its ``AsyncSession`` through ``__init__`` and keeps it as
``self._db``; its public methods are ``async``, optional parameters are
keyword-only, partial updates dump with ``exclude_unset=True``, and not-found
is ``None``/``False``: HTTP errors are the router's business.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m
from libcst.helpers import get_full_name_for_node

from pattern_review.conventions.rule import Example, Rule
from pattern_review.conventions.rules.vocabulary import (
    SESSION_FACTORIES,
    SESSION_TYPES,
    unannotated,
)

_UPDATE_PREFIXES = ("update", "patch", "partial_update")
_NOT_SERVICE_BASES = frozenset(
    {"Exception", "BaseException", "BaseModel", "Enum", "StrEnum", "IntEnum"}
)
_CONTEXT_MANAGER_METHODS = frozenset({"__aenter__", "__enter__"})


def _session_params(init: cst.FunctionDef) -> set[str]:
    """Return the ``__init__`` parameters annotated as a SQLAlchemy session."""
    names: set[str] = set()
    for param in (*init.params.params, *init.params.kwonly_params):
        if param.annotation is None:
            continue
        annotation = get_full_name_for_node(param.annotation.annotation) or ""
        if annotation.rpartition(".")[2] in SESSION_TYPES:
            names.add(param.name.value)
    return names


def _methods(cls: cst.ClassDef) -> list[cst.FunctionDef]:
    """Return the functions defined directly in a class body."""
    if not isinstance(cls.body, cst.IndentedBlock):
        return []
    return [item for item in cls.body.body if isinstance(item, cst.FunctionDef)]


def is_service_class(cls: cst.ClassDef) -> bool:
    """Return whether a class is a service: named ``*Service`` or session-fed.

    Args:
        cls: A class definition in a service module.

    Returns:
        True for a service class; exceptions, schemas and enums never are,
        nor a session-fed context manager (a unit of work a service opens,
        whose ``with`` body does the work), unless named ``*Service``.
    """
    bases = {get_full_name_for_node(base.value) or "" for base in cls.bases}
    if {base.rpartition(".")[2] for base in bases} & _NOT_SERVICE_BASES:
        return False
    if cls.name.value.endswith("Service"):
        return True
    names = {method.name.value for method in _methods(cls)}
    if names & _CONTEXT_MANAGER_METHODS:
        return False
    return any(
        method.name.value == "__init__" and _session_params(method)
        for method in _methods(cls)
    )


def _is_public(method: cst.FunctionDef) -> bool:
    return not method.name.value.startswith("_")


def _decorator_names(method: cst.FunctionDef) -> set[str]:
    return {
        (get_full_name_for_node(decorator.decorator) or "").rpartition(".")[2]
        for decorator in method.decorators
    }


class ServiceRule(Rule):
    """Shared wiring of the service family: services in service modules."""

    PATTERN = "service-pattern"
    ROLES = frozenset({"service"})

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        """Pass each service class of the module to ``check_service``."""
        if is_service_class(node):
            self.check_service(node)

    def check_service(self, cls: cst.ClassDef) -> None:
        """Report what this rule finds in one service class.

        Args:
            cls: A service class.
        """


class InjectedSessionRule(Rule):
    """A service receives its session; it never makes one.

    The request owns the session (``Depends(get_db)``) and hands it to the
    service's ``__init__``: one transaction per request, closed by FastAPI.
    A service that calls ``SessionLocal()``, ``sessionmaker(...)`` or
    ``AsyncSession(engine)`` opens a session nobody else commits or closes,
    and cannot be given a test session.
    """

    ID = "SVC001"
    PATTERN = "service-pattern"
    ROLES = frozenset({"service"})
    SUMMARY = "Services get the AsyncSession through __init__, never create one"
    AGENT_TEXT = "Inject `AsyncSession` via constructor"
    MESSAGE = (
        "Service creates its own database session; the service pattern injects "
        "the `AsyncSession` through `__init__`."
    )
    VALID = (
        Example(
            """\
            class ItemService:
                def __init__(self, db: AsyncSession) -> None:
                    self._db = db
            """,
            role="service",
        ),
        Example(
            """\
            async def count_items(db: AsyncSession) -> int:
                return await db.scalar(select(func.count(Item.id)))
            """,
            role="service",
        ),
    )
    INVALID = (
        Example(
            """\
            class ItemService:
                def __init__(self) -> None:
                    self._db = SessionLocal()
            """,
            role="service",
            line=3,
            column=20,
            message=(
                "Service creates its own database session with `SessionLocal()`; "
                "the service pattern injects the `AsyncSession` through "
                "`__init__`."
            ),
        ),
        Example(
            """\
            make_session = async_sessionmaker(engine)


            async def purge() -> None:
                async with AsyncSession(engine) as db:
                    await db.execute(delete(Item))
            """,
            role="service",
            line=1,
            column=16,
            message=(
                "Service creates its own database session with "
                "`async_sessionmaker()`; the service pattern injects the "
                "`AsyncSession` through `__init__`."
            ),
            count=2,
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        """Report a session factory call.

        Args:
            node: Any call.
        """
        name = get_full_name_for_node(node.func) or ""
        if name.rpartition(".")[2] in SESSION_FACTORIES:
            self.report(
                node,
                "Service creates its own database session with "
                f"`{name.rpartition('.')[2]}()`; the service pattern injects the "
                "`AsyncSession` through `__init__`.",
            )


def _method_session_params(method: cst.FunctionDef) -> list[cst.Param]:
    """Parameters of a method, past ``self``, annotated as a SQLAlchemy session."""
    found: list[cst.Param] = []
    for param in (*method.params.params[1:], *method.params.kwonly_params):
        if param.annotation is None:
            continue
        annotation = unannotated(param.annotation.annotation)
        name = get_full_name_for_node(annotation) or ""
        if name.rpartition(".")[2] in SESSION_TYPES:
            found.append(param)
    return found


class ConstructorSessionRule(ServiceRule):
    """Service methods use the constructor's session, not one passed to each.

    The service pattern builds a service per request with its session
    (``ItemService(db)``) and keeps it as ``self._db``; a method that takes
    ``session: AsyncSession`` leaves every caller to thread the session
    through, and two calls of one service may work on different sessions.
    Static and class methods are left alone (they have no instance).
    """

    ID = "SVC007"
    SUMMARY = "Service methods use self._db, not a session parameter"
    AGENT_TEXT = (
        "Inject `AsyncSession` via constructor\nStore session as `self._db` (private)"
    )
    MESSAGE = (
        "Service method takes the session as a parameter; the service pattern "
        "injects it through `__init__` and uses `self._db`."
    )
    VALID = (
        Example(
            """\
            class InvoiceService:
                def __init__(self, db: AsyncSession) -> None:
                    self._db = db

                async def get_by_id(self, invoice_id: int) -> Invoice | None:
                    return await self._db.get(Invoice, invoice_id)
            """,
            role="service",
        ),
        Example(
            """\
            class InvoiceService:
                @staticmethod
                async def count(session: AsyncSession) -> int:
                    return await session.scalar(select(func.count(Invoice.id)))


            async def purge(session: AsyncSession) -> None:
                await session.execute(delete(Invoice))
            """,
            role="service",
        ),
    )
    INVALID = (
        Example(
            """\
            class InvoiceService:
                async def get_by_id(
                    self, session: AsyncSession, invoice_id: int
                ) -> Invoice | None:
                    return await session.get(Invoice, invoice_id)
            """,
            role="service",
            line=3,
            column=15,
            message=(
                "`InvoiceService.get_by_id` takes the session as a parameter "
                "(`session`); the service pattern injects it through `__init__` "
                "and uses `self._db`."
            ),
        ),
        Example(
            """\
            class PayoutService:
                def __init__(self, db: AsyncSession) -> None:
                    self._db = db

                async def create(self, payload: PayoutCreate) -> Payout:
                    return Payout(**payload.model_dump())

                async def settle(self, payout: Payout, *, db: AsyncSession) -> None:
                    await db.commit()
            """,
            role="service",
            line=8,
            column=47,
            message=(
                "`PayoutService.settle` takes the session as a parameter (`db`); "
                "the service pattern injects it through `__init__` and uses "
                "`self._db`."
            ),
        ),
    )

    def check_service(self, cls: cst.ClassDef) -> None:
        """Report session parameters of instance methods.

        Args:
            cls: A service class.
        """
        for method in _methods(cls):
            if method.name.value == "__init__" or _decorator_names(method) & {
                "staticmethod",
                "classmethod",
            }:
                continue
            for param in _method_session_params(method):
                self.report(
                    param,
                    f"`{cls.name.value}.{method.name.value}` takes the session as "
                    f"a parameter (`{param.name.value}`); the service pattern "
                    "injects it through `__init__` and uses `self._db`.",
                )


class PrivateSessionRule(ServiceRule):
    """The injected session is stored as ``self._db``.

    The session is the service's own collaborator; a public ``self.db`` lets
    callers reach past the service into the database.
    """

    ID = "SVC002"
    SUMMARY = "The injected session is stored as private self._db"
    AGENT_TEXT = "Store session as `self._db` (private)"
    MESSAGE = (
        "Service stores its session publicly; the service pattern uses `self._db`."
    )
    VALID = (
        Example(
            """\
            class ItemService:
                def __init__(self, db: AsyncSession) -> None:
                    self._db = db
            """,
            role="service",
        ),
        Example(
            """\
            class ItemService:
                def __init__(self, db: AsyncSession, *, page_size: int = 20) -> None:
                    self._db = db
                    self.page_size = page_size
            """,
            role="service",
        ),
    )
    INVALID = (
        Example(
            """\
            class ItemService:
                def __init__(self, db: AsyncSession) -> None:
                    self.db = db
            """,
            role="service",
            line=3,
            column=9,
            message=(
                "Service `ItemService` stores its session as `self.db`; the service "
                "pattern keeps it private as `self._db`."
            ),
        ),
        Example(
            """\
            class Orders:
                def __init__(self, session: AsyncSession) -> None:
                    self.session = session
                    self.db = session
            """,
            role="service",
            line=3,
            column=9,
            message=(
                "Service `Orders` stores its session as `self.session`; the service "
                "pattern keeps it private as `self._db`."
            ),
            count=2,
        ),
    )

    def check_service(self, cls: cst.ClassDef) -> None:
        """Report public attributes that hold the injected session.

        Args:
            cls: A service class.
        """
        for init in _methods(cls):
            if init.name.value != "__init__":
                continue
            sessions = _session_params(init)
            for assign in m.findall(init.body, m.Assign()):
                assert isinstance(assign, cst.Assign)
                if not (
                    isinstance(assign.value, cst.Name)
                    and assign.value.value in sessions
                ):
                    continue
                for target in assign.targets:
                    if not m.matches(target.target, m.Attribute(value=m.Name("self"))):
                        continue
                    assert isinstance(target.target, cst.Attribute)
                    attr = target.target.attr.value
                    if not attr.startswith("_"):
                        self.report(
                            target.target,
                            f"Service `{cls.name.value}` stores its session as "
                            f"`self.{attr}`; the service pattern keeps it private "
                            "as `self._db`.",
                        )


class AsyncMethodsRule(ServiceRule):
    """Every public service method is ``async``.

    Service methods talk to the database through the ``AsyncSession``; a sync
    method either blocks the event loop or cannot await the session at all.
    Properties, static and class methods are left alone.
    """

    ID = "SVC003"
    SUMMARY = "All public service methods are async"
    AGENT_TEXT = "All methods are `async`"
    MESSAGE = "Service method is a sync `def`; the service pattern makes them `async`."
    VALID = (
        Example(
            """\
            class ItemService:
                def __init__(self, db: AsyncSession) -> None:
                    self._db = db

                async def get_by_id(self, item_id: int) -> Item | None:
                    return await self._db.get(Item, item_id)
            """,
            role="service",
        ),
        Example(
            """\
            class ItemService:
                @property
                def name(self) -> str:
                    return "items"

                @staticmethod
                def slug(title: str) -> str:
                    return title.lower()

                def _key(self, item_id: int) -> str:
                    return f"item:{item_id}"
            """,
            role="service",
        ),
        Example(
            """\
            class ItemUpdateContext:
                \"\"\"Side effects of several updates, sent once on exit.\"\"\"

                def __init__(self, session: AsyncSession) -> None:
                    self.session = session
                    self._events: list[str] = []

                async def __aenter__(self) -> ItemUpdateContext:
                    return self

                async def __aexit__(self, *exc_info: object) -> None:
                    await self.session.flush()

                def mark_changed(self, event: str) -> None:
                    self._events.append(event)
            """,
            role="service",
        ),
    )
    INVALID = (
        Example(
            """\
            class ItemService:
                def __init__(self, db: AsyncSession) -> None:
                    self._db = db

                def get_by_id(self, item_id: int) -> Item | None:
                    return self._db.get(Item, item_id)
            """,
            role="service",
            line=5,
            column=9,
            message=(
                "Service method `ItemService.get_by_id` is a sync `def`; the "
                "service pattern makes all service methods `async`."
            ),
        ),
        Example(
            """\
            class ReportService:
                def build(self) -> str:
                    return "report"

                def send(self) -> None:
                    pass
            """,
            role="service",
            line=2,
            column=9,
            message=(
                "Service method `ReportService.build` is a sync `def`; the service "
                "pattern makes all service methods `async`."
            ),
            count=2,
        ),
    )

    def check_service(self, cls: cst.ClassDef) -> None:
        """Report public sync methods.

        Args:
            cls: A service class.
        """
        for method in _methods(cls):
            if method.asynchronous is not None or not _is_public(method):
                continue
            if _decorator_names(method) & {"property", "staticmethod", "classmethod"}:
                continue
            self.report(
                method.name,
                f"Service method `{cls.name.value}.{method.name.value}` is a sync "
                "`def`; the service pattern makes all service methods `async`.",
            )


class KeywordOnlyOptionsRule(ServiceRule):
    """Optional parameters of service methods are keyword-only (``*,``).

    ``service.list(skip=0, limit=20)`` reads unambiguously at the call site;
    ``service.list(0, 20)`` does not, and reordering the options silently
    breaks callers.
    """

    ID = "SVC004"
    SUMMARY = "Optional service-method parameters are keyword-only"
    AGENT_TEXT = "Use keyword-only args for optional parameters (`*,`)"
    MESSAGE = (
        "Optional parameter can be passed by position; the service pattern makes "
        "optional parameters keyword-only (`*,`)."
    )
    VALID = (
        Example(
            """\
            class ItemService:
                async def list(self, *, skip: int = 0, limit: int = 20) -> list[Item]:
                    return []
            """,
            role="service",
        ),
        Example(
            """\
            class ItemService:
                def __init__(self, db: AsyncSession, ttl: int | None = None) -> None:
                    self._db = db

                async def _page(self, skip: int = 0) -> list[Item]:
                    return []
            """,
            role="service",
        ),
    )
    INVALID = (
        Example(
            """\
            class ItemService:
                async def list(self, skip: int = 0, limit: int = 20) -> list[Item]:
                    return []
            """,
            role="service",
            line=2,
            column=26,
            message=(
                "Optional parameter `skip` of `ItemService.list` can be passed by "
                "position; the service pattern makes optional parameters "
                "keyword-only (`*,`)."
            ),
            count=2,
        ),
        Example(
            """\
            class ItemService:
                async def search(
                    self,
                    text: str,
                    exact: bool = False,
                    *,
                    limit: int = 20,
                ) -> list[Item]:
                    return []
            """,
            role="service",
            line=5,
            column=9,
            message=(
                "Optional parameter `exact` of `ItemService.search` can be passed "
                "by position; the service pattern makes optional parameters "
                "keyword-only (`*,`)."
            ),
        ),
    )

    def check_service(self, cls: cst.ClassDef) -> None:
        """Report positional parameters with defaults of public methods.

        Args:
            cls: A service class.
        """
        for method in _methods(cls):
            if not _is_public(method):
                continue
            for param in method.params.params:
                if param.default is not None:
                    self.report(
                        param.name,
                        f"Optional parameter `{param.name.value}` of "
                        f"`{cls.name.value}.{method.name.value}` can be passed by "
                        "position; the service pattern makes optional parameters "
                        "keyword-only (`*,`).",
                    )


_EXCLUDE_UNSET = cst.Arg(
    keyword=cst.Name("exclude_unset"),
    value=cst.Name("True"),
    equal=cst.AssignEqual(
        whitespace_before=cst.SimpleWhitespace(""),
        whitespace_after=cst.SimpleWhitespace(""),
    ),
)


class PartialUpdateRule(ServiceRule):
    """Partial updates dump the payload with ``exclude_unset=True``.

    An update schema has every field optional; a plain ``model_dump()`` turns
    each field the client did not send into ``None`` and overwrites the stored
    value with it.
    """

    ID = "SVC005"
    SUMMARY = "update* methods use model_dump(exclude_unset=True)"
    AGENT_TEXT = "Use `model_dump(exclude_unset=True)` for partial updates"
    MESSAGE = (
        "Update dumps the payload without `exclude_unset=True`; the service "
        "pattern uses `model_dump(exclude_unset=True)` for partial updates."
    )
    VALID = (
        Example(
            """\
            class ItemService:
                async def update(self, item: Item, payload: ItemUpdate) -> Item:
                    for field, value in payload.model_dump(exclude_unset=True).items():
                        setattr(item, field, value)
                    return item
            """,
            role="service",
        ),
        Example(
            """\
            class ItemService:
                async def create(self, payload: ItemCreate) -> Item:
                    return Item(**payload.model_dump())
            """,
            role="service",
        ),
    )
    INVALID = (
        Example(
            """\
            class ItemService:
                async def update(self, item: Item, payload: ItemUpdate) -> Item:
                    for field, value in payload.model_dump().items():
                        setattr(item, field, value)
                    return item
            """,
            role="service",
            line=3,
            column=29,
            message=(
                "`ItemService.update` dumps the payload without "
                "`exclude_unset=True`; the service pattern uses "
                "`model_dump(exclude_unset=True)` for partial updates."
            ),
            suggestion=(
                "        for field, value in "
                "payload.model_dump(exclude_unset=True).items():"
            ),
        ),
        Example(
            """\
            class ItemService:
                async def update_status(self, item: Item, payload: StatusIn) -> None:
                    values = payload.model_dump(exclude={"id"}, exclude_unset=False)
                    item.status = values["status"]
            """,
            role="service",
            line=3,
            column=18,
            message=(
                "`ItemService.update_status` dumps the payload without "
                "`exclude_unset=True`; the service pattern uses "
                "`model_dump(exclude_unset=True)` for partial updates."
            ),
        ),
    )

    def check_service(self, cls: cst.ClassDef) -> None:
        """Report ``model_dump`` calls of update methods that keep unset fields.

        Args:
            cls: A service class.
        """
        for method in _methods(cls):
            if not method.name.value.startswith(_UPDATE_PREFIXES):
                continue
            dumps = m.findall(
                method.body, m.Call(func=m.Attribute(attr=m.Name("model_dump")))
            )
            for call in dumps:
                assert isinstance(call, cst.Call)
                setting = next(
                    (
                        arg
                        for arg in call.args
                        if arg.keyword is not None
                        and arg.keyword.value == "exclude_unset"
                    ),
                    None,
                )
                if setting is not None and m.matches(setting.value, m.Name("True")):
                    continue
                fixed = None
                if setting is None:
                    fixed = cst.Module([]).code_for_node(
                        call.with_changes(args=[*call.args, _EXCLUDE_UNSET])
                    )
                self.report(
                    call,
                    f"`{cls.name.value}.{method.name.value}` dumps the payload "
                    "without `exclude_unset=True`; the service pattern uses "
                    "`model_dump(exclude_unset=True)` for partial updates.",
                    suggestion=fixed,
                )


class NoHttpInServiceRule(Rule):
    """Services report not-found as ``None``/``False``, never as HTTP errors.

    A service is used by routers, tasks and scripts alike; only the router
    knows the request, so only the router turns a missing row into a 404.
    A service that imports FastAPI or raises ``HTTPException`` ties business
    logic to one transport.
    """

    ID = "SVC006"
    PATTERN = "service-pattern"
    ROLES = frozenset({"service"})
    SUMMARY = "Services return None/False for not-found; no HTTPException, no FastAPI"
    AGENT_TEXT = (
        "Return `None` or `False` for not-found cases (let router handle HTTP errors)"
    )
    MESSAGE = (
        "Service uses FastAPI's HTTP errors; the service pattern returns `None` or "
        "`False` for not-found and lets the router raise `HTTPException`."
    )
    VALID = (
        Example(
            """\
            class ItemService:
                async def get_by_id(self, item_id: int) -> Item | None:
                    return await self._db.get(Item, item_id)
            """,
            role="service",
        ),
        Example(
            """\
            class ItemNotFoundError(LookupError):
                \"\"\"No item has the id.\"\"\"


            async def require(db: AsyncSession, item_id: int) -> Item:
                item = await db.get(Item, item_id)
                if item is None:
                    raise ItemNotFoundError(item_id)
                return item
            """,
            role="service",
        ),
    )
    INVALID = (
        Example(
            """\
            from fastapi import HTTPException, status


            class ItemService:
                async def get_by_id(self, item_id: int) -> Item:
                    item = await self._db.get(Item, item_id)
                    if item is None:
                        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND)
                    return item
            """,
            role="service",
            line=1,
            column=1,
            message=(
                "Service imports `HTTPException, status` from `fastapi`; the service "
                "pattern returns `None` or `False` for not-found and lets the "
                "router raise `HTTPException`."
            ),
            count=2,
        ),
        Example(
            """\
            import fastapi


            async def delete(db: AsyncSession, item_id: int) -> None:
                raise fastapi.HTTPException(404)
            """,
            role="service",
            line=1,
            column=1,
            message=(
                "Service imports `fastapi`; the service pattern returns `None` or "
                "`False` for not-found and lets the router raise `HTTPException`."
            ),
            count=2,
        ),
    )

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        """Report an import from FastAPI (or Starlette's HTTP errors).

        Args:
            node: A ``from x import y`` statement.
        """
        module = get_full_name_for_node(node.module) if node.module else None
        if module is None or not (
            module == "fastapi"
            or module.startswith("fastapi.")
            or module == "starlette.exceptions"
        ):
            return
        if isinstance(node.names, cst.ImportStar):
            names = "*"
        else:
            names = ", ".join(
                get_full_name_for_node(alias.name) or "" for alias in node.names
            )
        self.report(
            node,
            f"Service imports `{names}` from `{module}`; the service pattern "
            "returns `None` or `False` for not-found and lets the router raise "
            "`HTTPException`.",
        )

    def visit_Import(self, node: cst.Import) -> None:
        """Report ``import fastapi``.

        Args:
            node: An ``import x`` statement.
        """
        for alias in node.names:
            name = get_full_name_for_node(alias.name) or ""
            if name == "fastapi" or name.startswith("fastapi."):
                self.report(
                    node,
                    f"Service imports `{name}`; the service pattern returns `None` "
                    "or `False` for not-found and lets the router raise "
                    "`HTTPException`.",
                )

    def visit_Raise(self, node: cst.Raise) -> None:
        """Report ``raise HTTPException(...)``.

        Args:
            node: A raise statement.
        """
        raised = node.exc.func if isinstance(node.exc, cst.Call) else node.exc
        name = get_full_name_for_node(raised) if raised is not None else None
        if name is not None and name.rpartition(".")[2] == "HTTPException":
            self.report(
                node,
                "Service raises `HTTPException`; the service pattern returns "
                "`None` or `False` for not-found and lets the router raise "
                "`HTTPException`.",
            )
