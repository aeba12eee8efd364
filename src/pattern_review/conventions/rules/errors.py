"""Convention rules: the agent file's Error Handling section.

HTTP errors belong to routers, errors are caught by specific type (or
re-raised), loggers come from ``logging.getLogger(__name__)``, and unique
constraint violations are handled as ``IntegrityError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst
import libcst.matchers as m
from libcst.helpers import get_full_name_for_node

from pattern_review.conventions.roles import CODE_ROLES
from pattern_review.conventions.rule import Example, Rule
from pattern_review.conventions.rules.task import task_decorator
from pattern_review.conventions.rules.vocabulary import named

# FastAPI names that mark a module as part of the web layer (an app factory,
# dependencies, middleware), where raising HTTPException is how FastAPI works.
_WEB_LAYER_NAMES = frozenset(
    {"APIRouter", "Depends", "FastAPI", "Request", "Security", "WebSocket", "Header"}
)


# Where an HTTPException was raised, as the message says it.
_WHERE = {
    "model": "a model module",
    "schema": "a schema module",
    "task": "a task module",
    "other": "a module outside the web layer",
}


def _raised_name(node: cst.Raise) -> str:
    raised = node.exc.func if isinstance(node.exc, cst.Call) else node.exc
    return (get_full_name_for_node(raised) if raised is not None else None) or ""


class HttpExceptionInRoutersRule(Rule):
    """``HTTPException`` is raised in routers only.

    Models, schemas and tasks have no HTTP request to answer; an
    ``HTTPException`` there leaks transport into business code (and in a
    Celery task it is just a crash). Services are SVC006's. A module that is
    part of FastAPI's web layer (it also imports ``Depends``, ``Request``,
    ``FastAPI``...: dependencies, app factories) may raise it. The finding
    sits on the ``raise``: importing or subclassing ``HTTPException`` (an
    app's own HTTP errors, raised by its routers) is fine.
    """

    ID = "ERR001"
    PATTERN = "error-handling"
    ROLES = frozenset({"model", "schema", "task", "other"})
    SUMMARY = "HTTPException is raised only in routers"
    AGENT_TEXT = "Use `HTTPException` with appropriate status codes in routers"
    MESSAGE = (
        "HTTPException outside a router; the error handling pattern raises "
        "`HTTPException` in routers only."
    )
    VALID = (
        Example(
            """\
            from fastapi import Depends, HTTPException, status


            async def current_user(token: str = Depends(oauth2)) -> User:
                raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED)
            """,
        ),
        Example(
            """\
            class Item(Base):
                __tablename__ = "items"

                def check(self) -> None:
                    if not self.name:
                        raise ValueError("item needs a name")
            """,
            role="model",
        ),
        # A module of the app's HTTP errors: subclassing is not raising.
        # A permission dependency: starlette's Request makes it web layer.
        Example(
            """\
            from fastapi import HTTPException
            from starlette.requests import Request


            class OwnerOnly:
                def __call__(self, request: Request) -> None:
                    if request.state.user is None:
                        raise HTTPException(status_code=403)
            """,
        ),
        Example(
            """\
            from fastapi import HTTPException, status


            class ConflictError(HTTPException):
                def __init__(self, detail: str) -> None:
                    super().__init__(status.HTTP_409_CONFLICT, detail)
            """,
        ),
    )
    INVALID = (
        Example(
            """\
            from fastapi import HTTPException


            @shared_task(bind=True, max_retries=3, default_retry_delay=60)
            def sync(self, item_id: int) -> None:
                raise HTTPException(status_code=404)
            """,
            role="task",
            line=6,
            column=5,
            message=(
                "`HTTPException` raised in a task module; the error handling "
                "pattern raises `HTTPException` in routers only."
            ),
        ),
        Example(
            """\
            from pydantic import BaseModel, field_validator


            class ItemIn(BaseModel):
                name: str

                @field_validator("name")
                @classmethod
                def not_blank(cls, value: str) -> str:
                    if not value.strip():
                        raise fastapi.HTTPException(422)
                    return value
            """,
            role="schema",
            line=11,
            column=13,
            message=(
                "`HTTPException` raised in a schema module; the error handling "
                "pattern raises `HTTPException` in routers only."
            ),
        ),
        Example(
            """\
            from fastapi import HTTPException


            def parse_amount(raw: str) -> int:
                if not raw.isdigit():
                    raise HTTPException(status_code=422, detail="amount")
                return int(raw)
            """,
            line=6,
            column=9,
            message=(
                "`HTTPException` raised in a module outside the web layer; the "
                "error handling pattern raises `HTTPException` in routers only."
            ),
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        """Decide whether the module may use HTTPException at all.

        Args:
            node: The module.
        """
        self._where = next(
            role
            for role in ("model", "schema", "task", "other")
            if role in self.context.roles
        )
        self._skip = bool(self.context.roles & {"router", "service"})
        if self._where == "other" and not self._skip:
            # Top-level imports only: no second walk of the whole module.
            # From fastapi or starlette, any submodule (starlette.requests).
            imported = {
                get_full_name_for_node(alias.name) or ""
                for line in node.body
                if isinstance(line, cst.SimpleStatementLine)
                for statement in line.body
                if isinstance(statement, cst.ImportFrom)
                and statement.module is not None
                and (get_full_name_for_node(statement.module) or "").split(".")[0]
                in {"fastapi", "starlette"}
                and not isinstance(statement.names, cst.ImportStar)
                for alias in statement.names
            }
            self._skip = bool(imported & _WEB_LAYER_NAMES)

    def visit_Raise(self, node: cst.Raise) -> None:
        """Report ``raise HTTPException(...)``.

        Args:
            node: A raise statement.
        """
        if not self._skip and _raised_name(node).rpartition(".")[2] == "HTTPException":
            self.report(
                node,
                f"`HTTPException` raised in {_WHERE[self._where]}; the error "
                "handling pattern raises `HTTPException` in routers only.",
            )


_BLIND = m.Name("Exception") | m.Name("BaseException")


def _catches_everything(handler: cst.ExceptHandler) -> bool:
    """Return whether a handler catches ``Exception``/``BaseException``."""
    if handler.type is None:
        return False  # bare ``except:`` is ruff's E722
    if m.matches(handler.type, _BLIND | m.Attribute(attr=_BLIND)):
        return True
    if isinstance(handler.type, cst.Tuple):
        return any(
            m.matches(element.value, _BLIND | m.Attribute(attr=_BLIND))
            for element in handler.type.elements
        )
    return False


class SpecificExceptionsRule(Rule):
    """``except Exception`` is only for code that re-raises.

    A blind handler that carries on hides every bug behind it, including
    ``KeyError`` from a typo. Catch the specific exception types the code
    expects; a handler that raises again (``raise``, ``raise AppError(...)
    from exc``, Celery's ``raise self.retry(exc=exc)``) is fine. Bare
    ``except:`` is ruff's E722; a swallowing handler inside a Celery task is
    TSK003's.
    """

    ID = "ERR002"
    PATTERN = "error-handling"
    SUMMARY = "No blind except Exception that swallows the error"
    AGENT_TEXT = "Use specific exception types (never bare `except Exception`)"
    MESSAGE = (
        "Blind `except Exception` swallows every error; the error handling "
        "pattern catches specific exception types."
    )
    VALID = (
        Example(
            """\
            try:
                price = Decimal(raw)
            except InvalidOperation:
                price = Decimal(0)
            """,
        ),
        Example(
            """\
            async def pay(order: Order) -> None:
                try:
                    await gateway.charge(order)
                except Exception as exc:
                    logger.exception("charge failed for order %s", order.id)
                    raise PaymentError(order.id) from exc
            """,
        ),
    )
    INVALID = (
        Example(
            """\
            async def pay(order: Order) -> None:
                try:
                    await gateway.charge(order)
                except Exception:
                    logger.exception("charge failed for order %s", order.id)
            """,
            line=4,
            column=5,
            message=(
                "`except Exception` swallows every error; the error handling "
                "pattern catches specific exception types (or re-raises)."
            ),
        ),
        Example(
            """\
            def parse(raw: str) -> int | None:
                try:
                    return int(raw)
                except (ValueError, BaseException):
                    return None


            def close(conn: Connection) -> None:
                try:
                    conn.close()
                except builtins.Exception:
                    pass
            """,
            line=4,
            column=5,
            message=(
                "`except (ValueError, BaseException)` swallows every error; the "
                "error handling pattern catches specific exception types (or "
                "re-raises)."
            ),
            count=2,
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        """Start outside any Celery task.

        Args:
            node: The module.
        """
        self._tasks = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Track whether the handler sits in a Celery task (TSK003's then).

        Args:
            node: A function.
        """
        if "task" in self.context.roles and task_decorator(node) is not None:
            self._tasks += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        """Leave a Celery task.

        Args:
            original_node: A function.
        """
        if "task" in self.context.roles and task_decorator(original_node) is not None:
            self._tasks -= 1

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        """Report a blind handler without a ``raise``.

        Args:
            node: An ``except`` clause.
        """
        if (
            self._tasks
            or not _catches_everything(node)
            or m.findall(node.body, m.Raise())
        ):
            return
        assert node.type is not None
        caught = cst.Module([]).code_for_node(node.type)
        self.report(
            node,
            f"`except {caught}` swallows every error; the error handling pattern "
            "catches specific exception types (or re-raises).",
        )


_LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "log"}
)


class ModuleLoggerRule(Rule):
    """Loggers come from ``logging.getLogger(__name__)``.

    A logger named after its module can be tuned per package in the logging
    config and tells the reader where a line came from. ``getLogger("app")``
    or ``getLogger()`` (the root logger) and module-level calls such as
    ``logging.error(...)`` lose that. Loggers fetched by name just to
    configure a library (``getLogger("uvicorn").setLevel(...)``) are fine.
    """

    ID = "ERR003"
    PATTERN = "error-handling"
    SEVERITY = "warning"
    SUMMARY = "Log through logging.getLogger(__name__), not the root logger"
    AGENT_TEXT = "Log errors with `logging.getLogger(__name__)` including context"
    MESSAGE = (
        "Logger not named after its module; the error handling pattern logs with "
        "`logging.getLogger(__name__)`."
    )
    VALID = (
        Example(
            """\
            import logging

            logger = logging.getLogger(__name__)
            logger.info("started")
            """,
        ),
        Example(
            """\
            import logging

            logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
            logging.basicConfig(level=logging.INFO)
            """,
        ),
        Example(
            """\
            def route_logs(names: list[str], level: int) -> None:
                for name in names:
                    named = logging.getLogger(name)
                    named.handlers = [InterceptHandler(level=level)]
            """,
        ),
    )
    INVALID = (
        Example(
            """\
            import logging

            logger = logging.getLogger("app")
            """,
            line=3,
            column=10,
            message=(
                'Logger is `logging.getLogger("app")`; the error handling pattern '
                "logs with `logging.getLogger(__name__)`."
            ),
        ),
        Example(
            """\
            import logging
            from logging import getLogger

            log = getLogger()


            def fail(item_id: int) -> None:
                logging.error("item %s failed", item_id)
            """,
            line=4,
            column=7,
            message=(
                "Logger is `getLogger()`; the error handling pattern logs with "
                "`logging.getLogger(__name__)`."
            ),
            count=2,
        ),
        # __file__ is a path, not the module's dotted name.
        Example(
            """\
            import logging

            log = logging.getLogger(__file__)
            """,
            line=3,
            column=7,
            message=(
                "Logger is `logging.getLogger(__file__)`; the error handling "
                "pattern logs with `logging.getLogger(__name__)`."
            ),
        ),
    )

    def visit_Assign(self, node: cst.Assign) -> None:
        """Report a logger bound from ``getLogger`` without ``__name__``.

        Args:
            node: An assignment.
        """
        call = node.value
        if not isinstance(call, cst.Call):
            return
        if (get_full_name_for_node(call.func) or "") not in {
            "logging.getLogger",
            "getLogger",
        }:
            return
        if m.matches(call, m.Call(args=[m.Arg(value=m.Name("__name__"))])):
            return
        first = call.args[0].value if call.args else None
        if isinstance(first, cst.Name) and not first.value.startswith("__"):
            # getLogger(name) of a variable: a loop configuring the loggers
            # of libraries, not a module logging under another name.
            return
        self.report(
            call,
            f"Logger is `{cst.Module([]).code_for_node(call)}`; the error handling "
            "pattern logs with `logging.getLogger(__name__)`.",
        )

    def visit_Call(self, node: cst.Call) -> None:
        """Report a call that logs through the root logger.

        Args:
            node: Any call.
        """
        # Read, not matched: this runs on every call of every file.
        if not isinstance(node.func, cst.Attribute):
            return
        receiver = node.func.value
        if not (isinstance(receiver, cst.Name) and receiver.value == "logging"):
            return
        name = f"logging.{node.func.attr.value}"
        if node.func.attr.value in _LOG_METHODS:
            self.report(
                node,
                f"`{name}(...)` logs through the root logger; the error handling "
                "pattern logs with `logging.getLogger(__name__)`.",
            )


_UNIQUE_ARG = m.Arg(keyword=m.Name("unique"), value=m.Name("True"))
_WRITES = frozenset({"add", "add_all"})


@dataclass
class _FunctionWrites:
    """What one function does to the database, as far as ERR004 cares."""

    inserts: bool = False
    commits: list[cst.Call] = field(default_factory=list)


def _handles_integrity_error(node: cst.Try) -> bool:
    return any(
        handler.type is not None
        and bool(
            m.findall(
                handler.type,
                named("IntegrityError"),
            )
        )
        for handler in node.handlers
    )


class IntegrityErrorRule(Rule):
    """Inserts into tables with unique columns handle ``IntegrityError``.

    A duplicate value in a ``unique=True`` column fails at ``commit()``; left
    unhandled it is a 500 instead of a clear conflict. This rule sees one
    file only, so it is advisory and fires only where the file itself
    declares the unique column and commits an ``add()`` outside a ``try``
    that catches ``IntegrityError``.
    """

    ID = "ERR004"
    PATTERN = "error-handling"
    ROLES = CODE_ROLES  # a migration's insert failing loudly is right
    SEVERITY = "note"
    SUMMARY = "Commits that insert into unique columns handle IntegrityError"
    AGENT_TEXT = (
        "Use SQLAlchemy `IntegrityError` handling for unique constraint violations"
    )
    MESSAGE = (
        "Insert into a table with a unique column commits without handling "
        "`IntegrityError`; the error handling pattern catches it for unique "
        "constraint violations."
    )
    VALID = (
        Example(
            """\
            class User(Base):
                email: Mapped[str] = mapped_column(String(255), unique=True)


            async def register(db: AsyncSession, email: str) -> User | None:
                user = User(email=email)
                db.add(user)
                try:
                    await db.commit()
                except IntegrityError:
                    await db.rollback()
                    return None
                return user
            """,
        ),
        Example(
            """\
            async def create(db: AsyncSession, payload: ItemCreate) -> Item:
                item = Item(**payload.model_dump())
                db.add(item)
                await db.commit()
                return item
            """,
        ),
    )
    INVALID = (
        Example(
            """\
            class User(Base):
                email: Mapped[str] = mapped_column(String(255), unique=True)


            async def register(db: AsyncSession, email: str) -> User:
                user = User(email=email)
                db.add(user)
                await db.commit()
                return user
            """,
            line=8,
            column=11,
            message=MESSAGE,
        ),
        Example(
            """\
            __table_args__ = (UniqueConstraint("org_id", "slug"),)


            def save_all(session: Session, rows: list[Row]) -> None:
                session.add_all(rows)
                try:
                    session.commit()
                except ValueError:
                    session.rollback()
                session.commit()
            """,
            line=7,
            column=9,
            count=2,
        ),
    )

    # Everything is gathered during the engine's one traversal (no extra walk
    # of the module): unique columns, and per function its inserts and the
    # commits not inside a ``try`` body that catches IntegrityError.
    def visit_Module(self, node: cst.Module) -> None:
        """Start a file: no unique column, no function, no guard seen yet.

        Args:
            node: The module.
        """
        self._unique = False
        self._guards: list[bool] = []
        self._functions: list[_FunctionWrites] = []
        self._unguarded: list[cst.Call] = []

    def visit_Try_body(self, node: cst.Try) -> None:
        """Enter a ``try`` body, guarded when a handler catches IntegrityError.

        Args:
            node: The try statement.
        """
        self._guards.append(_handles_integrity_error(node))

    def leave_Try_body(self, node: cst.Try) -> None:
        """Leave a ``try`` body.

        Args:
            node: The try statement.
        """
        self._guards.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Start collecting a function's inserts and commits.

        Args:
            node: A function.
        """
        self._functions.append(_FunctionWrites())

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        """Keep the function's unguarded commits if it inserts.

        Args:
            original_node: A function.
        """
        writes = self._functions.pop()
        if writes.inserts:
            self._unguarded.extend(writes.commits)

    def visit_Call(self, node: cst.Call) -> None:
        """Note unique columns, inserts and unguarded commits.

        Args:
            node: Any call.
        """
        # visit_Call runs on every call of every file: cheap tests first.
        func = node.func
        if (isinstance(func, cst.Name) and func.value == "UniqueConstraint") or any(
            arg.keyword is not None
            and arg.keyword.value == "unique"
            and m.matches(arg, _UNIQUE_ARG)
            for arg in node.args
        ):
            self._unique = True
        if not self._functions or not isinstance(node.func, cst.Attribute):
            return
        writes = self._functions[-1]
        method = node.func.attr.value
        if method in _WRITES:
            writes.inserts = True
        elif method == "commit" and not any(self._guards):
            writes.commits.append(node)

    def leave_Module(self, original_node: cst.Module) -> None:
        """Report the unguarded commits when the module has unique columns.

        Args:
            original_node: The module.
        """
        if self._unique:
            for commit in self._unguarded:
                self.report(commit)
