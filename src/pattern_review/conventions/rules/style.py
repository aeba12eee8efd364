"""Convention rules: the numbered style rules that ruff does not check.

Ruff runs the selection in ``catalog.RUFF_STYLE_SELECT`` for style rules 1-7
and 9-11; this family carries only #8 (constant names), #12 (the Pydantic v2
API) and #14 (``async def`` for I/O). #13 (``Mapped[]``) is in the model family.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import libcst as cst
import libcst.matchers as m
from libcst.helpers import get_full_name_for_node

from pattern_review.conventions.roles import CODE_ROLES
from pattern_review.conventions.rule import Example, Rule
from pattern_review.conventions.rules.task import task_decorator
from pattern_review.conventions.rules.vocabulary import SYNC_SESSION, unannotated

# Module-level names that frameworks require in lower case (Alembic revisions).
_REQUIRED_LOWERCASE_NAMES = frozenset(
    {"revision", "down_revision", "branch_labels", "depends_on"}
)
# Config modules read by name (Celery, gunicorn, Sphinx): their settings are
# lower case by contract.
_CONFIG_MODULE = re.compile(r"(?:^|[._])conf\.py$|^celeryconfig\.py$")

_NUMBER = m.Integer() | m.Float() | m.Imaginary()
_STRING = m.SimpleString() | m.ConcatenatedString()


def _is_literal(node: cst.BaseExpression) -> bool:
    """Return whether ``node`` is a constant literal (number, string, tuple...)."""
    if m.matches(node, _NUMBER | m.SimpleString()):
        return True
    if isinstance(node, cst.ConcatenatedString):
        return _is_literal(node.left) and _is_literal(node.right)
    if m.matches(node, m.UnaryOperation(operator=m.Minus(), expression=_NUMBER)):
        return True
    if isinstance(node, cst.Tuple):
        return all(_is_literal(element.value) for element in node.elements)
    if m.matches(node, m.Call(func=m.Name("frozenset"), args=[m.Arg(keyword=None)])):
        assert isinstance(node, cst.Call)
        items = node.args[0].value
        if isinstance(items, cst.Tuple | cst.Set | cst.List):
            return all(_is_literal(element.value) for element in items.elements)
    return False


def _screaming(name: str) -> str:
    """Return ``name`` in SCREAMING_SNAKE_CASE (``DefaultTimeout`` -> ...)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper()


class ConstantNameRule(Rule):
    """Module-level constants are named in SCREAMING_SNAKE_CASE.

    A module-level name bound once to a literal (number, string, tuple or
    frozenset of literals) is a constant; its name tells readers it never
    changes. ``mixedCase`` names are left to ruff (N816), dunders such as
    ``__all__`` and names that frameworks require in lower case (Alembic's
    ``revision``, settings of ``celeryconfig.py``/``*conf.py``) are skipped.
    """

    ID = "STY008"
    PATTERN = "style-rules#8"
    SUMMARY = "Module-level constants use SCREAMING_SNAKE_CASE"
    AGENT_TEXT = "`SCREAMING_SNAKE_CASE` - For constants"
    MESSAGE = (
        "Module-level constant is not SCREAMING_SNAKE_CASE; style rule 8 names "
        "constants in SCREAMING_SNAKE_CASE."
    )
    VALID = (
        Example(
            """\
            DEFAULT_PAGE_SIZE = 20
            _RETRY_DELAYS = (1, 5, 30)
            __all__ = ["DEFAULT_PAGE_SIZE"]
            """
        ),
        Example(
            """\
            import logging

            from fastapi import APIRouter

            logger = logging.getLogger(__name__)
            router = APIRouter(prefix="/items", tags=["items"])
            counter = 0
            counter += 1
            """,
            role="router",
        ),
        Example(
            """\
            revision = "3f2a1b"
            down_revision = None
            """
        ),
    )
    INVALID = (
        Example(
            """\
            default_page_size = 20
            """,
            line=1,
            column=1,
            message=(
                "Module-level constant `default_page_size` is not "
                "SCREAMING_SNAKE_CASE; style rule 8 names constants like "
                "`DEFAULT_PAGE_SIZE`."
            ),
        ),
        Example(
            """\
            from typing import Final

            MAX_ITEMS = 100
            RetryDelays: Final = (1, 5, 30)
            _allowed_kinds = frozenset({"a", "b"})
            """,
            line=4,
            column=1,
            message=(
                "Module-level constant `RetryDelays` is not SCREAMING_SNAKE_CASE; "
                "style rule 8 names constants like `RETRY_DELAYS`."
            ),
            count=2,
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        """Find names bound once, at module level, to a literal.

        Args:
            node: The module.
        """
        self._candidates: list[cst.Name] = []
        self._bindings: dict[str, int] = {}
        self._rebound: set[str] = set()
        if _CONFIG_MODULE.search(PurePosixPath(self.context.path).name):
            return
        for statement in node.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                for target, value in _module_bindings(small):
                    count = self._bindings.get(target.value, 0)
                    self._bindings[target.value] = count + 1
                    if value is not None and _is_literal(value):
                        self._candidates.append(target)

    def visit_Global(self, node: cst.Global) -> None:
        """Note names a function rebinds with ``global``: not constants.

        Args:
            node: A ``global`` statement.
        """
        self._rebound.update(item.name.value for item in node.names)

    def leave_Module(self, original_node: cst.Module) -> None:
        """Report the constants whose names are not SCREAMING_SNAKE_CASE.

        Args:
            original_node: The module.
        """
        for target in self._candidates:
            name = target.value
            if (
                self._bindings[name] > 1
                or name in self._rebound
                or not _wants_screaming(name)
            ):
                continue
            self.report(
                target,
                f"Module-level constant `{name}` is not SCREAMING_SNAKE_CASE; "
                f"style rule 8 names constants like `{_screaming(name)}`.",
            )


def _module_bindings(
    small: cst.BaseSmallStatement,
) -> list[tuple[cst.Name, cst.BaseExpression | None]]:
    """Return the plain names a statement binds and the literal-able value.

    The value is None when the name is rebound in place (``x += 1``) or bound
    as part of an unpacking, so it can never be a constant.
    """
    if isinstance(small, cst.Assign):
        bound: list[tuple[cst.Name, cst.BaseExpression | None]] = []
        single = len(small.targets) == 1
        for target in small.targets:
            if isinstance(target.target, cst.Name):
                bound.append((target.target, small.value if single else None))
            else:
                bound.extend(
                    (name, None)
                    for name in m.findall(target.target, m.Name())
                    if isinstance(name, cst.Name)
                )
        return bound
    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
        annotation = get_full_name_for_node(small.annotation.annotation) or ""
        if annotation.split(".")[-1] in {"TypeAlias", "ClassVar"}:
            return [(small.target, None)]
        return [(small.target, small.value)]
    if isinstance(small, cst.AugAssign) and isinstance(small.target, cst.Name):
        return [(small.target, None)]
    return []


def _wants_screaming(name: str) -> bool:
    """Return whether a constant's name should be reported by this rule."""
    if name.startswith("__") and name.endswith("__"):
        return False
    if name in _REQUIRED_LOWERCASE_NAMES or name == name.upper():
        return False
    bare = name.lstrip("_")
    # lowerCamel names are ruff's (N816); report snake_case and PascalCase.
    return bare == bare.lower() or bare[:1].isupper()


# Pydantic v1 method -> its v2 name (None: no one-to-one replacement).
_V1_METHODS: dict[str, str | None] = {
    "dict": "model_dump",
    "json": "model_dump_json",
    "parse_obj": "model_validate",
    "parse_raw": "model_validate_json",
    "parse_file": None,
    "from_orm": "model_validate",
    "update_forward_refs": "model_rebuild",
    "copy": "model_copy",
}
# ``.json()``/``.copy()`` are common on other objects (an HTTP response, a
# dict): they are Pydantic's only when called with Pydantic-only keywords.
_PYDANTIC_JSON_KEYWORDS = frozenset(
    {
        "include",
        "exclude",
        "by_alias",
        "exclude_unset",
        "exclude_defaults",
        "exclude_none",
        "encoder",
        "models_as_dict",
        "indent",
    }
)
_PYDANTIC_COPY_KEYWORDS = frozenset({"update"})
# Keywords the v2 method does not take: no mechanical rename then.
_NOT_IN_V2: dict[str, frozenset[str]] = {
    "json": frozenset({"encoder", "models_as_dict"}),
    "copy": frozenset({"include", "exclude"}),
    "parse_raw": frozenset({"content_type", "encoding", "proto", "allow_pickle"}),
}


class PydanticV2ApiRule(Rule):
    """Pydantic models use the v2 API (``model_dump``, ``model_validate``...).

    The v1 methods still work in Pydantic v2 but warn, and are removed in v3.
    ``.json()`` and ``.copy()`` are only reported with Pydantic-only keywords,
    so ``response.json()`` of an HTTP client and ``dict.copy()`` are fine.
    Where the v2 method takes the same arguments, the fix renames the call.
    """

    ID = "STY012"
    PATTERN = "style-rules#12"
    SUMMARY = "Use the Pydantic v2 API (model_dump, model_validate), not .dict()"
    AGENT_TEXT = "`model_dump()` - Never use deprecated `.dict()`"
    MESSAGE = "Pydantic v1 API; style rule 12 uses the v2 methods."
    VALID = (
        Example(
            """\
            data = payload.model_dump(exclude_unset=True)
            item = Item.model_validate(row)
            """
        ),
        Example(
            """\
            body = response.json()
            options = defaults.copy()
            """
        ),
    )
    INVALID = (
        Example(
            """\
            def to_row(payload: ItemCreate) -> dict[str, object]:
                return payload.dict(exclude_none=True)
            """,
            line=2,
            column=20,
            message=(
                "`.dict()` is the deprecated Pydantic v1 API; style rule 12 uses "
                "`.model_dump()`."
            ),
            suggestion="    return payload.model_dump(exclude_none=True)",
        ),
        Example(
            """\
            item = ItemRead.from_orm(row)
            text = item.json(by_alias=True)
            config = Item.parse_file("item.json")
            """,
            line=1,
            column=17,
            message=(
                "`.from_orm()` is the deprecated Pydantic v1 API; style rule 12 "
                "uses `.model_validate()`."
            ),
            suggestion="item = ItemRead.model_validate(row)",
            count=3,
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        """Report a v1 method call.

        Args:
            node: Any call.
        """
        # Runs on every call of every file: a plain type test first.
        if not isinstance(node.func, cst.Attribute):
            return
        method = node.func.attr.value
        if method not in _V1_METHODS:
            return
        keywords = {arg.keyword.value for arg in node.args if arg.keyword}
        if method == "json" and not keywords & _PYDANTIC_JSON_KEYWORDS:
            return
        if method == "copy" and not keywords & _PYDANTIC_COPY_KEYWORDS:
            return
        replacement = _V1_METHODS[method]
        if replacement is None:
            self.report(
                node.func.attr,
                f"`.{method}()` is the deprecated Pydantic v1 API; style rule 12 "
                "uses `.model_validate_json()` on the file's text.",
            )
            return
        renamable = not keywords & _NOT_IN_V2.get(method, frozenset())
        self.report(
            node.func.attr,
            f"`.{method}()` is the deprecated Pydantic v1 API; style rule 12 uses "
            f"`.{replacement}()`.",
            suggestion=replacement if renamable else None,
        )


_HTTP_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "api_route"}
)
_ROUTE_DECORATOR = m.Decorator(
    decorator=m.Call(func=m.Attribute(value=m.Name(), attr=m.Name()))
)
_SESSION_OWNERS = frozenset({"db", "_db", "session", "_session", "sync_session"})
_SESSION_IO = frozenset(
    {
        "execute",
        "exec",
        "query",
        "get",
        "commit",
        "refresh",
        "flush",
        "rollback",
        "scalar",
        "scalars",
        "merge",
        "delete",
    }
)
_BLOCKING_CALLS = frozenset(
    {
        *(
            f"{client}.{verb}"
            for client in ("requests", "httpx")
            for verb in _HTTP_METHODS
        ),
        "requests.request",
        "httpx.request",
        "urllib.request.urlopen",
        "urlopen",
        "open",
    }
)


def is_route_handler(node: cst.FunctionDef) -> bool:
    """Return whether a function is a FastAPI route (``@router.get(...)``).

    Args:
        node: A function definition.

    Returns:
        True when one decorator is ``<name>.<http method>(...)``.
    """
    for decorator in node.decorators:
        if m.matches(decorator, _ROUTE_DECORATOR):
            assert isinstance(decorator.decorator, cst.Call)
            assert isinstance(decorator.decorator.func, cst.Attribute)
            if decorator.decorator.func.attr.value in _HTTP_METHODS:
                return True
    return False


def _io_call(
    body: cst.CSTNode,
    owners: frozenset[str] = _SESSION_OWNERS,
    *,
    blocking: bool = True,
) -> str | None:
    """Return the first DB/HTTP/file call in ``body`` as text, or None.

    Args:
        body: Where to look.
        owners: Names whose session methods are database I/O.
        blocking: Whether HTTP and file calls count too.
    """
    for call in m.findall(body, m.Call()):
        assert isinstance(call, cst.Call)
        name = get_full_name_for_node(call.func)
        if name is None:
            continue
        owner, _, method = name.rpartition(".")
        if method in _SESSION_IO and owner.rpartition(".")[2] in owners:
            return f"{name}(...)"
        if blocking and name in _BLOCKING_CALLS:
            return f"{name}(...)"
    return None


def _session_handed_on(node: cst.FunctionDef) -> str | None:
    """Say how a handler hands its session to code that queries with it.

    ``crud.get_user(session=session, ...)`` in a handler whose parameter is
    ``session`` (whatever its annotation: ``SessionDep`` aliases hide it)
    is the handler's database I/O. Handing it to a background task is not.
    """
    params = {
        param.name.value for param in (*node.params.params, *node.params.kwonly_params)
    } & (_SESSION_OWNERS | {"db_session"})
    if not params:
        return None
    for found in m.findall(node.body, m.Call()):
        call = cst.ensure_type(found, cst.Call)
        callee = get_full_name_for_node(call.func) or ""
        if callee.rpartition(".")[2] in {"add_task", "delay", "apply_async"}:
            continue
        for arg in call.args:
            if isinstance(arg.value, cst.Name) and arg.value.value in params:
                return f"passes its session `{arg.value.value}` to `{callee}(...)`"
    return None


def _sync_session_params(node: cst.FunctionDef) -> frozenset[str]:
    """Names of parameters annotated as a sync ``Session`` (or ``Annotated``)."""
    names: set[str] = set()
    for param in (*node.params.params, *node.params.kwonly_params):
        if param.annotation is None:
            continue
        annotation = unannotated(param.annotation.annotation)
        if m.matches(annotation, SYNC_SESSION):
            names.add(param.name.value)
    return frozenset(names)


class AsyncIoRule(Rule):
    """I/O runs in ``async def`` functions.

    A sync route handler that does I/O runs in FastAPI's thread pool, and a
    sync function that talks to the database, the network or files blocks
    the caller; the stack is async end to end. Reported: a sync ``def`` route
    handler anywhere that does I/O (a session, HTTP or file call, or a sync
    ``Session`` parameter); in routers and services a sync function that does
    DB (``db.execute``, ``session.commit``), HTTP (``requests.get``) or file
    (``open``) I/O; elsewhere (a CRUD or ``db`` module) a sync function that
    does database I/O through its own sync ``Session`` parameter. Public
    service methods are the service family's (SVC003); Celery tasks are sync
    by design; tests and migrations are not application code.
    """

    ID = "STY014"
    PATTERN = "style-rules#14"
    SUMMARY = "Route handlers and I/O functions are async def"
    AGENT_TEXT = "`async def` - For all I/O operations"
    MESSAGE = "Sync def does I/O; style rule 14 makes I/O functions `async def`."
    ROLES = CODE_ROLES
    VALID = (
        Example(
            """\
            @router.get("/items")
            async def list_items(db: AsyncSession = Depends(get_db)) -> list[Item]:
                \"\"\"List items.\"\"\"
                return await ItemService(db).list()


            def page_bounds(skip: int, limit: int) -> tuple[int, int]:
                return skip, skip + limit
            """,
            role="router",
        ),
        Example(
            """\
            class ItemService:
                def __init__(self, db: AsyncSession) -> None:
                    self._db = db

                async def _count(self) -> int:
                    return await self._db.scalar(select(func.count(Item.id)))
            """,
            role="service",
        ),
        # A sync handler without I/O; a sync Celery task with its session.
        Example(
            """\
            @router.get("/version", response_model=str)
            def version() -> str:
                \"\"\"Report the build.\"\"\"
                return settings.VERSION


            @shared_task(bind=True, max_retries=3, default_retry_delay=60)
            def purge(self, session: Session) -> None:
                session.execute(delete(Upload))


            @router.post("/{case_id}/watchers/{email}")
            def add_watcher(db_session: DbSession, tasks: BackgroundTasks) -> None:
                \"\"\"Queue the work; the task does the I/O.\"\"\"
                tasks.add_task(add_watcher_flow, db_session=db_session)
            """,
        ),
    )
    INVALID = (
        Example(
            """\
            @router.get("/items")
            def list_items(db: Session = Depends(get_db)) -> list[Item]:
                \"\"\"List items.\"\"\"
                return db.query(Item).all()
            """,
            role="router",
            line=2,
            column=5,
            message=(
                "Route handler `list_items` is a sync `def` that does I/O "
                "(`db.query(...)`); style rule 14 makes I/O handlers `async def`."
            ),
        ),
        Example(
            """\
            def load_report(path: str) -> str:
                with open(path) as handle:
                    return handle.read()


            class ItemService:
                def _sync_commit(self) -> None:
                    self._db.commit()
            """,
            role="service",
            line=1,
            column=5,
            message=(
                "`load_report` is a sync `def` that does I/O (`open(...)`); style "
                "rule 14 makes I/O functions `async def`."
            ),
            count=2,
        ),
        # The session hides behind an alias; the handler hands it to CRUD.
        Example(
            """\
            @router.post("/password-recovery/{email}", response_model=Message)
            def recover_password(email: str, session: SessionDep) -> Message:
                \"\"\"Send a password recovery email.\"\"\"
                user = crud.get_user_by_email(session=session, email=email)
                return Message(message=f"sent to {user.email}")
            """,
            role="router",
            line=2,
            column=5,
            message=(
                "Route handler `recover_password` is a sync `def` that does I/O "
                "(passes its session `session` to `crud.get_user_by_email(...)`); "
                "style rule 14 makes I/O handlers `async def`."
            ),
        ),
        # A CRUD module's sync function doing I/O through its sync Session.
        Example(
            """\
            def count_orders(db_session: Session, *, open_only: bool) -> int:
                query = select(func.count(Order.id))
                return db_session.scalar(query)


            def order_total(order: Order) -> int:
                return sum(line.amount for line in order.lines)
            """,
            line=1,
            column=5,
            message=(
                "`count_orders` is a sync `def` that does database I/O "
                "(`db_session.scalar(...)`) with a sync Session; style rule 14 "
                "makes I/O functions `async def` with an AsyncSession."
            ),
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        """Remember where functions sit: methods of which classes.

        Args:
            node: The module.
        """
        self._public_methods: set[int] = set()
        if "service" not in self.context.roles:
            return
        for cls in node.body:
            if isinstance(cls, cst.ClassDef) and isinstance(
                cls.body, cst.IndentedBlock
            ):
                self._public_methods.update(
                    id(item)
                    for item in cls.body.body
                    if isinstance(item, cst.FunctionDef)
                    and not item.name.value.startswith("_")
                )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Report a sync route handler or sync I/O function.

        Args:
            node: A function or method.
        """
        if node.asynchronous is not None:
            return
        name = node.name.value
        sessions = _sync_session_params(node)
        if is_route_handler(node):
            # A sync handler that does no I/O only costs a thread: not rule 14's.
            call = _io_call(node.body)
            handed = _session_handed_on(node)
            if call is not None:
                what = f"`{call}`"
            elif sessions:
                what = f"its sync Session `{min(sessions)}`"
            elif handed is not None:
                what = handed
            else:
                return
            self.report(
                node.name,
                f"Route handler `{name}` is a sync `def` that does I/O ({what}); "
                "style rule 14 makes I/O handlers `async def`.",
            )
            return
        if (
            sessions
            and not self.context.roles & {"router", "service"}
            and task_decorator(node) is None
        ):
            call = _io_call(node.body, sessions, blocking=False)
            if call is not None:
                self.report(
                    node.name,
                    f"`{name}` is a sync `def` that does database I/O (`{call}`) "
                    "with a sync Session; style rule 14 makes I/O functions "
                    "`async def` with an AsyncSession.",
                )
            return
        if not self.context.roles & {"router", "service"}:
            return
        if name.startswith("__") or id(node) in self._public_methods:
            return
        call = _io_call(node.body)
        if call is not None:
            self.report(
                node.name,
                f"`{name}` is a sync `def` that does I/O (`{call}`); style rule 14 "
                "makes I/O functions `async def`.",
            )
